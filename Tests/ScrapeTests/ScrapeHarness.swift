import AgentConfig
import Logging
import PromModel
import Prometheus
import Synchronization
import TestSupport

@testable import Scrape

/// A `Scraper` answering from memory: every fetch is recorded in `fetches` and answered with
/// what `answer` returns for the URL (a body, or a `ScrapeHTTPError`). No socket is opened.
final class InMemoryScraper: Scraper {
    enum Answer: Sendable {
        case body(String, contentType: String? = "text/plain; version=0.0.4")
        case failure(description: String, reason: ScrapeFailureReason)
    }

    let fetches = EventLog<String>()
    let answer: @Sendable (String) -> Answer

    init(answer: @escaping @Sendable (String) -> Answer) { self.answer = answer }

    func scrape(url: String, timeoutSeconds: Double, accept: String) async throws -> ScrapeResponse {
        fetches.append(url)
        switch answer(url) {
        case .body(let text, let contentType): return ScrapeResponse(body: Array(text.utf8), contentType: contentType)
        case .failure(let description, let reason): throw ScrapeHTTPError(description: description, reason: reason)
        }
    }

    func shutdown() async {}
}

/// A scrape manager on a `ManualClock`, an in-memory scraper and a commit log: scrape loops
/// run without network and without sleeping; a test moves time and awaits commits.
struct ScrapeHarness {
    let clock = ManualClock()
    let scraper: InMemoryScraper
    /// Its own ref table: refs start at 1 in every harness.
    let store = RecordingAppendable(refs: LabelsRefTable())
    /// Wall-clock time (ms since the epoch) when the manual clock reads zero.
    let baseMs: Int64
    let manager: ScrapeManager

    init(baseMs: Int64, answer: @escaping @Sendable (String) -> InMemoryScraper.Answer) {
        let clock = self.clock
        let scraper = InMemoryScraper(answer: answer)
        self.scraper = scraper
        self.baseMs = baseMs
        let seams = ScrapeSeams(
            clock: clock, nowMs: { baseMs + clock.now.offset.totalMilliseconds }, makeScraper: { _ in scraper })
        var logger = Logger(label: "scrape-test")
        logger.logLevel = .critical
        manager = ScrapeManager(
            jobs: [], storage: store, registry: PrometheusCollectorRegistry(), logger: logger, seams: seams)
    }

    /// A wall-clock start (ms since the epoch) at which no target of `job` has a slot, so every
    /// loop's first sleep parks and the first scrape of each comes within one interval.
    /// `lead`: how long before the first target's slot the clock starts.
    static func start(before job: ScrapeJob, lead: Duration = .zero) -> Int64 {
        let intervalMs = max(Int64(job.config.scrapeInterval.totalSeconds * 1000), 1)
        let offsets = Set(slotOffsets(job))
        let epoch: Int64 = 1_767_225_600_000 / intervalMs * intervalMs  // ~2026-01-01, on a slot boundary
        if lead > .zero, let first = offsets.min() {
            return epoch + first - lead.totalMilliseconds
        }
        var base = epoch + 1
        while offsets.contains(base % intervalMs) { base += 1 }
        return base
    }

    /// The slot offsets (ms into the interval) of the job's static targets.
    static func slotOffsets(_ job: ScrapeJob) -> [Int64] {
        let intervalMs = max(Int64(job.config.scrapeInterval.totalSeconds * 1000), 1)
        return TargetBuilder.staticLabelSets(job.config).compactMap { labels in
            guard case .success(let t) = TargetBuilder.build(discovered: labels, job: job) else { return nil }
            return ScrapeLoop.offsetMs(identity: t.identity, intervalMs: intervalMs)
        }
    }
}

/// A value the test sets and a fake reads, from any task.
final class Shared<Value: Sendable>: Sendable {
    private let box: Mutex<Value>
    init(_ value: Value) { box = Mutex(value) }
    var value: Value {
        get { box.withLock { $0 } }
        set { box.withLock { $0 = newValue } }
    }
}
