import Foundation
import PromModel
import Prometheus
import Testing

@testable import RemoteWrite

/// Issue 12, finding 5: a disk filled during an outage must be left once the receiver is back.
@Suite struct FullDiskTests {
    @Test func aDiskFilledDuringAnOutageIsLeftOnceTheEndpointHasSentEverything() throws {
        let store = FaultyStore(capacity: 4_000)
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
        let store = FaultyStore(capacity: 4_000)
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

    // A bound far below the segment size (2 MiB against 32 MiB segments in issue 12) holds:
    // segments are cut at a quarter of the bound, so the WAL is never more than one segment
    // over it while an endpoint is down, and the oldest samples are the ones dropped.
    @Test func aSmallSizeBoundHoldsWithinOneSegment() throws {
        let store = MemorySegmentStore()
        let maxSize = 200_000
        let wal = try WAL(
            store: store, options: WALOptions(maxSize: maxSize, retention: .zero),
            registry: PrometheusCollectorRegistry(),
            logger: testLogger)
        #expect(wal.options.segmentSize == maxSize / 4)
        let lost = LockedBox(0)
        let start = wal.registerReader("down") { n, _, _, _ in lost.mutate { $0 += n } }.acked
        var rng = SplitMix64(seed: 7)
        var largest = 0
        for i in 0..<2_000 {
            let samples = (0..<50).map {
                TimeSeriesSample(
                    labels: Labels(["__name__": "m", "i": "\($0)"]), timestampMs: 1_000 + Int64(i) * 1_000,
                    value: Double(bitPattern: rng.next() >> 2))
            }
            try wal.append(samples)
            if i % 50 == 49 {
                wal.housekeeping()
                largest = max(largest, try store.segments().reduce(0) { $0 + (store.size($1) ?? 0) })
            }
        }
        #expect(largest <= maxSize + maxSize / 4, "WAL reached \(largest) bytes with a \(maxSize)-byte bound")
        let rest = try readAll(wal, from: start)
        #expect(lost.value > 0)
        #expect(lost.value + rest.count == 100_000)
        #expect(rest.last.map { $0.sample.timestampMs } == Int64(1_000 + 1_999 * 1_000))
    }
}
