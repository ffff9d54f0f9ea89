/// How far one shard got: every sample of the shard in a record starting before `record`
/// is done, and in the record starting at `record`, those before raw sample `index` (the
/// sample's place in the record as written). Orders as the samples it points to.
struct ShardPosition: Comparable, Hashable, Sendable {
    var record: WALPosition
    var index: Int

    init(_ record: WALPosition, _ index: Int = 0) {
        self.record = record
        self.index = index
    }

    static func < (a: ShardPosition, b: ShardPosition) -> Bool {
        a.record != b.record ? a.record < b.record : a.index < b.index
    }
}

/// What an endpoint persists of its WAL progress (`wal/positions/<remote_name>`).
///
/// `acked`: every sample of every record before it is delivered (or dropped for good); reading
/// resumes there, and segments before it may be deleted. Samples of one record are spread
/// over shards that finish out of order, so some shards may have delivered samples beyond
/// `acked`: each entry of `delivered` is one sharding (its count is the shard count) and holds
/// shard `s`'s `ShardPosition` (the shard of a sample: `labels.stableHash % count`, labels
/// after `write_relabel_configs`). On a restart the samples before those positions are
/// skipped (`DeliveredFilter`), so a graceful stop and restart send nothing twice.
///
/// File format, text: the first line is `<segment> <offset>` (all that versions without
/// per-shard positions write; they still read the first two numbers), then one line per
/// sharding: `shards <count>` followed by `<segment> <offset> <index>` per shard. A damaged
/// sharding line is ignored (that only costs resending, never loses anything).
struct ReaderPosition: Equatable, Sendable {
    var acked: WALPosition
    /// Per-shard positions, one array per sharding (its count is the shard count).
    var delivered: [[ShardPosition]] = []

    init(acked: WALPosition, delivered: [[ShardPosition]] = []) {
        self.acked = acked
        self.delivered = delivered
    }

    /// Most shardings kept: older ones are dropped (their samples may then be resent).
    static let maxShardings = 16

    var encoded: String {
        var s = "\(acked.segment) \(acked.offset)\n"
        for d in delivered {
            s += "shards \(d.count)"
            for p in d { s += " \(p.record.segment) \(p.record.offset) \(p.index)" }
            s += "\n"
        }
        return s
    }

    /// Parses `encoded` (and the one-line format); nil when the first line is unreadable.
    static func decode(_ text: String) -> ReaderPosition? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard let first = lines.first else { return nil }
        let head = first.split(separator: " ", omittingEmptySubsequences: true)
        guard head.count >= 2, let s = Int(head[0]), let o = Int(head[1]), s >= 0, o >= 0 else { return nil }
        var r = ReaderPosition(acked: WALPosition(segment: s, offset: o))
        for line in lines.dropFirst() {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 2, f[0] == "shards", let n = Int(f[1]), n > 0, f.count == 2 + 3 * n else { continue }
            var ps: [ShardPosition] = []
            ps.reserveCapacity(n)
            for i in 0..<n {
                guard let s = Int(f[2 + 3 * i]), let o = Int(f[3 + 3 * i]), let x = Int(f[4 + 3 * i]),
                    s >= 0, o >= 0, x >= 0
                else { break }
                ps.append(ShardPosition(WALPosition(segment: s, offset: o), x))
            }
            if ps.count == n { r.delivered.append(ps) }
        }
        return r
    }

    /// `shardings` without those that say nothing beyond `acked`, and those with the same
    /// shard count merged (a shard's done samples are a prefix: the union is the longer one).
    static func merge(_ shardings: [[ShardPosition]], acked: WALPosition) -> [[ShardPosition]] {
        let floor = ShardPosition(acked)
        var out: [[ShardPosition]] = []
        for d in shardings where !d.isEmpty && d.contains(where: { $0 > floor }) {
            if let i = out.firstIndex(where: { $0.count == d.count }) {
                for s in d.indices where d[s] > out[i][s] { out[i][s] = d[s] }
            } else if out.count < maxShardings {
                out.append(d)
            }
        }
        return out
    }
}

/// Skips, after a restart, the samples that the saved per-shard positions say were done
/// before (see `ReaderPosition`). Records starting after `limit` have none.
struct DeliveredFilter: Sendable {
    let shardings: [[ShardPosition]]
    /// The highest saved record position.
    let limit: WALPosition

    init?(_ p: ReaderPosition) {
        let d = ReaderPosition.merge(p.delivered, acked: p.acked)
        guard let m = d.lazy.compactMap({ $0.max()?.record }).max() else { return nil }
        shardings = d
        limit = m
    }

    /// Whether raw sample `index` of the record starting at `start` was done before
    /// (`hash`: its labels' `stableHash` after `write_relabel_configs`, as shards see them).
    func delivered(hash: UInt64, recordStart start: WALPosition, index: Int) -> Bool {
        let x = ShardPosition(start, index)
        for d in shardings where x < d[Int(hash % UInt64(d.count))] { return true }
        return false
    }
}
