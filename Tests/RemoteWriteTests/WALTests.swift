import AgentConfig
import Foundation
import Logging
import PromModel
import Prometheus
import Testing

@testable import RemoteWrite

/// A temporary directory for a file-backed WAL, removed by `remove()`.
struct WALDir {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "promsls-wal-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
    func segment(_ n: Int) -> String { path + "/" + WALPosition.segmentName(n) }
}

/// A store that fails appends with an errno while `failing` is set (full disk), or, with a
/// `capacity`, a disk of that many bytes: an append that does not fit writes what fits and
/// fails with ENOSPC, as write(2) does on a full filesystem; deleting a segment frees space.
final class FaultyStore: SegmentStore, @unchecked Sendable {
    let inner = MemorySegmentStore()
    let capacity: Int?
    private let lock = NSLockLite()
    private var _failing: Int32?
    init(capacity: Int? = nil) { self.capacity = capacity }
    var failing: Int32? {
        get { lock.withLock { _failing } }
        set { lock.withLock { _failing = newValue } }
    }
    /// Bytes in all segments.
    var used: Int { ((try? inner.segments()) ?? []).reduce(0) { $0 + (inner.size($1) ?? 0) } }
    var description: String { "faulty" }
    func segments() throws -> [Int] { try inner.segments() }
    func append(_ n: Int, _ bytes: [UInt8]) throws {
        if let capacity, bytes.count > capacity - used {
            try inner.append(n, Array(bytes.prefix(max(capacity - used, 0))))
            throw WALIOError(op: "write", path: "small-disk/\(n)", errno: ENOSPC)
        }
        if let e = failing, !bytes.isEmpty {
            // A partial write reached the disk before the error.
            try inner.append(n, Array(bytes.prefix(bytes.count / 2)))
            throw WALIOError(op: "write", path: "faulty/\(n)", errno: e)
        }
        try inner.append(n, bytes)
    }
    func sync(_ n: Int) throws {}
    func truncate(_ n: Int, to size: Int) throws { try inner.truncate(n, to: size) }
    func size(_ n: Int) -> Int? { inner.size(n) }
    func read(_ n: Int, offset: Int, count: Int) throws -> [UInt8]? { try inner.read(n, offset: offset, count: count) }
    func remove(_ n: Int) throws { try inner.remove(n) }
    func modifiedMs(_ n: Int) -> Int64? { inner.modifiedMs(n) }
    func close() {}
    func loadPosition(_ name: String) -> ReaderPosition? { inner.loadPosition(name) }
    func savePosition(_ name: String, _ p: ReaderPosition) throws { try inner.savePosition(name, p) }
    func positionNames() -> [String] { inner.positionNames() }
    func removePosition(_ name: String) { inner.removePosition(name) }
}

/// Reads everything from `from` to the end of the WAL.
func readAll(_ wal: WAL, from: WALPosition = WALPosition(segment: 1, offset: 0)) throws -> [TimeSeriesSample] {
    var r = WALReader(wal: wal, from: from, logger: testLogger)
    var out: [TimeSeriesSample] = []
    while true {
        let recs = try r.nextReadingHere(maxSamples: 100_000)
        if recs.isEmpty { return out }
        out += recs.flatMap(\.samples)
    }
}

func series(_ i: Int, _ n: Int, ts0: Int64 = 1_000) -> [TimeSeriesSample] {
    (0..<n).map {
        TimeSeriesSample(
            labels: Labels(["__name__": "m", "i": "\($0)"]), timestampMs: ts0 + Int64(i) * 1000, value: Double(i))
    }
}

@Suite struct WALFormatTests {
    @Test func crc32cCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
    }

    @Test func ackTrackerAdvancesOnlyOverCompletePrefixes() {
        var t = AckTracker(start: WALPosition(segment: 1, offset: 0))
        let a = t.add(end: WALPosition(segment: 1, offset: 10), count: 2)
        let b = t.add(end: WALPosition(segment: 1, offset: 20), count: 1)
        let c = t.add(end: WALPosition(segment: 1, offset: 30), count: 0)
        t.done(seq: b, count: 1)
        #expect(t.acked == WALPosition(segment: 1, offset: 0))
        t.done(seq: a, count: 1)
        #expect(t.acked == WALPosition(segment: 1, offset: 0))
        t.done(seq: a, count: 1)
        #expect(t.acked == WALPosition(segment: 1, offset: 30))  // c had nothing to send
        #expect(t.pending == 0)
        _ = c
    }

    @Test func ackTrackerKnowsHowFarEachShardGot() {
        func p(_ o: Int) -> WALPosition { WALPosition(segment: 1, offset: o) }
        func sp(_ o: Int, _ i: Int = 0) -> ShardPosition { ShardPosition(p(o), i) }
        var t = AckTracker(start: p(0), shards: 3)
        let a = t.add(start: p(0), end: p(10), counts: [1, 1, 0])
        let b = t.add(start: p(10), end: p(20), counts: [1, 2, 0])
        _ = t.add(start: p(20), end: p(30), counts: [])
        let d = t.add(start: p(30), end: p(40), counts: [1, 0, 0])
        #expect(t.shardPositions == [sp(0), sp(0), sp(40)])
        // Shard 0 delivers everything, shard 1 only record a, then one sample of b.
        t.done(seq: a, shard: 0, count: 1, last: 0)
        t.done(seq: b, shard: 0, count: 1, last: 2)
        #expect(t.shardPositions == [sp(30), sp(0), sp(40)])
        t.done(seq: d, shard: 0, count: 1, last: 0)
        t.done(seq: a, shard: 1, count: 1, last: 1)
        #expect(t.acked == p(10))
        #expect(t.shardPositions == [sp(40), sp(10), sp(40)])
        t.done(seq: b, shard: 1, count: 1, last: 0)
        #expect(t.shardPositions == [sp(40), sp(10, 1), sp(40)])
        t.done(seq: b, shard: 1, count: 1, last: 1)
        #expect(t.acked == p(40))
        #expect(t.shardPositions == [sp(40), sp(40), sp(40)])
        #expect(t.pending == 0)
        t.reshard(to: 2)
        _ = t.add(start: p(45), end: p(50), counts: [0, 3])
        #expect(t.shardPositions == [sp(50), sp(45)])
    }

    @Test func readerPositionsDecodeTheOldFormatAndMergeShardings() {
        func p(_ o: Int) -> WALPosition { WALPosition(segment: 2, offset: o) }
        func sp(_ o: Int, _ i: Int = 0) -> ShardPosition { ShardPosition(p(o), i) }
        #expect(ReaderPosition.decode("3 17\n") == ReaderPosition(acked: WALPosition(segment: 3, offset: 17)))
        #expect(ReaderPosition.decode("3 x\n") == nil)
        // A damaged sharding line is ignored (resending, never loss).
        #expect(
            ReaderPosition.decode("2 5\nshards 2 2 9 0\nshards 1 2 7 3\n")
                == ReaderPosition(acked: p(5), delivered: [[sp(7, 3)]]))
        let r = ReaderPosition(
            acked: p(5), delivered: [[sp(9), sp(5, 2)], [sp(5), sp(5), sp(5)], [sp(6), sp(5, 1)]])
        #expect(ReaderPosition.decode(r.encoded) == r)
        // Same shard count: the longer prefix per shard; nothing beyond acked: dropped.
        #expect(ReaderPosition.merge(r.delivered, acked: p(5)) == [[sp(9), sp(5, 2)]])
        let f = DeliveredFilter(r)!
        #expect(f.limit == p(9))
        #expect(f.delivered(hash: 0, recordStart: p(8), index: 50))
        #expect(!f.delivered(hash: 0, recordStart: p(9), index: 0))
        #expect(f.delivered(hash: 1, recordStart: p(5), index: 1))
        #expect(!f.delivered(hash: 1, recordStart: p(5), index: 2))
        #expect(!f.delivered(hash: 1, recordStart: p(6), index: 0))
        #expect(DeliveredFilter(ReaderPosition(acked: p(5), delivered: [[sp(5)]])) == nil)
    }

    @Test func shardCalculatorFollowsPrometheus() {
        // 1000 samples/s in, each send of 100 samples takes 1 s: 10 shards needed.
        var c = ShardCalculator()
        c.samplesIn(10_000)
        c.samplesOut(10_000, sendSeconds: 100)
        #expect(c.desiredShards(current: 1, minShards: 1, maxShards: 50, delaySeconds: 0, seconds: 10) == 10)
        // Within 30 %: unchanged.
        c.samplesIn(10_000)
        c.samplesOut(10_000, sendSeconds: 110)
        #expect(c.desiredShards(current: 10, minShards: 1, maxShards: 50, delaySeconds: 0, seconds: 10) == 10)
        // Clamped to max_shards; never down while more than 10 s behind.
        var d = ShardCalculator()
        d.samplesIn(100_000)
        d.samplesOut(1000, sendSeconds: 100)
        #expect(d.desiredShards(current: 2, minShards: 1, maxShards: 8, delaySeconds: 60, seconds: 10) == 8)
        var e = ShardCalculator()
        e.samplesIn(10)
        e.samplesOut(10, sendSeconds: 0.01)
        #expect(e.desiredShards(current: 8, minShards: 1, maxShards: 8, delaySeconds: 30, seconds: 10) == 8)
        #expect(e.desiredShards(current: 8, minShards: 2, maxShards: 8, delaySeconds: 0, seconds: 10) == 2)
    }

    @Test func recordsRoundTripAcrossSegmentsWithSeriesDefinedPerSegment() throws {
        let store = MemorySegmentStore()
        var o = WALOptions(segmentSize: 600, maxSize: 0, retention: .zero, fsync: .never)
        o.maxSamplesPerRecord = 7
        let wal = try WAL(store: store, options: o, registry: PrometheusCollectorRegistry(), logger: testLogger)
        var all: [TimeSeriesSample] = []
        for i in 0..<40 {
            let s = series(i, 10)
            all += s
            try wal.append(s)
        }
        #expect(wal.end.segment > 3)
        #expect(try readAll(wal) == all)
        // Start in the middle of a later segment: the series table is rebuilt from its start.
        var r = WALReader(wal: wal, from: WALPosition(segment: 3, offset: 0), logger: testLogger)
        let recs = try r.nextReadingHere(maxSamples: 10)
        let mid = recs.last!.end
        let rest = try readAll(wal, from: mid)
        #expect(Array(all.suffix(rest.count)) == rest)
        #expect(rest.first?.labels.isEmpty == false)
    }

    @Test func tornTailIsTruncatedOnOpenAndEverythingBeforeIsRead() throws {
        let dir = try WALDir()
        defer { dir.remove() }
        let reg = PrometheusCollectorRegistry()
        var all: [TimeSeriesSample] = []
        do {
            let wal = try WAL(
                directory: dir.path, options: WALOptions(fsync: .always), registry: reg, logger: testLogger)
            for i in 0..<5 {
                all += series(i, 3)
                try wal.append(series(i, 3))
            }
            wal.close()
        }
        let size = try FileManager.default.attributesOfItem(atPath: dir.segment(1))[.size] as! Int
        // A crash mid-write: the last record is cut in half.
        let h = FileHandle(forWritingAtPath: dir.segment(1))!
        try h.truncate(atOffset: UInt64(size - 20))
        try h.close()
        let wal = try WAL(directory: dir.path, options: WALOptions(), registry: reg, logger: testLogger)
        let newSize = try FileManager.default.attributesOfItem(atPath: dir.segment(1))[.size] as! Int
        #expect(newSize < size - 20)
        #expect(metricValue(reg, "prometheus_tsdb_wal_corruptions_total") == 1)
        #expect(try readAll(wal) == Array(all.prefix(12)))
        #expect(wal.end.segment == 2)
    }

    // Each record has its own series here: records of the same series after a lost one are
    // refused up to the next key record (WALValueTests).
    @Test func aFlippedByteSkipsOnlyThatRecord() throws {
        let store = MemorySegmentStore()
        let reg = PrometheusCollectorRegistry()
        let wal = try WAL(
            store: store, options: WALOptions(maxSize: 0, retention: .zero), registry: reg, logger: testLogger)
        var ends: [Int] = []
        var all: [[TimeSeriesSample]] = []
        for i in 0..<6 {
            all.append(
                series(i, 4).map {
                    TimeSeriesSample(
                        labels: Labels($0.labels.map { $0 } + [Label("r", "\(i)")]), timestampMs: $0.sample.timestampMs,
                        value: $0.sample.value)
                })
            try wal.append(all[i])
            ends.append(wal.end.offset)
        }
        // Corrupt the value bytes of record 3.
        store.corrupt(1, at: ends[3] - 3) { $0 ^ 0x40 }
        #expect(try readAll(wal) == Array(all[0..<3].joined()) + Array(all[4...].joined()))
        #expect((metricValue(reg, "prometheus_tsdb_wal_corruptions_total") ?? 0) >= 1)
        // Reopening (a restart) keeps the records after it: only the tail is ever truncated.
        let wal2 = try WAL(
            store: store, options: WALOptions(maxSize: 0, retention: .zero), registry: reg, logger: testLogger)
        #expect(try readAll(wal2) == Array(all[0..<3].joined()) + Array(all[4...].joined()))
    }

    @Test func aFullDiskFailsTheCommitAndLeavesNothingCorrupt() throws {
        let store = FaultyStore()
        let reg = PrometheusCollectorRegistry()
        let wal = try WAL(
            store: store, options: WALOptions(maxSize: 0, retention: .zero), registry: reg, logger: testLogger)
        try wal.append(series(0, 3))
        let before = wal.end
        store.failing = ENOSPC
        #expect(throws: WALIOError.self) { try wal.append(series(1, 5)) }
        #expect(wal.end == before)
        #expect(store.size(1) == before.offset)  // the partial write was cut off
        store.failing = nil
        try wal.append(series(2, 5))  // new series in this commit are defined again
        #expect(try readAll(wal) == series(0, 3) + series(2, 5))
        #expect(metricValue(reg, "prometheus_tsdb_wal_writes_failed_total") == 1)
        #expect(metricValue(reg, "promsls_wal_samples_failed_total") == 5)
    }

    @Test func sizeAndRetentionBoundsDropTheOldestSegmentAndCountPerEndpoint() throws {
        let store = MemorySegmentStore()
        let reg = PrometheusCollectorRegistry()
        let wal = try WAL(
            store: store, options: WALOptions(segmentSize: 500, maxSize: 1500, retention: .zero), registry: reg,
            logger: testLogger)
        let lost = LockedBox(0)
        let start = wal.registerReader("ep") { n, _, _, _ in lost.mutate { $0 += n } }.acked
        for i in 0..<60 { try wal.append(series(i, 5)) }
        let segsBefore = try store.segments()
        wal.housekeeping()
        let segsAfter = try store.segments()
        #expect(segsAfter.count < segsBefore.count)
        var total = 0
        for s in segsAfter { total += store.size(s)! }
        #expect(total <= 1500)
        // The reader lost exactly the samples of the dropped segments and reads on.
        let rest = try readAll(wal, from: start)
        #expect(lost.value + rest.count == 300)
        #expect(lost.value > 0)
        #expect(rest.last == series(59, 5).last)
        // Retention: backdate the oldest remaining segment.
        store.setModified(segsAfter[0], ms: currentTimeMs() - 3_600_000)
        let wal2Options = WALOptions(segmentSize: 1000, maxSize: 0, retention: .seconds(60))
        let wal2 = try WAL(store: store, options: wal2Options, registry: reg, logger: testLogger)
        _ = wal2.registerReader("ep") { _, _, _, _ in }
        wal2.housekeeping()
        #expect(try !store.segments().contains(segsAfter[0]))
    }

    @Test func segmentsAreDeletedOnceEveryReaderHasPassedThem() throws {
        let store = MemorySegmentStore()
        let wal = try WAL(
            store: store, options: WALOptions(segmentSize: 150, maxSize: 0, retention: .zero),
            registry: PrometheusCollectorRegistry(),
            logger: testLogger)
        _ = wal.registerReader("a") { _, _, _, _ in }
        _ = wal.registerReader("b") { _, _, _, _ in }
        for i in 0..<30 { try wal.append(series(i, 3)) }
        let segs = try store.segments()
        wal.updateReader("a", acked: wal.end)
        wal.housekeeping()
        #expect(try store.segments() == segs)  // b has not moved
        wal.updateReader("b", acked: WALPosition(segment: segs[2], offset: 0))
        wal.housekeeping()
        #expect(try store.segments().first == segs[2])
    }

    @Test func positionsSurviveAReopenAtomically() throws {
        let dir = try WALDir()
        defer { dir.remove() }
        let s = try FileSegmentStore(dir: dir.path)
        try s.savePosition("sls/prod:1", ReaderPosition(acked: WALPosition(segment: 7, offset: 1234)))
        #expect(s.loadPosition("sls/prod:1") == ReaderPosition(acked: WALPosition(segment: 7, offset: 1234)))
        // Per-shard positions: one line per sharding after the `<segment> <offset>` line.
        let p = ReaderPosition(
            acked: WALPosition(segment: 7, offset: 1234),
            delivered: [
                [
                    ShardPosition(WALPosition(segment: 7, offset: 2000)),
                    ShardPosition(WALPosition(segment: 7, offset: 1234), 5),
                ],
                (0..<40).map { ShardPosition(WALPosition(segment: 8, offset: $0 * 100)) },
            ])
        try s.savePosition("sls/prod:1", p)
        #expect(s.loadPosition("sls/prod:1") == p)
        let text = try String(contentsOfFile: dir.path + "/positions/sls_prod_1", encoding: .utf8)
        #expect(text.hasPrefix("7 1234\nshards 2 7 2000 0 7 1234 5\nshards 40 8 0 0 8 100 0 "))
        #expect(FileManager.default.fileExists(atPath: dir.path + "/positions/sls_prod_1"))
        #expect(s.positionNames() == ["sls_prod_1"])
    }
}

final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLockLite()
    private var v: T
    init(_ v: T) { self.v = v }
    var value: T { lock.withLock { v } }
    func mutate(_ f: (inout T) -> Void) { lock.withLock { f(&v) } }
    func withValue<R>(_ f: (inout T) -> R) -> R { lock.withLock { f(&v) } }
}
