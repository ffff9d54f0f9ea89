import PromModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the scrape loop remembers about one series between scrapes, keyed by the series'
/// raw bytes in the body (`name{labels}` as written), as Prometheus's scrape cache does: a
/// series seen before costs a key comparison, not a label-set build.
struct CachedSeries {
    /// The raw series bytes (owned copy).
    var key: ByteKey
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
    /// Position of the series in the previous scrape's body order (-1: not in it).
    var prevPos: Int32 = -1

    init(key: ByteKey, labels: Labels?, lastSeenIter: Int) {
        self.key = key
        self.labels = labels
        self.lastSeenIter = lastSeenIter
    }
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
///
/// Lookups first try the series expected next — bodies list their series in the same order
/// scrape after scrape — with one `memcmp` against the entry at the cursor of the previous
/// scrape's order; only a series out of place costs a hash lookup.
struct ScrapeCache {
    /// The series, in insertion order (compacted when entries are forgotten).
    var entries: ContiguousArray<CachedSeries> = []
    /// Raw series bytes → index in `entries`.
    var index: [ByteKey: Int32] = [:]
    /// Entry indices in the body order of the previous scrape, and of the current one.
    var order: [Int32] = []
    var nextOrder: [Int32] = []
    /// Position in `order` of the series expected next.
    var cursor = 0
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

    var count: Int { entries.count }

    /// Starts a scrape iteration.
    mutating func beginIteration() {
        iter += 1
        seenThisIter = 0
        cursor = 0
        nextOrder.removeAll(keepingCapacity: true)
    }

    /// The entry for `key` (a slice of the current body), or nil.
    @inline(__always)
    mutating func find(_ key: ByteKey) -> Int? {
        if cursor < order.count {
            let i = Int(order[cursor])
            if entries[i].key == key {
                cursor += 1
                return i
            }
        }
        guard let i = index[key].map(Int.init) else { return nil }
        // Out of place: continue the sequential guess after its old position.
        if entries[i].prevPos >= 0 { cursor = Int(entries[i].prevPos) + 1 }
        return i
    }

    /// Adds a new series (its key copied so the body can be freed); returns its index.
    mutating func insert(_ entry: CachedSeries) -> Int {
        let i = entries.count
        entries.append(entry)
        index[entry.key] = Int32(i)
        return i
    }

    /// Records that entry `i` appeared in the current body (in order).
    @inline(__always)
    mutating func seen(_ i: Int) { nextOrder.append(Int32(i)) }

    /// Series appended (with staleness tracking) in the previous iteration but not in this
    /// one: they get staleness markers now.
    func vanishedSeries() -> [Labels] {
        var out: [Labels] = []
        for entry in entries where entry.staleIter == iter - 1 {
            if let l = entry.labels { out.append(l) }
        }
        return out
    }

    /// Series appended with staleness tracking in the current iteration (a removed target's
    /// end-of-run markers).
    func currentSeries() -> [Labels] {
        entries.compactMap { $0.staleIter == iter ? $0.labels : nil }
    }

    /// Ends an iteration: the body order becomes the next scrape's guess. After a successful,
    /// non-empty scrape (`flush`) entries not seen in it are forgotten; after failures the
    /// cache is kept, unless it has grown past twice its last flushed size plus 1000
    /// (Prometheus's `iterDone`). Returns whether a flush was forced.
    mutating func endIteration(flush: Bool) -> Bool {
        var doFlush = flush
        var forced = false
        if flush {
            successfulCount = entries.count
        } else if entries.count > successfulCount * 2 + 1000 {
            doFlush = true
            forced = true
        }
        if doFlush && seenThisIter < entries.count {
            let it = iter
            var remap = [Int32](repeating: -1, count: entries.count)
            var kept = ContiguousArray<CachedSeries>()
            kept.reserveCapacity(seenThisIter)
            for (i, e) in entries.enumerated() where e.lastSeenIter == it {
                remap[i] = Int32(kept.count)
                kept.append(e)
            }
            entries = kept
            index.removeAll(keepingCapacity: true)
            for (i, e) in entries.enumerated() { index[e.key] = Int32(i) }
            nextOrder = nextOrder.compactMap { remap[Int($0)] >= 0 ? remap[Int($0)] : nil }
        }
        for i in entries.indices { entries[i].prevPos = -1 }
        for (pos, i) in nextOrder.enumerated() { entries[Int(i)].prevPos = Int32(pos) }
        swap(&order, &nextOrder)
        return forced
    }
}
