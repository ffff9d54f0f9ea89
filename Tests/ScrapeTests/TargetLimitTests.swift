import AgentConfig
import PromModel
import Testing

@testable import Scrape

/// `target_limit` (issue 4): more targets than the limit fail every scrape of the pool with
/// Prometheus's message, without scraping; under the limit they scrape normally. The targets
/// are answered by an in-memory scraper on a manual clock: no socket, no sleep.
@Suite(.timeLimit(.minutes(1))) struct TargetLimitTests {
    static let refused = "Get \"http://127.0.0.1:1/metrics\": dial tcp 127.0.0.1:1: connect: connection refused"

    func job(targets: Int, limit: Int) -> ScrapeJob {
        var c = ScrapeConfig(jobName: "limited", scrapeInterval: .seconds(5), scrapeTimeout: .seconds(4))
        c.staticConfigs = [StaticConfig(targets: (1...targets).map { "127.0.0.1:\($0)" })]
        c.targetLimit = limit
        return ScrapeJob(config: c)
    }

    /// Applies a 3-target job, lets one interval pass, and returns each target's last error,
    /// what was committed and the URLs fetched.
    func firstScrapes(limit: Int) async -> (errors: [String], samples: [TimeSeriesSample], fetched: [String]) {
        let job = job(targets: 3, limit: limit)
        let h = ScrapeHarness(baseMs: ScrapeHarness.start(before: job)) { _ in
            .failure(description: Self.refused, reason: .connection)
        }
        await h.manager.apply(jobs: [job], discovered: [:])
        await h.clock.sleepers(atLeast: 3)  // every loop waits for its first slot
        h.clock.advance(by: .seconds(5))
        // Each loop scraped once, recorded its status, and sleeps towards its next slot.
        await h.clock.sleepsStarted(atLeast: 6)
        let errors = h.manager.statusProvider.activeTargets().map(\.lastError)
        await h.manager.apply(jobs: [], discovered: [:])
        return (errors, h.store.committed, h.scraper.fetches.events)
    }

    @Test func overTheLimitEveryTargetFails() async throws {
        let (errs, samples, fetched) = await firstScrapes(limit: 2)
        #expect(errs == Array(repeating: "target_limit exceeded (number of targets: 3, limit: 2)", count: 3))
        #expect(fetched.isEmpty, "no target is scraped")
        let up = samples.filter { $0.labels.name == "up" }
        #expect(up.count == 3 && up.allSatisfy { $0.sample.value == 0 })
    }

    @Test func underTheLimitTargetsAreScraped() async throws {
        let (errs, samples, fetched) = await firstScrapes(limit: 3)
        #expect(errs == Array(repeating: Self.refused, count: 3))
        #expect(fetched.sorted() == (1...3).map { "http://127.0.0.1:\($0)/metrics" })
        let up = samples.filter { $0.labels.name == "up" }
        #expect(up.count == 3 && up.allSatisfy { $0.sample.value == 0 })
    }
}
