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
    let scraper: Scraper
    let storage: any Appendable
    let logger: Logger
    let metrics: ScrapeMetrics
    private let state: StateBox

    init(target: Target, job: ScrapeJob, scraper: Scraper, storage: any Appendable, logger: Logger, metrics: ScrapeMetrics) {
        self.target = target
        self.job = job
        self.scraper = scraper
        self.storage = storage
        var l = logger
        l[metadataKey: "target"] = "\(target.url)"
        self.logger = l
        self.metrics = metrics
        self.state = StateBox(
            TargetStatus(
                scrapePool: job.config.jobName, scrapeURL: target.url, discoveredLabels: target.discoveredLabels,
                labels: target.labels, scrapeIntervalSeconds: target.intervalSeconds,
                scrapeTimeoutSeconds: target.timeoutSeconds))
    }

    var status: TargetStatus { state.withLock { $0.status } }

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
            honorTimestamps: job.config.honorTimestamps, trackTimestampsStaleness: false,
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
        let clock = ContinuousClock()
        let startWall = currentTimeMs()
        let startInstant = clock.now
        // First slot at or after now with slot % interval == offset.
        var scheduled = startWall - ((startWall - offset) % intervalMs + intervalMs) % intervalMs
        if scheduled < startWall { scheduled += intervalMs }
        var cache = ScrapeCache()
        var lastStart: Int64? = nil
        let sa = appender
        while !Task.isCancelled {
            let wait = scheduled - startWall
            do {
                try await Task.sleep(until: startInstant + .milliseconds(wait), clock: clock)
            } catch { break }
            if let lastStart { metrics.intervalLength(job.config.jobName).record(Double(scheduled - lastStart) / 1000) }
            lastStart = scheduled
            await scrapeOnce(timestampMs: scheduled, cache: &cache, sa: sa)
            // Next slot; when a scrape overran, skip the missed slots rather than bursting.
            let now = startWall + (clock.now - startInstant).milliseconds
            scheduled += intervalMs
            if scheduled < now { scheduled += ((now - scheduled) / intervalMs + 1) * intervalMs }
        }
        if state.withLock({ $0.removed }) {
            await writeEndOfTargetStaleness(cache: cache, sa: sa)
        }
    }

    /// One scrape: GET, parse, append, report series; on failure only the report series
    /// (and staleness markers for the previous scrape's series).
    func scrapeOnce(timestampMs: Int64, cache: inout ScrapeCache, sa: ScrapeAppender) async {
        let clock = ContinuousClock()
        let began = clock.now
        let job = self.job.config.jobName
        metrics.scrapes(job).increment()
        var stats = AppendStats()
        var errorText = ""
        var warning = ""
        var reason = ""
        let app = storage.appender()
        do {
            let resp = try await scraper.scrape(
                url: target.url, timeoutSeconds: target.timeoutSeconds, accept: defaultScrapeAcceptHeader)
            var format = ExpositionFormat.from(contentType: resp.contentType)
            if format == nil {
                warning = "no or unknown Content-Type \"\(resp.contentType ?? "")\": parsed as text 0.0.4"
                format = .prometheusText
            }
            stats = try sa.append(body: resp.body, format: format!, timestampMs: timestampMs, cache: &cache, appender: app)
            if stats.duplicates > 0 { metrics.duplicateTimestamps.increment(by: Int64(stats.duplicates)) }
        } catch let e as ScrapeHTTPError {
            errorText = e.description
            reason = e.reason
        } catch let e as ScrapeAppendError {
            errorText = e.description
            reason = e.reason
        } catch {
            errorText = "\(error)"
            reason = "append"
        }
        let durationSeconds = (clock.now - began).seconds
        do {
            if !errorText.isEmpty {
                app.rollback()
                stats = AppendStats()
                // Every series of the last good scrape ends here.
                for l in cache.stalenessCandidates(trackTimestamps: false) {
                    try app.append(l, timestampMs: timestampMs, value: StaleNaN.value)
                }
                cache.series.removeAll(keepingCapacity: true)
                metrics.failures(job, reason: reason).increment()
                switch reason {
                case "sample_limit": metrics.exceededSampleLimit.increment()
                case "label_limit", "label_name_length_limit", "label_value_length_limit": metrics.exceededLabelLimits.increment()
                case "body_size_limit": metrics.exceededBodySizeLimit.increment()
                default: break
                }
                logger.debug("scrape failed", metadata: ["err": "\(errorText)"])
            }
            for md in cache.metadata.values { app.updateMetadata(md) }
            try sa.reportSeries(
                up: errorText.isEmpty, durationSeconds: durationSeconds, stats: stats, timestampMs: timestampMs,
                appender: app)
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
        }
    }

    /// Staleness markers for a removed target: its series and its report series.
    func writeEndOfTargetStaleness(cache: ScrapeCache, sa: ScrapeAppender) async {
        let app = storage.appender()
        let ts = currentTimeMs()
        do {
            for l in cache.stalenessCandidates(trackTimestamps: false) {
                try app.append(l, timestampMs: ts, value: StaleNaN.value)
            }
            for name in ["up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling", "scrape_series_added"] {
                var b = LabelsBuilder(target.labels)
                b.set(Labels.metricName, name)
                try app.append(b.labels(), timestampMs: ts, value: StaleNaN.value)
            }
            try await app.commit()
        } catch {
            app.rollback()
        }
    }
}

/// The mutable, lock-protected part of a scrape loop read by the status pages.
final class StateBox: @unchecked Sendable {
    struct State {
        var status: TargetStatus
        var removed = false
    }
    private let lock = NSLockLite()
    private var state: State

    init(_ status: TargetStatus) { state = State(status: status) }

    func withLock<T>(_ body: (inout State) -> T) -> T { lock.withLock { body(&state) } }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
    /// Seconds as a Double.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
