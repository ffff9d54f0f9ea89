import AgentConfig
import Logging
import PromModel
import Prometheus
import Testing

@testable import Scrape

/// `target_limit` (issue 4): more targets than the limit fail every scrape of the pool with
/// Prometheus's message, without scraping; under the limit they scrape normally.
@Suite struct TargetLimitTests {
    func job(targets: Int, limit: Int) -> ScrapeJob {
        // A refused connection fails at once; the 4 s timeout only matters when the test pool is
        // starved (a 500 ms one turned "connection refused" into a timeout in a CI run).
        var c = ScrapeConfig(jobName: "limited", scrapeInterval: .seconds(5), scrapeTimeout: .seconds(4))
        // Closed ports on loopback: a real scrape fails with "connection refused".
        c.staticConfigs = [StaticConfig(targets: (1...targets).map { "127.0.0.1:\($0)" })]
        c.targetLimit = limit
        return ScrapeJob(config: c)
    }

    func errors(limit: Int) async throws -> ([String], [TimeSeriesSample]) {
        let store = RecordingAppendable()
        let manager = ScrapeManager(
            jobs: [], storage: store, registry: PrometheusCollectorRegistry(), logger: Logger(label: "test"))
        await manager.apply(jobs: [job(targets: 3, limit: limit)], discovered: [:])
        let deadline = ContinuousClock.now + .seconds(60)
        var errs: [String] = []
        while ContinuousClock.now < deadline {
            errs = manager.statusProvider.activeTargets().map(\.lastError)
            if errs.count == 3 && errs.allSatisfy({ !$0.isEmpty }) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        await manager.apply(jobs: [], discovered: [:])
        return (errs, store.committed)
    }

    @Test func overTheLimitEveryTargetFails() async throws {
        let (errs, samples) = try await errors(limit: 2)
        #expect(errs == Array(repeating: "target_limit exceeded (number of targets: 3, limit: 2)", count: 3))
        let up = samples.filter { $0.labels.name == "up" }
        #expect(!up.isEmpty && up.allSatisfy { $0.sample.value == 0 })
    }

    @Test func underTheLimitTargetsAreScraped() async throws {
        let (errs, _) = try await errors(limit: 3)
        #expect(errs.count == 3)
        #expect(errs.allSatisfy { $0.contains("connection refused") })
    }
}
