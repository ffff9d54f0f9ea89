import Foundation
import PromModel
import Prometheus
import Testing

@testable import RemoteWrite

/// Commits, reads and position saves run on the WAL's I/O thread: a stalled disk stalls the
/// commit waiting for it, not what reads the WAL's state, and everything a commit returned
/// for is there to read, in commit order.
@Suite struct WALIOThreadTests {
    /// A memory store whose appends of records block, once `stall()` is called, until
    /// `release()` (a disk that stopped answering); `entered` tells when one is blocked.
    final class StallingStore: SegmentStore, @unchecked Sendable {
        let base = MemorySegmentStore()
        let entered: AsyncStream<Int>
        private let sink: AsyncStream<Int>.Continuation
        private let gate = NSCondition()
        private var stalled = false

        init() { (entered, sink) = AsyncStream.makeStream(of: Int.self) }

        func stall() { gate.withLock { stalled = true } }
        func release() {
            gate.withLock {
                stalled = false
                gate.broadcast()
            }
        }

        func append(_ n: Int, _ bytes: [UInt8]) throws {
            if !bytes.isEmpty && gate.withLock({ stalled }) {
                sink.yield(n)
                gate.withLock { while stalled { gate.wait() } }
            }
            try base.append(n, bytes)
        }
        func segments() throws -> [Int] { try base.segments() }
        func sync(_ n: Int) throws { try base.sync(n) }
        func truncate(_ n: Int, to size: Int) throws { try base.truncate(n, to: size) }
        func size(_ n: Int) -> Int? { base.size(n) }
        func read(_ n: Int, offset: Int, count: Int) throws -> [UInt8]? {
            try base.read(n, offset: offset, count: count)
        }
        func remove(_ n: Int) throws { try base.remove(n) }
        func modifiedMs(_ n: Int) -> Int64? { base.modifiedMs(n) }
        func close() { base.close() }
        func loadPosition(_ name: String) -> ReaderPosition? { base.loadPosition(name) }
        func savePosition(_ name: String, _ p: ReaderPosition) throws { try base.savePosition(name, p) }
        func positionNames() -> [String] { base.positionNames() }
        func removePosition(_ name: String) { base.removePosition(name) }
        var description: String { "(stalling memory)" }
    }

    static func open(
        _ store: any SegmentStore, segmentSize: Int = 64 << 10, fsync: WALFsyncPolicy = .interval(.seconds(1))
    ) throws -> WAL {
        try WAL(
            store: store, options: WALOptions(segmentSize: segmentSize, maxSize: 0, retention: .zero, fsync: fsync),
            registry: PrometheusCollectorRegistry(), logger: testLogger)
    }

    static func refs(_ wal: WAL, commit: Int, series: Int = 20) -> [RefSample] {
        (0..<series).map {
            RefSample(
                ref: wal.series.ref(for: Labels(["__name__": "m", "i": "\($0)"])), timestampMs: Int64(commit) * 1000,
                value: Double(commit))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aStalledWriteBlocksOnlyTheCommitWaitingForIt() async throws {
        let store = StallingStore()
        let wal = try Self.open(store)
        store.stall()
        let commit = Task { try await wal.commit(Self.refs(wal, commit: 1), series: wal.series) }
        var entered = store.entered.makeAsyncIterator()
        #expect(await entered.next() == 1)
        // The I/O thread is inside write(2): the WAL's state is still readable at once (its
        // lock is not held across I/O), and reading finds nothing written yet.
        #expect(wal.end == WALPosition(segment: 1, offset: 0))
        #expect(wal.highestTimestampMs == 1000)
        var reader = WALReader(wal: wal, from: WALPosition(segment: 1, offset: 0), logger: testLogger)
        #expect(try await reader.next(maxSamples: 1000).isEmpty)
        store.release()
        try await commit.value
        // Returned once written: every sample is there to read.
        let records = try await reader.next(maxSamples: 1000)
        #expect(records.flatMap(\.samples).map(\.sample.value) == Array(repeating: 1, count: 20))
        #expect(wal.end.offset > 0)
    }

    @Test func concurrentCommitsAreWrittenWholeAndEachTasksInOrder() async throws {
        let wal = try Self.open(MemorySegmentStore(), segmentSize: 1 << 10)
        // Four tasks of 50 commits each, across segment cuts (1 KiB segments).
        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0..<4 {
                group.addTask {
                    for c in 0..<50 {
                        try await wal.commit(Self.refs(wal, commit: t * 1000 + c), series: wal.series)
                    }
                }
            }
            try await group.waitForAll()
        }
        var reader = WALReader(wal: wal, from: WALPosition(segment: 0, offset: 0), logger: testLogger)
        var commits: [Int] = []
        while case let records = try await reader.next(maxSamples: 100_000), !records.isEmpty {
            for r in records {
                let values = Set(r.samples.map(\.sample.value))
                #expect(values.count == 1 && r.samples.count == 20, "a commit is one record, written whole")
                commits += values.map { Int($0) }
            }
        }
        #expect(commits.count == 200)
        #expect(wal.end.segment > 1)
        for t in 0..<4 {
            let mine = commits.filter { $0 / 1000 == t }
            #expect(mine == (0..<50).map { t * 1000 + $0 })
        }
    }

    @Test func withFsyncAlwaysACommitReturnsSynced() async throws {
        let store = WALMaintenanceTests.ReportingStore()
        let wal = try Self.open(store, fsync: .always)
        var events = store.events.makeAsyncIterator()
        try await wal.commit(Self.refs(wal, commit: 1), series: wal.series)
        #expect(await events.next() == .sync(1))
        #expect(wal.lock.withLock { wal.dirty } == false)
    }

    @Test func aPositionSaveReturnsOnceSaved() async throws {
        let store = MemorySegmentStore()
        let wal = try Self.open(store)
        let p = ReaderPosition(
            acked: WALPosition(segment: 1, offset: 42),
            delivered: [[ShardPosition(WALPosition(segment: 1, offset: 42), 3)]])
        await wal.savePosition("prod", p)
        #expect(store.loadPosition("prod") == p)
    }
}
