import Foundation
import PromModel
import Prometheus
import Testing

@testable import RemoteWrite

/// Type-6 records store each value against its series' previous value in the segment: these
/// tests hold the reader to exact values whatever happened to the records before.
@Suite struct WALValueTests {
    /// Commit `k`: series set A (even k) or B (odd k), 10 counters each, values that grow by k.
    static func commit(_ k: Int) -> [TimeSeriesSample] {
        let set = k % 2 == 0 ? "a" : "b"
        return (0..<10).map { i in
            TimeSeriesSample(
                labels: Labels(["__name__": "c_\(set)", "i": "\(i)"]), timestampMs: 1_000 * Int64(k + 1),
                // Whole numbers, and every third series a fractional gauge (XOR path).
                value: i % 3 == 0 ? Double(k) * 0.37 + Double(i) : Double(1_000_000 + k * (i + 1)))
        }
    }

    static func openWAL(_ store: any SegmentStore) throws -> WAL {
        try WAL(
            store: store, options: WALOptions(maxSize: 0, retention: .zero), registry: PrometheusCollectorRegistry(),
            logger: testLogger)
    }

    static func bits(_ s: [TimeSeriesSample]) -> [String] {
        s.map { "\($0.labels) \($0.sample.timestampMs) \($0.sample.value.bitPattern)" }
    }

    // A steady scrape's values are stored against the previous scrape's: a counter's increase
    // takes 2–3 bytes where the record's own previous sample gave 4–5.
    @Test func valuesAreStoredAgainstTheSeriesPreviousValue() throws {
        let wal = try Self.openWAL(MemorySegmentStore())
        try wal.append(Self.commit(0))
        let first = wal.end.offset
        try wal.append(Self.commit(2))
        let second = wal.end.offset - first
        // Record: 8 header + type, nSeries, nSamples, base, flags, check; 10 samples.
        #expect(second <= 8 + 1 + 1 + 1 + 8 + 1 + 4 + 10 * 5, "second record: \(second) bytes")
        #expect(Self.bits(try readAll(wal)) == Self.bits(Self.commit(0) + Self.commit(2)))
    }

    // Issue 12: a corrupt record in the middle of a segment. The records of its series that
    // follow are refused (never decoded against the wrong previous values) up to the next key
    // record, from which they decode again; the other series lose nothing.
    @Test func aLostRecordSpoilsNoValueOfTheRecordsAfterIt() throws {
        let store = MemorySegmentStore()
        let wal = try Self.openWAL(store)
        var ends: [Int] = []
        let commits = (0..<(WAL.keyRecordEvery + 10)).map(Self.commit)
        for c in commits {
            try wal.append(c)
            ends.append(wal.end.offset)
        }
        let segment = wal.end.segment
        wal.close()
        // Flip a byte in the payload of record 4 (series set A).
        var bytes = try #require(try store.read(segment, offset: 0, count: ends.last!))
        bytes[ends[3] + 8 + 12] ^= 0x5a
        try store.remove(segment)
        try store.append(segment, bytes)
        let reopened = try Self.openWAL(store)
        var reader = WALReader(wal: reopened, from: WALPosition(segment: segment, offset: 0), logger: testLogger)
        var got: [TimeSeriesSample] = []
        while case let records = try reader.nextReadingHere(maxSamples: 100_000), !records.isEmpty {
            got += records.flatMap(\.samples)
        }
        let key = WAL.keyRecordEvery
        let kept = commits.indices.filter { $0 % 2 == 1 || $0 < 4 || $0 >= key }
        #expect(Self.bits(got) == Self.bits(kept.flatMap { commits[$0] }))
        // Record 4 (corrupt) and the A records after it up to the key record.
        #expect(reader.corruptions == (key - 4) / 2)
    }

    // A write that failed (disk full) is taken back: the values that follow are stored against
    // what is on disk, and read back exactly.
    @Test func aFailedWriteLeavesNoValueBehind() throws {
        let store = FaultyStore()
        let wal = try Self.openWAL(store)
        try wal.append(Self.commit(0))
        store.failing = ENOSPC
        #expect(throws: WALIOError.self) { try wal.append(Self.commit(2)) }
        store.failing = nil
        try wal.append(Self.commit(4))
        #expect(Self.bits(try readAll(wal)) == Self.bits(Self.commit(0) + Self.commit(4)))
    }

    // A reader resuming in the middle of a segment (a saved position) reads the records
    // before it for their values, and decodes the rest exactly.
    @Test func aReaderResumingMidSegmentDecodesExactly() throws {
        let wal = try Self.openWAL(MemorySegmentStore())
        var middle = WALPosition(segment: 0, offset: 0)
        for k in 0..<12 {
            try wal.append(Self.commit(k))
            if k == 5 { middle = wal.end }
        }
        #expect(Self.bits(try readAll(wal, from: middle)) == Self.bits((6..<12).flatMap(Self.commit)))
    }
}
