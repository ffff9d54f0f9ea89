import AgentConfig
import PromModel
import Testing

@testable import Scrape

/// The scrape loop on a manual clock: one scrape per interval at the target's slot (its
/// offset inside the interval), sample timestamps at the slot, nothing between slots, and
/// after the target disappears staleness markers at the first missed slot, written once the
/// next two slots plus 10% of the interval have passed (Prometheus's `endOfRunStaleness`).
@Suite(.timeLimit(.minutes(1))) struct ScrapeLoopClockTests {
    static let body = "# TYPE m gauge\nm 1\n"

    func job(targets: [String]) -> ScrapeJob {
        var c = ScrapeConfig(jobName: "clocked", scrapeInterval: .seconds(10), scrapeTimeout: .seconds(5))
        c.staticConfigs = targets.isEmpty ? [] : [StaticConfig(targets: targets)]
        return ScrapeJob(config: c)
    }

    @Test func scrapesOncePerIntervalThenMarksStale() async throws {
        let job = job(targets: ["192.0.2.1:9100"])
        // The clock starts 1 s before the target's slot.
        let h = ScrapeHarness(baseMs: ScrapeHarness.start(before: job, lead: .seconds(1))) { _ in .body(Self.body) }
        let slot = h.baseMs + 1000
        await h.manager.apply(jobs: [job], discovered: [:])
        await h.clock.sleepers(atLeast: 1)

        h.clock.advance(by: .milliseconds(999))
        // `advance` resumes due sleepers at once: one still parked has not reached its deadline.
        #expect(h.clock.sleeperCount == 1 && h.scraper.fetches.count == 0, "not before the slot")
        for n in 1...3 {
            h.clock.advance(by: n == 1 ? .milliseconds(1) : .seconds(10))
            await h.store.commits.wait(count: n)
            await h.clock.sleepsStarted(atLeast: n + 1)  // parked towards the next slot
            #expect(h.scraper.fetches.count == n)
        }
        h.clock.advance(by: .milliseconds(9999))
        #expect(h.clock.sleeperCount == 1 && h.scraper.fetches.count == 3, "nothing between slots")

        let ups = h.store.committed.filter { $0.labels.name == "up" }
        #expect(ups.map(\.sample.timestampMs) == [slot, slot + 10_000, slot + 20_000])
        #expect(ups.allSatisfy { $0.sample.value == 1 })
        let ms = h.store.committed.filter { $0.labels.name == "m" }
        #expect(ms.map(\.sample.timestampMs) == [slot, slot + 10_000, slot + 20_000])
        #expect(ms.first?.labels == Labels(["__name__": "m", "instance": "192.0.2.1:9100", "job": "clocked"]))
        let written = Set(h.store.committed.compactMap(\.labels.name))
        #expect(
            written == [
                "m", "up", "scrape_duration_seconds", "scrape_samples_scraped",
                "scrape_samples_post_metric_relabeling", "scrape_series_added",
            ])

        // The target disappears: the loop stops; the markers wait for two slots plus 10%.
        await h.manager.apply(jobs: [self.job(targets: [])], discovered: [:])
        await h.clock.sleepers(atLeast: 1)
        let missed = slot + 30_000
        let wake = missed + 10_000 + 1_000
        let now = h.baseMs + h.clock.now.offset.totalMilliseconds
        h.clock.advance(by: .milliseconds(wake - now - 1))
        #expect(h.clock.sleeperCount == 1, "no markers before the next two slots plus 10%")
        h.clock.advance(by: .milliseconds(1))
        let commits = await h.store.commits.wait(count: 4)
        let markers = commits[3]
        #expect(Set(markers.compactMap(\.labels.name)) == written)
        #expect(markers.count == written.count)
        #expect(markers.allSatisfy { StaleNaN.isStale($0.sample.value) && $0.sample.timestampMs == missed })
        #expect(h.scraper.fetches.count == 3)
    }

    /// A scrape that fails marks the previous scrape's series stale at once (same timestamp as
    /// its `up` 0), as Prometheus does.
    @Test func aFailedScrapeMarksThePreviousSeriesStale() async throws {
        let job = job(targets: ["192.0.2.2:9100"])
        let failing = Shared(false)
        let h = ScrapeHarness(baseMs: ScrapeHarness.start(before: job, lead: .seconds(1))) { _ in
            failing.value
                ? .failure(description: "server returned HTTP status 503", reason: .httpStatus) : .body(Self.body)
        }
        let slot = h.baseMs + 1000
        await h.manager.apply(jobs: [job], discovered: [:])
        await h.clock.sleepers(atLeast: 1)
        h.clock.advance(by: .seconds(1))
        await h.clock.sleepsStarted(atLeast: 2)
        failing.value = true
        h.clock.advance(by: .seconds(10))
        let commits = await h.store.commits.wait(count: 2)
        await h.clock.sleepsStarted(atLeast: 3)
        await h.manager.apply(jobs: [], discovered: [:])

        let second = commits[1]
        #expect(second.first { $0.labels.name == "up" }?.sample.value == 0)
        let m = try #require(second.first { $0.labels.name == "m" })
        #expect(StaleNaN.isStale(m.sample.value) && m.sample.timestampMs == slot + 10_000)
        #expect(h.manager.statusProvider.activeTargets().isEmpty)
    }

    /// New scrape settings for a job build a new pool whose loops take over between two
    /// scrapes: the target keeps its slot, no scrape is lost or repeated, nothing is marked
    /// stale.
    @Test func changedSettingsHandOverBetweenScrapes() async throws {
        let job = job(targets: ["192.0.2.3:9100"])
        var changed = job.config
        changed.scrapeTimeout = .seconds(4)
        let h = ScrapeHarness(baseMs: ScrapeHarness.start(before: job, lead: .seconds(1))) { _ in .body(Self.body) }
        let slot = h.baseMs + 1000
        await h.manager.apply(jobs: [job], discovered: [:])
        await h.clock.sleepers(atLeast: 1)
        h.clock.advance(by: .seconds(1))
        await h.store.commits.wait(count: 1)
        await h.clock.sleepsStarted(atLeast: 2)
        h.clock.advance(by: .seconds(1))  // between two scrapes

        await h.manager.apply(jobs: [ScrapeJob(config: changed)], discovered: [:])
        await h.clock.sleepers(atLeast: 1)  // the new loop waits for the target's next slot
        #expect(h.manager.statusProvider.activeTargets().map(\.scrapeTimeoutSeconds) == [4])
        h.clock.advance(by: .seconds(9))
        await h.store.commits.wait(count: 2)
        await h.clock.sleepsStarted(atLeast: 4)
        await h.manager.apply(jobs: [], discovered: [:])

        let ups = h.store.committed.filter { $0.labels.name == "up" }
        #expect(ups.map(\.sample.timestampMs) == [slot, slot + 10_000])
        #expect(h.scraper.fetches.count == 2)
        #expect(!h.store.committed.contains { StaleNaN.isStale($0.sample.value) })
    }
}
