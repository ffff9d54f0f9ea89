import AgentConfig
import Exposition
import Logging
import PromModel

/// Scrapes one target on its interval and appends the result, as Prometheus's `scrapeLoop`.
///
/// Scrapes start at a deterministic offset inside the interval (from the target's hash), so
/// targets spread over the interval and keep their phase across restarts. The sample
/// timestamp of a scrape is its scheduled start.
final class ScrapeLoop: Sendable {
    let target: Target
    let job: ScrapeJob
    let scraper: any Scraper
    let storage: any Appendable
    /// `scrape_failure_log_file` of the job, if set.
    let failureLog: ScrapeFailureLog?
    /// What the loop waits on and how it reads the time.
    let clock: any Clock<Duration>
    let nowMs: @Sendable () -> Int64
    let logger: Logger
    let metrics: ScrapeMetrics
    /// `Accept` built from `scrape_protocols`.
    let acceptHeader: String
    /// `fallback_scrape_protocol`, used when the Content-Type is missing or unknown.
    let fallbackFormat: ExpositionFormat?
    /// `promsls_target_scrapes_total{scrape_job}`, looked up once rather than per scrape.
    private let scrapesTotal: LabeledFamilies.Series
    private let state: StateBox

    /// - Parameters:
    ///   - seams: the clock waited on and the wall clock of sample timestamps (its
    ///     `makeScraper` is not used: the pool's `scraper` is).
    init(
        target: Target, job: ScrapeJob, scraper: any Scraper, failureLog: ScrapeFailureLog?,
        storage: any Appendable, logger: Logger, metrics: ScrapeMetrics, seams: ScrapeSeams
    ) {
        self.target = target
        self.job = job
        self.scraper = scraper
        self.failureLog = failureLog
        self.clock = seams.clock
        self.nowMs = seams.nowMs
        self.storage = storage
        var l = logger
        l[metadataKey: "target"] = "\(target.url)"
        self.logger = l
        self.metrics = metrics
        self.scrapesTotal = metrics.scrapes(job.config.jobName)
        self.acceptHeader = scrapeAcceptHeader(protocols: job.config.scrapeProtocols)
        self.fallbackFormat = job.config.fallbackScrapeProtocol.flatMap(ExpositionFormat.from(protocolName:))
        self.state = StateBox(
            TargetStatus(
                scrapePool: job.config.jobName, scrapeURL: target.url, discoveredLabels: target.discoveredLabels,
                labels: target.labels, scrapeIntervalSeconds: target.intervalSeconds,
                scrapeTimeoutSeconds: target.timeoutSeconds))
    }

    var status: TargetStatus { state.withLock { $0.status } }

    /// Replaces the labels shown as discovered (the target itself is unchanged).
    func setDiscoveredLabels(_ labels: Labels) {
        state.withLock { s in
            if s.status.discoveredLabels != labels { s.status.discoveredLabels = labels }
        }
    }

    /// Sets or clears the pool-level error that fails every scrape (`target_limit`).
    func setForcedError(_ error: String?) { state.withLock { $0.forcedError = error } }

    /// Marks the loop as removed: when it stops it writes staleness markers for every series
    /// it last wrote, report series included (Prometheus does this for removed targets).
    func markRemoved() { state.withLock { $0.removed = true } }

    var appender: ScrapeAppender {
        var limits = ScrapeLimits()
        limits.sampleLimit = job.config.sampleLimit
        limits.labelLimit = job.config.labelLimit
        limits.labelNameLengthLimit = job.config.labelNameLengthLimit
        limits.labelValueLengthLimit = job.config.labelValueLengthLimit
        return ScrapeAppender(
            targetLabels: target.labels, honorLabels: job.config.honorLabels,
            honorTimestamps: job.config.honorTimestamps,
            trackTimestampsStaleness: job.config.trackTimestampsStaleness,
            metricRelabel: job.metricRelabel, limits: limits)
    }

    /// Offset of this target's scrapes inside the interval, in ms.
    static func offsetMs(identity: UInt64, intervalMs: Int64) -> Int64 {
        guard intervalMs > 0 else { return 0 }
        return Int64(identity % UInt64(intervalMs))
    }

    /// Runs until the task is cancelled.
    func run() async {
        let intervalMs = max(Int64(target.intervalSeconds * 1000), 1)
        let offset = Self.offsetMs(identity: target.identity, intervalMs: intervalMs)
        let startWall = nowMs()
        let timeline = ClockTimeline(clock)
        // First slot at or after now with slot % interval == offset.
        var scheduled = startWall - ((startWall - offset) % intervalMs + intervalMs) % intervalMs
        if scheduled < startWall { scheduled += intervalMs }
        var cache = ScrapeCache()
        var lastStart: Int64? = nil
        let intervalLabel = formatPrometheusDuration(.milliseconds(intervalMs))
        let sa = appender
        while !Task.isCancelled {
            let wait = scheduled - startWall
            do {
                try await timeline.sleep(untilElapsed: .milliseconds(wait))
            } catch { break }
            let began = startWall + timeline.elapsed().totalMilliseconds
            if let lastStart {
                metrics.intervalLength.observe(interval: intervalLabel, seconds: Double(began - lastStart) / 1000)
            }
            lastStart = began
            await scrapeOnce(timestampMs: scheduled, cache: &cache, sa: sa)
            // Next slot; when a scrape overran, skip the missed slots rather than bursting.
            let now = startWall + timeline.elapsed().totalMilliseconds
            scheduled += intervalMs
            if scheduled < now { scheduled += ((now - scheduled) / intervalMs + 1) * intervalMs }
        }
        if state.withLock({ $0.removed }) {
            let candidates = cache.currentSeries()
            let reportRefs = cache.reportRefs
            state.withLock {
                $0.endOfRun = EndOfRun(series: candidates, reportRefs: reportRefs, firstMissedSlotMs: scheduled)
            }
        }
    }

    /// Staleness markers for a removed target, as Prometheus's `endOfRunStaleness`: wait for
    /// the next two scrape slots plus 10% of the interval (had the target come back, its
    /// samples would be there by then), then mark every series of the last scrape and the
    /// report series stale at the first missed slot. Cancelling the task (agent shutdown)
    /// writes nothing.
    func endOfRunStaleness() async {
        guard let end = state.withLock({ $0.endOfRun }) else { return }
        let intervalMs = max(Int64(target.intervalSeconds * 1000), 1)
        let wakeMs = end.firstMissedSlotMs + intervalMs + intervalMs / 10
        let waitMs = wakeMs - nowMs()
        if waitMs > 0 {
            do { try await clock.sleep(for: .milliseconds(waitMs)) } catch { return }
        }
        let app = storage.appender()
        let ts = end.firstMissedSlotMs
        do {
            // A series storage has forgotten got no sample for minutes: it is stale already.
            for ref in end.series { _ = try app.append(ref: ref, timestampMs: ts, value: StaleNaN.value) }
            for (k, name) in ScrapeAppender.reportSeriesNames(extra: job.extraScrapeMetrics).enumerated() {
                if k < end.reportRefs.count,
                    try app.append(ref: end.reportRefs[k], timestampMs: ts, value: StaleNaN.value)
                {
                    continue
                }
                var b = LabelsBuilder(target.labels)
                b.set(Labels.metricName, name)
                try app.append(b.labels(), timestampMs: ts, value: StaleNaN.value)
            }
            try await app.commit()
        } catch {
            app.rollback()
            logger.error("writing staleness markers for removed target failed", metadata: ["err": "\(error)"])
        }
    }

    /// One scrape: GET, parse, append, report series; on failure only the report series
    /// (and staleness markers for the previous scrape's series).
    func scrapeOnce(timestampMs: Int64, cache: inout ScrapeCache, sa: ScrapeAppender) async {
        let stopwatch = ClockTimeline(clock)
        let job = self.job.config.jobName
        scrapesTotal.increment()
        var stats = AppendStats()
        var errorText = ""
        var warning = ""
        var reason: ScrapeFailureReason? = nil
        var bodySize = 0
        var parsed = false
        let app = storage.appender()
        do {
            if let forced = state.withLock({ $0.forcedError }) {
                throw ScrapeHTTPError(description: forced, reason: .targetLimit)
            }
            let resp = try await scraper.scrape(
                url: target.url, timeoutSeconds: target.timeoutSeconds, accept: acceptHeader)
            bodySize = resp.body.count
            let format: ExpositionFormat
            if let f = ExpositionFormat.from(contentType: resp.contentType) {
                format = f
            } else if let fallbackFormat {
                format = fallbackFormat
            } else {
                // Deliberate difference from Prometheus 3 (docs/differences.md): parse as
                // text 0.0.4, as Prometheus 2 did, and say so in the target's state.
                if !resp.body.isEmpty {
                    warning =
                        resp.contentType.map { "unsupported Content-Type \"\($0)\": parsed as text 0.0.4" }
                        ?? "no Content-Type: parsed as text 0.0.4"
                }
                format = .prometheusText
            }
            parsed = true
            let timeout = Duration.nanoseconds(Int64(target.timeoutSeconds * 1e9))
            stats = try sa.append(
                body: resp.body, format: format, timestampMs: timestampMs, cache: &cache, appender: app,
                pastDeadline: { stopwatch.elapsed() >= timeout })
            if stats.forcedCacheFlush { metrics.cacheFlushForced.increment() }
            if stats.duplicates > 0 { metrics.duplicateTimestamps.increment(by: Int64(stats.duplicates)) }
            if stats.outOfOrder > 0 { metrics.outOfOrder.increment(by: Int64(stats.outOfOrder)) }
        } catch let e as ScrapeHTTPError {
            errorText = e.description
            reason = e.reason
        } catch let e as ScrapeAppendError {
            errorText = e.description
            reason = e.reason
            // Prometheus reports what was counted before the failure.
            stats = e.partial
            stats.duplicates = 0
            stats.outOfOrder = 0
        } catch {
            errorText = "\(error)"
            reason = .append
        }
        let durationSeconds = stopwatch.elapsed().totalSeconds
        do {
            if !errorText.isEmpty {
                app.rollback()
                // Every series of the previous scrape not parsed before the failure ends here.
                _ = try sa.appendFailure(afterParse: parsed, timestampMs: timestampMs, cache: &cache, appender: app)
                let why = reason ?? .append
                metrics.failures(job, reason: why).increment()
                if why == .sampleLimit { metrics.exceededSampleLimit.increment() }
                if why.isLabelLimit { metrics.exceededLabelLimits.increment() }
                if why == .bodySizeLimit { metrics.exceededBodySizeLimit.increment() }
                logger.debug("scrape failed", metadata: ["err": "\(errorText)"])
                failureLog?.record(targetURL: target.url, error: errorText, timestampMs: timestampMs)
            }
            for md in cache.metadata.values { app.updateMetadata(md) }
            var extra: [(String, Double)] = []
            if self.job.extraScrapeMetrics {
                extra = [
                    ("scrape_timeout_seconds", target.timeoutSeconds),
                    ("scrape_sample_limit", Double(self.job.config.sampleLimit)),
                    (
                        "scrape_body_size_bytes",
                        errorText.isEmpty ? Double(bodySize) : (reason == .bodySizeLimit ? -1 : 0)
                    ),
                ]
            }
            try sa.reportSeries(
                up: errorText.isEmpty, durationSeconds: durationSeconds, stats: stats, timestampMs: timestampMs,
                appender: app, extra: extra, refs: &cache.reportRefs)
            try await app.commit()
        } catch {
            app.rollback()
            logger.error("appending scrape failed", metadata: ["err": "\(error)"])
        }
        state.withLock {
            $0.status.health = errorText.isEmpty ? .up : .down
            $0.status.lastError = errorText
            $0.status.lastWarning = warning
            $0.status.lastScrapeMs = timestampMs
            $0.status.lastScrapeDurationSeconds = durationSeconds
            $0.status.lastSamples = stats.postRelabel
            $0.status.metadata = cache.metadata
        }
    }

}

/// The mutable, lock-protected part of a scrape loop read by the status pages.
// @unchecked: every stored `var` is read and written under `lock` only; the compiler cannot see a lock discipline.
final class StateBox: @unchecked Sendable {
    struct State {
        var status: TargetStatus
        var removed = false
        /// Set when a removed loop stops: what `endOfRunStaleness` marks.
        var endOfRun: EndOfRun?
        /// A pool-level error (`target_limit` exceeded) failing every scrape while set.
        var forcedError: String?
    }
    private let lock = NSLockLite()
    private var state: State

    init(_ status: TargetStatus) { state = State(status: status) }

    func withLock<T>(_ body: (inout State) -> T) -> T { lock.withLock { body(&state) } }
}

/// What a removed target's loop leaves for its staleness markers.
struct EndOfRun: Sendable {
    var series: [SeriesRef]
    var reportRefs: [SeriesRef]
    var firstMissedSlotMs: Int64
}
