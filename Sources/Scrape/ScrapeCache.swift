import PromModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the scrape loop remembers about one series between scrapes, keyed by the series'
/// raw bytes in the body (`name{labels}` as written), as Prometheus's scrape cache does: a
/// series seen before costs a key hash, not a label-set build. The labels themselves live in
/// storage, once; the cache keeps the series' `SeriesRef` and the 128-bit hash of its raw
/// bytes, not the bytes (56 bytes per entry plus 8–16 of index and order).
struct CachedSeries {
    /// The key's 128-bit hash; its low half also places the entry in the index.
    var key: KeyHash
    /// The series' ref in storage; `SeriesRef.dropped`: metric relabeling dropped it.
    var ref: SeriesRef
    /// Timestamp (ms) of the last sample appended for the series; `Int64.min` before the first.
    var lastTimestampMs: Int64 = .min
    /// Bit pattern of the first value of the series in the current scrape (duplicates).
    var lastValueBits: UInt64 = 0
    /// Scrape iteration in which the series last appeared in a body.
    var lastSeenIter: Int32
    /// Scrape iteration in which the series was last appended with staleness tracking
    /// (Prometheus's `seriesCur`/`seriesPrev`); explicitly-timestamped samples are not
    /// tracked unless `track_timestamps_staleness`.
    var staleIter: Int32 = -1
    /// Position of the series in the previous scrape's body order (-1: not in it).
    var prevPos: Int32 = -1

    var isDropped: Bool { ref == .dropped }
}

extension SeriesRef {
    /// The scrape cache's mark for a series metric relabeling dropped.
    static let dropped = SeriesRef(raw: .max)
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
/// A series is known by the 128-bit `KeyHash` of its raw bytes: vmagent keeps no per-series
/// cache at all, Prometheus keeps the bytes; promsls keeps what staleness markers and
/// `scrape_series_added` need — which series were seen — and the ref, in 56 bytes. Lookups
/// first try the series expected next (bodies list their series in the same order scrape
/// after scrape): one hash comparison against the entry at the cursor of the previous
/// scrape's order; only a series out of place costs an index probe. The index is an
/// open-addressing table of entry numbers, so a cached series costs no heap allocation of
/// its own.
struct ScrapeCache {
    /// The series, in insertion order (compacted when entries are forgotten).
    var entries: ContiguousArray<CachedSeries> = []
    /// This cache's hash seed (random per cache: a body cannot be made to collide on purpose).
    private let seed = KeyHash.randomSeed()
    /// Open-addressing index (linear probing, power-of-two size, at most half full): entry
    /// number, or -1 for an empty slot.
    private var slots: [Int32] = []
    /// Entry indices in the body order of the previous scrape, and of the current one.
    var order: [Int32] = []
    var nextOrder: [Int32] = []
    /// Position in `order` of the series expected next.
    var cursor = 0
    /// Raw metadata lines seen, to skip unchanged HELP/TYPE/UNIT lines without building strings.
    var seenMetadata: [ByteKey: SeenMetadata] = [:]
    /// Number of the current (or last) scrape.
    var iter: Int32 = 0
    /// Cache size after the last flush, for the forced-flush heuristic.
    var successfulCount = 0
    /// Metadata seen per family name.
    var metadata: [String: MetricMetadata] = [:]
    /// Entries seen in the current iteration (the flush is skipped when all were).
    var seenThisIter = 0
    /// Refs of the target's report series (`up`, `scrape_*`), in `reportSeriesNames` order.
    var reportRefs: [SeriesRef] = []

    var count: Int { entries.count }
    /// Positions in the index (tests).
    var indexSize: Int { slots.count }

    /// Starts a scrape iteration.
    mutating func beginIteration() {
        iter += 1
        seenThisIter = 0
        cursor = 0
        nextOrder.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    private func matches(_ i: Int, _ h: KeyHash) -> Bool {
        entries[i].key == h
    }

    /// The entry for `key` (a slice of the current body), or nil.
    @inline(__always)
    mutating func find(_ key: ArraySlice<UInt8>) -> Int? {
        let h = key.withUnsafeBytes { KeyHash($0, seed: seed) }
        if cursor < order.count {
            let i = Int(order[cursor])
            if matches(i, h) {
                cursor += 1
                return i
            }
        }
        guard let i = lookup(h) else { return nil }
        // Out of place: continue the sequential guess after its old position.
        if entries[i].prevPos >= 0 { cursor = Int(entries[i].prevPos) + 1 }
        return i
    }

    private func lookup(_ h: KeyHash) -> Int? {
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: h.lo) & mask
        while true {
            let i = Int(slots[s])
            if i < 0 { return nil }
            if matches(i, h) { return i }
            s = (s + 1) & mask
        }
    }

    private mutating func indexInsert(_ i: Int) {
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: entries[i].key.lo) & mask
        while slots[s] >= 0 { s = (s + 1) & mask }
        slots[s] = Int32(i)
    }

    /// Makes the index at least twice `minimumCapacity` (at most half full) and fills it.
    private mutating func rebuildIndex(minimumCapacity: Int) {
        var size = 16
        while size < minimumCapacity * 2 { size <<= 1 }
        if slots.count != size {
            slots = [Int32](repeating: -1, count: size)
        } else {
            for s in slots.indices { slots[s] = -1 }
        }
        for i in entries.indices { indexInsert(i) }
    }

    /// Adds a new series for `key` (only its hash is kept, so the body can be freed);
    /// returns its index.
    mutating func insert(key: ArraySlice<UInt8>, ref: SeriesRef, lastSeenIter: Int32) -> Int {
        let i = entries.count
        let h = key.withUnsafeBytes { KeyHash($0, seed: seed) }
        entries.append(CachedSeries(key: h, ref: ref, lastSeenIter: lastSeenIter))
        if entries.count * 2 > slots.count {
            rebuildIndex(minimumCapacity: entries.count)
        } else {
            indexInsert(i)
        }
        return i
    }

    /// Records that entry `i` appeared in the current body (in order).
    @inline(__always)
    mutating func seen(_ i: Int) { nextOrder.append(Int32(i)) }

    /// Series appended (with staleness tracking) in the previous iteration but not in this
    /// one: they get staleness markers now.
    func vanishedSeries() -> [SeriesRef] {
        var out: [SeriesRef] = []
        for entry in entries where entry.staleIter == iter - 1 && !entry.isDropped { out.append(entry.ref) }
        return out
    }

    /// Series appended with staleness tracking in the current iteration (a removed target's
    /// end-of-run markers).
    func currentSeries() -> [SeriesRef] {
        entries.compactMap { $0.staleIter == iter && !$0.isDropped ? $0.ref : nil }
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
            rebuildIndex(minimumCapacity: entries.count)
            nextOrder = nextOrder.compactMap { remap[Int($0)] >= 0 ? remap[Int($0)] : nil }
        }
        if entries.capacity > entries.count + entries.count / 4 + 64 {
            // Appending doubled the storage (up to 2x the series): keep only what is used.
            var exact = ContiguousArray<CachedSeries>()
            exact.reserveCapacity(entries.count)
            exact.append(contentsOf: entries)
            entries = exact
        }
        for i in entries.indices { entries[i].prevPos = -1 }
        for (pos, i) in nextOrder.enumerated() { entries[Int(i)].prevPos = Int32(pos) }
        swap(&order, &nextOrder)
        return forced
    }
}
