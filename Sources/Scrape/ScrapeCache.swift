import PromModel

/// What the scrape loop remembers about one series between scrapes, keyed by the series'
/// raw bytes in the body (`name{labels}` as written), as Prometheus's scrape cache does: a
/// series seen in the previous scrape costs a dictionary lookup, not a label-set build.
struct CachedSeries {
    /// Final labels (target labels merged, metric relabeling applied); nil = dropped.
    var labels: Labels?
    /// The sample carried an explicit timestamp (exempt from staleness by default).
    var explicitTimestamp: Bool
    /// Timestamp (ms) of the last sample appended for the series; `Int64.min` before the first.
    var lastTimestampMs: Int64 = .min
    /// Bit pattern of the last value appended.
    var lastValueBits: UInt64 = 0
}

/// Per-target state that survives between scrapes.
struct ScrapeCache {
    /// Series of the last successful scrape, by raw series bytes.
    var series: [ArraySlice<UInt8>: CachedSeries] = [:]
    /// Metadata seen per family name.
    var metadata: [String: MetricMetadata] = [:]

    /// Labels of every series of the last scrape that gets a staleness marker when it
    /// disappears (dropped series and explicitly-timestamped ones are exempt).
    func stalenessCandidates(trackTimestamps: Bool) -> [Labels] {
        series.values.compactMap { entry in
            guard let l = entry.labels, trackTimestamps || !entry.explicitTimestamp else { return nil }
            return l
        }
    }
}
