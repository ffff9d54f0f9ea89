#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PromModel

/// What the scrape loop remembers about one series between scrapes, keyed by the series'
/// raw bytes in the body (`name{labels}` as written), as Prometheus's scrape cache does: a
/// series seen before costs a dictionary lookup, not a label-set build.
struct CachedSeries {
    /// Final labels (target labels merged, metric relabeling applied); nil = dropped.
    var labels: Labels?
    /// Scrape iteration in which the series last appeared in a body.
    var lastSeenIter: Int
    /// Scrape iteration in which the series was last appended with staleness tracking
    /// (Prometheus's `seriesCur`/`seriesPrev`); explicitly-timestamped samples are not
    /// tracked unless `track_timestamps_staleness`.
    var staleIter: Int = -1
    /// Timestamp (ms) of the last sample appended for the series; `Int64.min` before the first.
    var lastTimestampMs: Int64 = .min
    /// Bit pattern of the first value of the series in the current scrape (duplicates).
    var lastValueBits: UInt64 = 0
}

/// A byte string used as a dictionary key: hashed in one pass over its bytes and compared
/// with `memcmp` (an `ArraySlice<UInt8>` key hashes byte by byte, several times slower).
struct ByteKey: Hashable {
    var bytes: ArraySlice<UInt8>

    /// A key over `bytes` without copying (for lookups).
    init(borrowing bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    /// A key owning a copy of `bytes` (for storing: the body can then be freed).
    init(copying bytes: ArraySlice<UInt8>) { self.bytes = ArraySlice(Array(bytes)) }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    static func == (a: ByteKey, b: ByteKey) -> Bool {
        guard a.bytes.count == b.bytes.count else { return false }
        return a.bytes.withUnsafeBytes { pa in
            b.bytes.withUnsafeBytes { pb in memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0 }
        }
    }
}

/// Metadata lines as last seen, by family name bytes: unchanged lines cost a lookup.
struct SeenMetadata {
    var type: MetricType?
    var help: ByteKey?
    var unit: ByteKey?
}

/// Per-target state that survives between scrapes (Prometheus's `scrapeCache`).
struct ScrapeCache {
    /// Series by raw series bytes. Stored keys own their bytes (copied once, when a series is
    /// first seen); lookups use slices of the current body without copying.
    var series: [ByteKey: CachedSeries] = [:]
    /// Raw metadata lines seen, to skip unchanged HELP/TYPE/UNIT lines without building strings.
    var seenMetadata: [ByteKey: SeenMetadata] = [:]
    /// Number of the current (or last) scrape.
    var iter = 0
    /// Cache size after the last flush, for the forced-flush heuristic.
    var successfulCount = 0
    /// Metadata seen per family name.
    var metadata: [String: MetricMetadata] = [:]
    /// Entries seen in the current iteration (the flush is skipped when all were).
    var seenThisIter = 0

    /// Starts a scrape iteration.
    mutating func beginIteration() {
        iter += 1
        seenThisIter = 0
    }

    /// Series appended (with staleness tracking) in the previous iteration but not in this
    /// one: they get staleness markers now.
    func vanishedSeries() -> [Labels] {
        var out: [Labels] = []
        for entry in series.values where entry.staleIter == iter - 1 {
            if let l = entry.labels { out.append(l) }
        }
        return out
    }

    /// Series appended with staleness tracking in the current iteration (a removed target's
    /// end-of-run markers).
    func currentSeries() -> [Labels] {
        series.values.compactMap { $0.staleIter == iter ? $0.labels : nil }
    }

    /// Ends an iteration. After a successful, non-empty scrape (`flush`) entries not seen in
    /// it are forgotten; after failures the cache is kept, unless it has grown past twice its
    /// last flushed size plus 1000 (Prometheus's `iterDone`).
    mutating func endIteration(flush: Bool) -> Bool {
        var doFlush = flush
        var forced = false
        if flush {
            successfulCount = series.count
        } else if series.count > successfulCount * 2 + 1000 {
            doFlush = true
            forced = true
        }
        if doFlush && seenThisIter < series.count {
            let it = iter
            series = series.filter { $0.value.lastSeenIter == it }
        }
        return forced
    }
}
