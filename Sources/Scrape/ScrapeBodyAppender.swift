import Exposition
import PromModel

/// The scrape path without HTTP: parses bodies of one target and appends them with target
/// labels, metric relabeling, the per-series cache and staleness markers, exactly as a
/// scrape loop does. For benchmarks, tools and tests.
public final class ScrapeBodyAppender {
    private let sa: ScrapeAppender
    private var cache = ScrapeCache()

    public init(targetLabels: Labels, honorLabels: Bool = false, metricRelabel: LabelsTransform? = nil) {
        sa = ScrapeAppender(
            targetLabels: targetLabels, honorLabels: honorLabels, honorTimestamps: true,
            trackTimestampsStaleness: false, metricRelabel: metricRelabel, limits: ScrapeLimits())
    }

    /// Appends one scrape body at `timestampMs` (ms since the epoch).
    /// - Throws: `ScrapeAppendError` on a parse error or exceeded limit (nothing appended).
    public func append(body: [UInt8], format: ExpositionFormat, timestampMs: Int64, to appender: any Appender) throws
        -> AppendStats
    {
        try sa.append(body: body, format: format, timestampMs: timestampMs, cache: &cache, appender: appender)
    }
}
