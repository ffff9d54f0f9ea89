import AgentConfig
import PromModel
import Testing

@testable import Scrape

/// A target discovered again with other `__meta_*` labels but the same final labels keeps its
/// scrape loop, and the status pages show the new discovered labels (Prometheus's
/// `SetDiscoveredLabels`). Before the fix they kept the first discovery's labels (a Kubernetes
/// pod relabelled with a new annotation showed the old one on /targets).
@Suite struct DiscoveredLabelsTests {
    @Test func aRediscoveredTargetShowsItsNewDiscoveredLabels() async throws {
        let c = ScrapeConfig(jobName: "pods", scrapeInterval: .seconds(3600), scrapeTimeout: .seconds(10))
        // In-memory scraper, manual clock: the loop waits for its slot and scrapes nothing.
        let h = ScrapeHarness(baseMs: ScrapeHarness.start(before: ScrapeJob(config: c))) { _ in .body("") }
        let manager = h.manager
        func discover(_ annotation: String) async {
            let labels = Labels([
                "__address__": "127.0.0.1:9", "__meta_kubernetes_pod_annotation_team": annotation,
            ])
            await manager.apply(jobs: [ScrapeJob(config: c)], discovered: ["pods": [labels]])
        }
        await discover("blue")
        let first = manager.statusProvider.activeTargets()
        await discover("green")
        let second = manager.statusProvider.activeTargets()
        await manager.apply(jobs: [], discovered: [:])

        #expect(first.map { $0.discoveredLabels["__meta_kubernetes_pod_annotation_team"] } == ["blue"])
        #expect(second.map { $0.discoveredLabels["__meta_kubernetes_pod_annotation_team"] } == ["green"])
        #expect(second.map(\.labels) == first.map(\.labels))
        #expect(second.map(\.labels) == [Labels(["instance": "127.0.0.1:9", "job": "pods"])])
        #expect(h.scraper.fetches.count == 0)
    }
}
