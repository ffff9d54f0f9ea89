import PromModel

/// A sample of a series given by ref (what appenders hand to the WAL).
public struct RefSample: Sendable, Equatable {
    public var ref: SeriesRef
    public var timestampMs: Int64
    public var value: Double

    public init(ref: SeriesRef, timestampMs: Int64, value: Double) {
        self.ref = ref
        self.timestampMs = timestampMs
        self.value = value
    }

    public static func == (a: RefSample, b: RefSample) -> Bool {
        a.ref == b.ref && a.timestampMs == b.timestampMs && a.value.bitPattern == b.value.bitPattern
    }
}

/// The series storage knows, by `SeriesRef` (Prometheus's head series, reduced to what an
/// agent needs): each series' label set once, with `global.external_labels` added, encoded as
/// the remote-write `Label` fields it is sent as (a `WireSeries`), and when it was last
/// appended. The same `WireSeries` object is what the WAL's readers send: a reader that finds
/// a definition it reads equal to the table's series of that ref shares the table's object
/// (see `shared(_:walLabels:)`), so a label set is held once from scrape to send. The WAL
/// writes definitions from it (`appendWALDefinition`).
///
/// A ref is a slot index (low 32 bits) and the slot's generation (high 32 bits): a slot is
/// reused once its series has been collected, and an old ref to it is then recognised as
/// unknown. Equal label sets get the same ref (found by hash on the slow path only).
///
/// Memory per series: one 16-byte slot, one `WireSeries` of the encoded labels (shared with
/// the readers), 8–16 bytes of open-addressing index. Thread-safe (one lock; appenders touch
/// it once per sample, the WAL once per record).
// @unchecked: every stored `var` is read and written under `lock` only; the compiler cannot see a lock discipline.
public final class SeriesTable: @unchecked Sendable {
    struct Slot {
        /// The series; nil when the slot is free.
        var series: WireSeries?
        /// Bumped every time the slot is freed.
        var generation: UInt32 = 1
        /// Collection tick of the last append (see `collect`), and in the top bit
        /// (`SeriesTable.stale`) whether the series was defined under external labels that
        /// have changed since.
        var tick: UInt32 = 0
    }

    /// The mark in `Slot.tick` of a series defined under earlier external labels.
    static let stale: UInt32 = 1 << 31

    private let lock = NSLockLite()
    private var slots: ContiguousArray<Slot> = []
    private var free: [UInt32] = []
    /// Open-addressing index by series hash (linear probing, power-of-two size, at most half
    /// full): slot number + 1, 0 for an empty position.
    private var index: [UInt32] = []
    private var tick: UInt32 = 0
    private var live = 0
    private var external = Labels()

    public init() {}

    /// Series known now.
    public var count: Int { lock.withLock { live } }

    /// The external labels every series gets (those it lacks; its own label wins).
    public var externalLabels: Labels { lock.withLock { external } }

    /// Sets the external labels; returns whether they changed. When they change, every series
    /// becomes stale: `touch` refuses its ref, so appenders define it again by labels (now
    /// with the new external labels, under a new ref), while samples already appended by the
    /// old ref are still written with the labels they had (as Prometheus sends what it
    /// scraped before a reload). Stale series are collected like idle ones.
    @discardableResult
    public func setExternalLabels(_ labels: Labels) -> Bool {
        lock.withLock {
            guard labels != external else { return false }
            external = labels
            for i in slots.indices where slots[i].series != nil { slots[i].tick |= Self.stale }
            return true
        }
    }

    /// The ref of `labels` (external labels are added here), creating the series if needed.
    public func ref(for labels: Labels) -> SeriesRef {
        let ext = externalLabels
        var merged = ext.isEmpty ? labels : Self.merge(labels, ext)
        if merged.contains(where: { $0.value.isEmpty }) {
            // An empty value is no label (the WAL and the encoder drop it too).
            merged = Labels(trustedSorted: merged.filter { !$0.value.isEmpty })
        }
        let made = WireSeries.make(merged)
        return lock.withLock {
            // External labels changed while encoding: encode again (rare).
            if external != ext { return nil }
            if let i = find(made) {
                slots[i].tick = tick  // and no longer stale: the same labels under either
                return Self.ref(UInt32(i), slots[i].generation)
            }
            let i: Int
            if let f = free.popLast() {
                i = Int(f)
            } else {
                // Full (`WALRecord.maxSeriesRef` series): a ref no series has; the WAL counts
                // and logs its samples as lost.
                if slots.count >= WALRecord.maxSeriesRef { return Self.ref(UInt32.max, 0) }
                i = slots.count
                slots.append(Slot())
            }
            slots[i].series = made
            slots[i].tick = tick
            live += 1
            if live * 2 > index.count { rebuildIndex() } else { indexInsert(i, hash: made.hash) }
            return Self.ref(UInt32(i), slots[i].generation)
        } ?? ref(for: labels)
    }

    /// Marks `ref` as appended now; false when the series is unknown (collected).
    @inline(__always)
    public func touch(_ ref: SeriesRef) -> Bool {
        let i = Int(truncatingIfNeeded: ref.raw & 0xffff_ffff)
        let g = UInt32(truncatingIfNeeded: ref.raw >> 32)
        return lock.withLock {
            guard i < slots.count, slots[i].generation == g, slots[i].series != nil,
                slots[i].tick & Self.stale == 0
            else { return false }
            slots[i].tick = tick
            return true
        }
    }

    /// The series of `ref`, nil when unknown.
    func series(_ ref: SeriesRef) -> WireSeries? {
        let i = Int(truncatingIfNeeded: ref.raw & 0xffff_ffff)
        let g = UInt32(truncatingIfNeeded: ref.raw >> 32)
        return lock.withLock { i < slots.count && slots[i].generation == g ? slots[i].series : nil }
    }

    /// Calls `body` with every slot under the table's lock (the WAL resolves a record's refs
    /// with one lock).
    func withSlots<T>(_ body: (borrowing ContiguousArray<Slot>) -> T) -> T { lock.withLock { body(slots) } }

    /// The table's series in slot `index` when it is the series `walLabels` defines (a WAL
    /// definition, `WALRecord.putLabels` layout): a WAL reader then sends the table's object
    /// instead of a copy of its own. Nil when the slot holds another series or none (a
    /// definition from before a restart, or of a series since collected).
    func shared(_ index: Int, walLabels: UnsafeRawBufferPointer) -> WireSeries? {
        guard let s = lock.withLock({ index < slots.count ? slots[index].series : nil }) else { return nil }
        return s.matches(walLabels: walLabels) ? s : nil
    }

    /// The labels of `ref` (slow: builds Strings; for tests and tools).
    public func labels(_ ref: SeriesRef) -> Labels? { series(ref)?.labels }

    /// Starts a new collection tick and frees the series not appended during the last
    /// `idleTicks` ticks. Call it periodically (the WAL's housekeeping does, every minute):
    /// a series then lives at least `idleTicks` minutes after its last sample. Returns the
    /// number of series freed.
    @discardableResult
    public func collect(idleTicks: UInt32) -> Int {
        lock.withLock {
            tick = (tick &+ 1) & ~Self.stale
            var freed = 0
            for i in slots.indices where slots[i].series != nil && (tick &- slots[i].tick) & ~Self.stale > idleTicks {
                indexRemove(i)
                freeSlot(i)
                freed += 1
            }
            return freed
        }
    }

    /// Frees slot `i` (under the lock; its index entry is the caller's business).
    private func freeSlot(_ i: Int) {
        slots[i].series = nil
        slots[i].generation &+= 1
        if slots[i].generation == 0 { slots[i].generation = 1 }
        free.append(UInt32(i))
        live -= 1
    }

    // MARK: - The index

    @inline(__always)
    private static func home(_ hash: UInt64, _ mask: Int) -> Int {
        // FNV-1a's low bits are weak: mix before masking.
        var h = hash ^ (hash >> 31)
        h &*= 0x7fb5_d329_728e_a185
        return Int(truncatingIfNeeded: h ^ (h >> 27)) & mask
    }

    /// The slot holding a series with the same labels as `s`, if any (under the lock).
    private func find(_ s: WireSeries) -> Int? {
        guard !index.isEmpty else { return nil }
        let mask = index.count - 1
        var p = Self.home(s.hash, mask)
        while index[p] != 0 {
            let i = Int(index[p] - 1)
            if let t = slots[i].series, t.hash == s.hash, t.sameBytes(as: s) { return i }
            p = (p + 1) & mask
        }
        return nil
    }

    private func indexInsert(_ i: Int, hash: UInt64) {
        let mask = index.count - 1
        var p = Self.home(hash, mask)
        while index[p] != 0 { p = (p + 1) & mask }
        index[p] = UInt32(i + 1)
    }

    /// Removes slot `i`'s entry, shifting later entries of its probe run back (no tombstones).
    private func indexRemove(_ i: Int) {
        guard let s = slots[i].series, !index.isEmpty else { return }
        let mask = index.count - 1
        var p = Self.home(s.hash, mask)
        while index[p] != 0 && index[p] != UInt32(i + 1) { p = (p + 1) & mask }
        guard index[p] != 0 else { return }
        index[p] = 0
        var q = (p + 1) & mask
        while index[q] != 0 {
            let j = Int(index[q] - 1)
            let h = Self.home(slots[j].series?.hash ?? 0, mask)
            // Move the entry at q into the hole at p unless its home lies in (p, q].
            let between = p <= q ? (h > p && h <= q) : (h > p || h <= q)
            if !between {
                index[p] = index[q]
                index[q] = 0
                p = q
            }
            q = (q + 1) & mask
        }
    }

    private func rebuildIndex() {
        var size = 16
        while size < live * 2 { size <<= 1 }
        index = [UInt32](repeating: 0, count: size)
        for i in slots.indices { if let s = slots[i].series { indexInsert(i, hash: s.hash) } }
    }

    static func ref(_ i: UInt32, _ g: UInt32) -> SeriesRef { SeriesRef(raw: UInt64(g) << 32 | UInt64(i)) }

    /// `series` plus every external label whose name it does not have (the series' own
    /// label wins, as in Prometheus). Both inputs are sorted; one merge pass.
    static func merge(_ series: Labels, _ external: Labels) -> Labels {
        var out: [Label] = []
        out.reserveCapacity(series.count + external.count)
        var i = series.startIndex
        var j = external.startIndex
        while i < series.endIndex || j < external.endIndex {
            if j == external.endIndex {
                out.append(series[i])
                i += 1
            } else if i == series.endIndex {
                out.append(external[j])
                j += 1
            } else if series[i].name == external[j].name {
                out.append(series[i])
                i += 1
                j += 1
            } else if series[i] < external[j] {
                out.append(series[i])
                i += 1
            } else {
                out.append(external[j])
                j += 1
            }
        }
        return Labels(trustedSorted: out)
    }

    /// Decodes `WALRecord.putLabels` bytes.
    static func decode(_ bytes: [UInt8]) -> Labels? {
        bytes.withUnsafeBytes { buf in
            var r = ByteReader(buf: buf, pos: 0)
            guard let n = try? r.uvarint() else { return nil }
            var out: [Label] = []
            out.reserveCapacity(Int(n))
            for _ in 0..<n {
                guard let name = try? r.string(), let value = try? r.string() else { return nil }
                out.append(Label(name, value))
            }
            return Labels(trustedSorted: out)
        }
    }
}
