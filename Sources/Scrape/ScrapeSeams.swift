import AgentConfig
import PromModel

/// What the scrape side takes from outside: the clock it waits on, the wall clock of sample
/// timestamps, and how targets are fetched. Production uses the defaults; tests inject a
/// `ManualClock`, a fixed wall clock and an in-memory `Scraper`, so scrape loops run without
/// network and without sleeping (VictoriaMetrics' `scrapework` passes `ReadData` the same way).
struct ScrapeSeams: Sendable {
    /// What loops, pools and `HTTPScraper` wait on: interval ticks, the slot offset, the
    /// scrape timeout, the end-of-run staleness delay, hand-over polling.
    var clock: any Clock<Duration>
    /// Now as milliseconds since the Unix epoch: slot alignment and sample timestamps.
    var nowMs: @Sendable () -> Int64
    /// Builds the fetcher of a scrape pool.
    /// - Throws: when the job's TLS or auth files cannot be read.
    var makeScraper: @Sendable (ScrapeConfig) throws -> any Scraper

    /// - Parameter makeScraper: nil: an `HTTPScraper` timed by `clock`.
    init(
        clock: any Clock<Duration> = ContinuousClock(), nowMs: @escaping @Sendable () -> Int64 = currentTimeMs,
        makeScraper: (@Sendable (ScrapeConfig) throws -> any Scraper)? = nil
    ) {
        self.clock = clock
        self.nowMs = nowMs
        self.makeScraper = makeScraper ?? { try HTTPScraper(config: $0, clock: clock) }
    }
}
