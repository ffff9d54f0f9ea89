import Foundation
import PromModel
import Prometheus
import Testing

@testable import RemoteWrite

/// A disk of `capacity` bytes: an append that does not fit writes what fits, then fails with
/// ENOSPC, as write(2) does on a full filesystem; deleting a segment frees its bytes.
final class SmallDiskStore: SegmentStore, @unchecked Sendable {
    let inner = MemorySegmentStore()
    let capacity: Int
    init(capacity: Int) { self.capacity = capacity }
    var used: Int { ((try? inner.segments()) ?? []).reduce(0) { $0 + (inner.size($1) ?? 0) } }
    var description: String { "small disk" }
    func segments() throws -> [Int] { try inner.segments() }
    func append(_ n: Int, _ bytes: [UInt8]) throws {
        let free = capacity - used
        guard bytes.count <= free else {
            try inner.append(n, Array(bytes.prefix(max(free, 0))))
            throw WALIOError(op: "write", path: "small-disk/\(n)", errno: ENOSPC)
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

/// Issue 12, finding 5: a disk filled during an outage must be left once the receiver is back.
@Suite struct FullDiskTests {
    @Test func aDiskFilledDuringAnOutageIsLeftOnceTheEndpointHasSentEverything() throws {
        let store = SmallDiskStore(capacity: 4_000)
        let reg = PrometheusCollectorRegistry()
        let wal = try WAL(
            store: store, options: WALOptions(maxSize: 0, retention: .zero), registry: reg, logger: testLogger)
        let start = wal.registerReader("ep") { _, _, _, _ in }.acked
        // The outage: commits go to the WAL until the disk is full.
        var written: [TimeSeriesSample] = []
        var failed = 0
        for i in 0..<200 {
            do {
                try wal.append(series(i, 10))
                written += series(i, 10)
            } catch let e as WALIOError {
                #expect(e.errno == ENOSPC)
                failed += 10
            }
        }
        #expect(failed > 0)
        #expect(metricValue(reg, "promsls_wal_samples_failed_total") == Double(failed))
        // The receiver is back: the endpoint reads and sends everything that was written.
        #expect(try readAll(wal, from: start) == written)
        wal.updateReader("ep", read: wal.end, acked: wal.end)
        wal.housekeeping()
        #expect(store.used < 400, "the sent segment is deleted: \(store.used) bytes left")
        // Commits resume, and the endpoint reads on from where it was.
        let resumedAt = wal.end
        try wal.append(series(500, 10))
        #expect(try readAll(wal, from: resumedAt) == series(500, 10))
        #expect(metricValue(reg, "promsls_wal_samples_failed_total") == Double(failed))
    }

    // An endpoint that has not sent the segment keeps it: nothing it still needs is deleted.
    @Test func aSegmentAnEndpointStillNeedsIsKept() throws {
        let store = SmallDiskStore(capacity: 4_000)
        let wal = try WAL(
            store: store, options: WALOptions(maxSize: 0, retention: .zero), registry: PrometheusCollectorRegistry(),
            logger: testLogger)
        let start = wal.registerReader("ep") { _, _, _, _ in }.acked
        var written: [TimeSeriesSample] = []
        for i in 0..<200 {
            if (try? wal.append(series(i, 10))) != nil { written += series(i, 10) }
        }
        let used = store.used
        wal.housekeeping()
        #expect(store.used == used)
        #expect(try readAll(wal, from: start) == written)
    }
}
