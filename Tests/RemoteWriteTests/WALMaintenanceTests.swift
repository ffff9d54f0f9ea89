import PromModel
import Prometheus
import TestSupport
import Testing

@testable import RemoteWrite

/// The WAL's periodic work is driven by appends: a commit is synced one fsync interval later,
/// a cut segment is housekept at once, and nothing wakes in between.
@Suite struct WALMaintenanceTests {
    /// A memory store that reports every sync and removal, in order, as it happens.
    final class ReportingStore: SegmentStore, @unchecked Sendable {
        enum Event: Equatable { case sync(Int), remove(Int) }
        let base = MemorySegmentStore()
        let events: AsyncStream<Event>
        private let sink: AsyncStream<Event>.Continuation

        init() { (events, sink) = AsyncStream.makeStream(of: Event.self) }

        func segments() throws -> [Int] { try base.segments() }
        func append(_ n: Int, _ bytes: [UInt8]) throws { try base.append(n, bytes) }
        func sync(_ n: Int) throws {
            try base.sync(n)
            sink.yield(.sync(n))
        }
        func truncate(_ n: Int, to size: Int) throws { try base.truncate(n, to: size) }
        func size(_ n: Int) -> Int? { base.size(n) }
        func read(_ n: Int, offset: Int, count: Int) throws -> [UInt8]? {
            try base.read(n, offset: offset, count: count)
        }
        func remove(_ n: Int) throws {
            try base.remove(n)
            sink.yield(.remove(n))
        }
        func modifiedMs(_ n: Int) -> Int64? { base.modifiedMs(n) }
        func close() { base.close() }
        func loadPosition(_ name: String) -> ReaderPosition? { base.loadPosition(name) }
        func savePosition(_ name: String, _ p: ReaderPosition) throws { try base.savePosition(name, p) }
        func positionNames() -> [String] { base.positionNames() }
        func removePosition(_ name: String) { base.removePosition(name) }
        var description: String { "(reporting memory)" }
    }

    static func samples(_ i: Int, _ n: Int) -> [TimeSeriesSample] {
        (0..<n).map {
            TimeSeriesSample(
                labels: Labels(["__name__": "m", "i": "\($0)", "pad": String(repeating: "p", count: 40)]),
                timestampMs: Int64(i) * 1000, value: Double(i))
        }
    }

    @Test func aCommitIsSyncedOneIntervalLaterAndACutSegmentIsHousekeptAtOnce() async throws {
        let store = ReportingStore()
        let wal = try WAL(
            store: store,
            options: WALOptions(
                segmentSize: 16 << 10, maxSize: 0, retention: .zero, fsync: .interval(.milliseconds(20))),
            registry: PrometheusCollectorRegistry(), logger: testLogger)
        let clock = ManualClock()
        // Housekeeping by the clock only once an hour: what happens below is driven by appends.
        let task = Task { await wal.runMaintenance(housekeepingInterval: .seconds(3600), clock: clock) }
        defer { task.cancel() }
        var events = store.events.makeAsyncIterator()
        // Nothing written: the loop waits on the append signal (its timer is the hourly
        // housekeeping), and a commit wakes it.
        await clock.sleepsStarted(atLeast: 1)
        try wal.append(Self.samples(0, 10))
        // Then it sleeps one fsync interval, and syncs: the first event after a commit is its
        // sync (of segment 1), not a timer that would have synced nothing.
        await clock.sleepsStarted(atLeast: 2)
        clock.advance(by: .milliseconds(20))
        #expect(await events.next() == .sync(1))
        // Synced: back to waiting on the append signal.
        await clock.sleepsStarted(atLeast: 3)
        #expect(wal.lock.withLock { wal.dirty } == false)
        // Fill segment 1 until a segment is cut: the cut syncs segment 1 itself; with no
        // reader registered, housekeeping then deletes it at once (not an hour later): at
        // most after the fsync interval the loop may be sleeping.
        var i = 1
        while wal.end.segment == 1 {
            try wal.append(Self.samples(i, 50))
            i += 1
        }
        while try store.segments().contains(1) {
            await clock.sleepers(atLeast: 1)
            clock.advance(by: .milliseconds(20))
            await Task.yield()
        }
        #expect(clock.now.offset < .seconds(1))
        var seen: [ReportingStore.Event] = []
        while let e = await events.next() {
            seen.append(e)
            if e == .remove(1) { break }
        }
        #expect(seen.contains(.sync(1)))
        #expect(seen.last == .remove(1))
        #expect(try store.segments() == [2])
    }
}
