/// The previous value of each series in a segment, by WAL ref (type-6 records): the writer's
/// and each reader's copy, reset at each segment start.
struct WALValues {
    private var bits: [UInt64] = []

    subscript(ref: Int) -> UInt64 {
        @inline(__always) get { ref < bits.count ? bits[ref] : 0 }
        @inline(__always) set {
            if ref >= bits.count {
                guard newValue != 0 else { return }
                bits.append(contentsOf: repeatElement(0, count: max(ref + 1, bits.count * 2) - bits.count))
            }
            bits[ref] = newValue
        }
    }

    mutating func reset() { bits.removeAll(keepingCapacity: true) }

    /// Takes back a record's changes (`appendCommit`'s `undo`), last first.
    mutating func undo(_ changes: [(Int, UInt64)]) {
        for (ref, before) in changes.reversed() { self[ref] = before }
    }

    /// The hash of the previous values a record was encoded against.
    struct Check {
        private var h: UInt64 = 0xcbf2_9ce4_8422_2325

        @inline(__always) mutating func add(_ bits: UInt64) {
            h = (h ^ bits) &* 0x0000_0100_0000_01b3
            h ^= h >> 29
        }

        var value: UInt32 { UInt32(truncatingIfNeeded: h ^ h >> 32) }
    }
}
