import PromModel

/// The series storage knows, by `SeriesRef` (Prometheus's head series, reduced to what an
/// agent needs): each series' label set once, as the bytes of its WAL definition
/// (`WALRecord.putLabels` layout, without external labels), and when it was last appended.
///
/// A ref is a slot index (low 32 bits) and the slot's generation (high 32 bits): a slot is
/// reused once its series has been collected, and an old ref to it is then recognised as
/// unknown. Equal label sets get the same ref (found by hash on the slow path only).
///
/// Memory per series: one 32-byte slot, one byte array of the encoded labels, one entry of
/// the hash index. Thread-safe (one lock; appenders touch it once per sample, the WAL once
/// per record).
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

public final class SeriesTable: @unchecked Sendable {
    struct Slot {
        /// The encoded labels; empty when the slot is free.
        var labels: [UInt8] = []
        var hash: UInt64 = 0
        /// Bumped every time the slot is freed.
        var generation: UInt32 = 1
        /// Collection tick of the last append (see `collect`).
        var tick: UInt32 = 0
    }

    private let lock = NSLockLite()
    private var slots: ContiguousArray<Slot> = []
    private var free: [UInt32] = []
    private var byHash: [UInt64: UInt32] = [:]
    private var tick: UInt32 = 0
    private var live = 0

    public init() {}

    /// Series known now.
    public var count: Int { lock.withLock { live } }

    /// The ref of `labels`, creating the series if needed.
    public func ref(for labels: Labels) -> SeriesRef {
        let hash = labels.stableHash
        var encoded: [UInt8] = []
        encoded.reserveCapacity(Self.encodedSize(labels))
        WALRecord.putLabels(&encoded, labels)
        return lock.withLock {
            if let i = byHash[hash], slots[Int(i)].labels == encoded {
                slots[Int(i)].tick = tick
                return Self.ref(i, slots[Int(i)].generation)
            }
            let i: UInt32
            if let f = free.popLast() {
                i = f
            } else {
                i = UInt32(slots.count)
                slots.append(Slot())
            }
            slots[Int(i)].labels = encoded
            slots[Int(i)].hash = hash
            slots[Int(i)].tick = tick
            if byHash[hash] == nil { byHash[hash] = i }
            live += 1
            return Self.ref(i, slots[Int(i)].generation)
        }
    }

    /// Marks `ref` as appended now; false when the series is unknown (collected).
    @inline(__always)
    public func touch(_ ref: SeriesRef) -> Bool {
        let i = Int(truncatingIfNeeded: ref.raw & 0xffff_ffff)
        let g = UInt32(truncatingIfNeeded: ref.raw >> 32)
        return lock.withLock {
            guard i < slots.count, slots[i].generation == g, !slots[i].labels.isEmpty else { return false }
            slots[i].tick = tick
            return true
        }
    }

    /// Calls `body` with the slot index, generation and encoded labels of `ref` under the
    /// table's lock (nil labels: unknown ref).
    func withSeries<T>(_ ref: SeriesRef, _ body: (_ index: UInt32, _ generation: UInt32, _ labels: [UInt8]?) -> T) -> T
    {
        let i = Int(truncatingIfNeeded: ref.raw & 0xffff_ffff)
        let g = UInt32(truncatingIfNeeded: ref.raw >> 32)
        return lock.withLock {
            guard i < slots.count, slots[i].generation == g, !slots[i].labels.isEmpty else {
                return body(UInt32(i), g, nil)
            }
            return body(UInt32(i), g, slots[i].labels)
        }
    }

    /// Calls `body` with every slot under the table's lock (the WAL resolves a record's refs
    /// with one lock).
    func withSlots<T>(_ body: (borrowing ContiguousArray<Slot>) -> T) -> T { lock.withLock { body(slots) } }

    /// The labels of `ref` (slow: builds Strings; for tests and tools).
    public func labels(_ ref: SeriesRef) -> Labels? {
        withSeries(ref) { _, _, bytes in bytes.flatMap(Self.decode) }
    }

    /// Starts a new collection tick and frees the series not appended during the last
    /// `idleTicks` ticks. Call it periodically (the WAL's housekeeping does, every minute):
    /// a series then lives at least `idleTicks` minutes after its last sample. Returns the
    /// number of series freed.
    @discardableResult
    public func collect(idleTicks: UInt32) -> Int {
        lock.withLock {
            tick &+= 1
            var freed = 0
            for i in slots.indices where !slots[i].labels.isEmpty && tick &- slots[i].tick > idleTicks {
                if byHash[slots[i].hash] == UInt32(i) { byHash[slots[i].hash] = nil }
                slots[i].labels = []
                slots[i].generation &+= 1
                if slots[i].generation == 0 { slots[i].generation = 1 }
                free.append(UInt32(i))
                freed += 1
            }
            live -= freed
            return freed
        }
    }

    static func ref(_ i: UInt32, _ g: UInt32) -> SeriesRef { SeriesRef(raw: UInt64(g) << 32 | UInt64(i)) }

    static func encodedSize(_ labels: Labels) -> Int {
        var n = 1
        for l in labels { n += l.name.utf8.count + l.value.utf8.count + 4 }
        return n
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
