/// Which WAL positions are safe to save: records are read in order and their samples spread
/// over shards that finish out of order; the position after record *n* may be saved as
/// `acked` only once every sample of records 0…n is delivered (or dropped for good).
///
/// Per shard it also knows how far that shard got (`shardPositions`, see `ShardPosition`).
/// Shards are FIFO: that is the start of the shard's oldest record with samples outstanding
/// and the raw index of its first outstanding sample there, or the end of the last record
/// read when it has nothing outstanding (records without samples in a shard count as done).
/// Saved with `acked`, it lets a restart skip what shards delivered beyond `acked`.
/// A plain value, tested without I/O.
struct AckTracker {
    private var entries: [(start: WALPosition, end: WALPosition, outstanding: Int)] = []
    private var head = 0
    /// Sequence number of `entries[head]`.
    private var baseSeq: UInt64 = 0
    /// The last position every sample before which is done.
    private(set) var acked: WALPosition
    /// The end of the last record added (or the start).
    private(set) var lastEnd: WALPosition
    /// Per shard, its records with samples outstanding, oldest first.
    private var shards: [ShardFIFO]

    private struct ShardFIFO {
        /// `next`: the raw index in the record of the first sample not yet done.
        var items: [(seq: UInt64, outstanding: Int, next: Int)] = []
        var head = 0
        var isEmpty: Bool { head == items.count }
    }

    init(start: WALPosition, shards n: Int = 1) {
        acked = start
        lastEnd = start
        shards = Array(repeating: ShardFIFO(), count: max(1, n))
    }

    /// Samples read but not yet done.
    private(set) var pending = 0

    var shardCount: Int { shards.count }

    /// Adds a record with `counts[s]` samples queued in shard `s` (empty: none at all);
    /// returns its sequence number.
    mutating func add(start: WALPosition, end: WALPosition, counts: [Int]) -> UInt64 {
        precondition(counts.isEmpty || counts.count == shards.count)
        let seq = baseSeq + UInt64(entries.count - head)
        var total = 0
        for (s, c) in counts.enumerated() where c > 0 {
            shards[s].items.append((seq, c, 0))
            total += c
        }
        entries.append((start, end, total))
        pending += total
        lastEnd = end
        advance()
        return seq
    }

    /// Adds a record (starting where the last one ended) with `count` samples, all in shard 0.
    mutating func add(end: WALPosition, count: Int) -> UInt64 {
        add(start: lastEnd, end: end, counts: count > 0 ? [count] + Array(repeating: 0, count: shards.count - 1) : [])
    }

    /// Marks `count` samples of record `seq` in shard `shard` done, the last of them raw
    /// sample `last` of the record (nil: unknown).
    mutating func done(seq: UInt64, shard: Int = 0, count: Int, last: Int? = nil) {
        let i = head + Int(seq - baseSeq)
        guard seq >= baseSeq, i < entries.count, shards.indices.contains(shard) else { return }
        entries[i].outstanding -= count
        pending -= count
        var q = shards[shard]
        shards[shard] = ShardFIFO()
        var k = q.head
        while k < q.items.count && q.items[k].seq != seq { k += 1 }
        if k < q.items.count {
            q.items[k].outstanding -= count
            if let last { q.items[k].next = max(q.items[k].next, last + 1) }
        }
        while !q.isEmpty && q.items[q.head].outstanding <= 0 { q.head += 1 }
        if q.isEmpty {
            q.items.removeAll(keepingCapacity: true)
            q.head = 0
        } else if q.head > 1024 && q.head * 2 > q.items.count {
            q.items.removeFirst(q.head)
            q.head = 0
        }
        shards[shard] = q
        advance()
    }

    /// Per shard: every sample of that shard before it is done.
    var shardPositions: [ShardPosition] {
        shards.map { q in
            guard !q.isEmpty else { return ShardPosition(lastEnd) }
            let first = q.items[q.head]
            return ShardPosition(entries[head + Int(first.seq - baseSeq)].start, first.next)
        }
    }

    /// Starts tracking `n` shards; only with nothing pending (after a drain).
    mutating func reshard(to n: Int) {
        precondition(pending == 0)
        shards = Array(repeating: ShardFIFO(), count: max(1, n))
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
