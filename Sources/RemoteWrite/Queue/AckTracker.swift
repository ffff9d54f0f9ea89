/// Which WAL position is safe to save: records are read in order and their samples spread
/// over shards that finish out of order; the position after record *n* may be saved only
/// once every sample of records 0…n is delivered (or dropped for good). A plain value,
/// tested without I/O.
struct AckTracker {
    private var entries: [(end: WALPosition, outstanding: Int)] = []
    private var head = 0
    /// Sequence number of `entries[head]`.
    private var baseSeq: UInt64 = 0
    /// The last position every sample before which is done.
    private(set) var acked: WALPosition

    init(start: WALPosition) { acked = start }

    /// Samples read but not yet done.
    private(set) var pending = 0

    /// Adds a record with `count` samples queued; returns its sequence number.
    mutating func add(end: WALPosition, count: Int) -> UInt64 {
        let seq = baseSeq + UInt64(entries.count - head)
        entries.append((end, count))
        pending += count
        advance()
        return seq
    }

    /// Marks `count` samples of record `seq` done.
    mutating func done(seq: UInt64, count: Int) {
        let i = head + Int(seq - baseSeq)
        guard seq >= baseSeq, i < entries.count else { return }
        entries[i].outstanding -= count
        pending -= count
        advance()
    }

    private mutating func advance() {
        while head < entries.count && entries[head].outstanding <= 0 {
            acked = entries[head].end
            head += 1
            baseSeq += 1
        }
        if head > 1024 && head * 2 > entries.count {
            entries.removeFirst(head)
            head = 0
        }
    }
}
