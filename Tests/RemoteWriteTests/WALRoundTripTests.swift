import PromModel
import Prometheus
import TestSupport
import Testing

@testable import RemoteWrite

/// Issue 12, finding 7: every record the WAL writes is read back — whatever the label sizes.
// Serialized, and sized to take a second or two in a debug build: its work is synchronous and
// would otherwise hold both threads of the cooperative pool from the timing-sensitive queue tests.
@Suite(.serialized, .offThePool) struct WALRoundTripTests {
    // Random series with label values up to 64 KiB and one of 16 MiB, then random crash points: the segment
    // cut at a random byte and the WAL opened again (its start-up repair) gives back every
    // commit that ended before the cut, whole, and nothing else.
    @Test(arguments: [1, 2, 3]) func randomSeriesWithHugeLabelValuesAreReadBack(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let store = MemorySegmentStore()
        let wal = try WAL(
            store: store, options: WALOptions(segmentSize: 64 << 20, maxSize: 0, retention: .zero),
            registry: PrometheusCollectorRegistry(), logger: testLogger)
        var commits: [(samples: [TimeSeriesSample], end: Int)] = []
        for commit in 0..<8 {
            var samples: [TimeSeriesSample] = []
            for _ in 0..<(1 + rng.below(20)) {
                // Mostly small values, some up to 64 KiB, and one of 16 MiB in the whole run.
                let huge = commit == 3 && samples.isEmpty && seed == 1
                let size = huge ? 16 << 20 : rng.below(8) == 0 ? rng.below(64 << 10) + 1 : rng.below(200) + 1
                let value = String(repeating: String(UnicodeScalar(UInt8(97 + rng.below(26)))), count: size)
                let labels = Labels(["__name__": "m\(rng.below(5))", "big": value, "i": "\(rng.below(1000))"])
                samples.append(
                    TimeSeriesSample(
                        labels: labels, timestampMs: 1_000 + Int64(commit) * 1_000,
                        // Whole numbers (type-6 integer deltas) among arbitrary bit patterns.
                        value: rng.below(3) == 0
                            ? Double(rng.below(2_000_000) - 1_000_000) : Double(bitPattern: rng.next())))
            }
            try wal.append(samples)
            commits.append((samples, wal.end.offset))
        }
        let written = commits.flatMap(\.samples)
        #expect(try readAll(wal) == written)
        let segment = wal.end.segment
        wal.close()
        // Crash points, last first: each cut is shorter than the one before.
        var size = store.size(segment) ?? 0
        for _ in 0..<3 where size > 1 {
            let cut = rng.below(size - 1) + 1
            try store.truncate(segment, to: cut)
            size = cut
            let reopened = try WAL(
                store: store, options: WALOptions(maxSize: 0, retention: .zero),
                registry: PrometheusCollectorRegistry(), logger: testLogger)
            let kept = commits.filter { $0.end <= cut }.flatMap(\.samples)
            #expect(try readAll(reopened, from: WALPosition(segment: segment, offset: 0)) == kept, "cut at \(cut)")
            reopened.close()
        }
    }

    // A series with 70,000 label names (a hostile target's): written, and read back whole
    // (the reader refused more than 65,535 labels).
    @Test func aSeriesWith70kLabelsIsReadBack() throws {
        let wal = try WAL(
            store: MemorySegmentStore(), options: WALOptions(maxSize: 0, retention: .zero),
            registry: PrometheusCollectorRegistry(), logger: testLogger)
        var list = (0..<70_000).map { Label("l\($0)", "v") }
        list.append(Label("__name__", "wide"))
        let wide = Labels(list)
        let samples = [TimeSeriesSample(labels: wide, timestampMs: 5_000, value: 1)] + series(0, 3)
        try wal.append(samples)
        let read = try readAll(wal)
        #expect(read.count == 4)
        #expect(read.first?.labels == wide)
        #expect(Array(read.dropFirst()) == series(0, 3))
    }

    // Issue 12, finding 6: a torn newest segment loses only its last record. Three commits of
    // 2,500 new series each (series definitions make the first records large), the segment
    // cut 10 bytes short: on reopening, the repair keeps every record before the torn one.
    @Test func aTornSegmentLosesOnlyItsLastRecord() throws {
        let store = MemorySegmentStore()
        let wal = try WAL(
            store: store, options: WALOptions(maxSize: 0, retention: .zero), registry: PrometheusCollectorRegistry(),
            logger: testLogger)
        let commits = (0..<3).map { c in
            (0..<2_500).map {
                TimeSeriesSample(
                    labels: Labels(["__name__": "node_like_metric_\(c)", "instance": "host:9100", "i": "\($0)"]),
                    timestampMs: 1_000, value: Double($0))
            }
        }
        for c in commits { try wal.append(c) }
        let segment = wal.end.segment
        let size = wal.end.offset
        // The first record defines 1,000 series: type 5, its definitions snappy-compressed to
        // well under half (label names and values repeat).
        let head = try #require(try store.read(segment, offset: 0, count: 12))
        #expect(head[8] == WALRecord.taggedCompressedCommitType)
        let firstLength = (0..<4).reduce(0) { $0 | Int(head[$1]) << (8 * $1) }
        #expect(firstLength < 1_000 * 60 / 2, "first record: \(firstLength) bytes")
        wal.close()
        try store.truncate(segment, to: size - 10)
        let reopened = try WAL(
            store: store, options: WALOptions(maxSize: 0, retention: .zero), registry: PrometheusCollectorRegistry(),
            logger: testLogger)
        let back = try readAll(reopened, from: WALPosition(segment: segment, offset: 0))
        let perRecord = WALOptions().maxSamplesPerRecord
        // 2,500 = 1,000 + 1,000 + 500: the last record of the last commit held 500 samples.
        #expect(back == Array(commits.joined().prefix(7_500 - 2_500 % perRecord)))
        #expect(store.size(segment)! > size / 2)
    }

    // A WAL written by earlier promsls versions (types 1 and 3, fixed 8-byte values; type 4,
    // trimmed XOR values) is still read after an upgrade; new records after it are tagged
    // (type 6); values at the edges of the integer encoding, NaN staleness markers, -0.0, and
    // timestamps and refs of both kinds come back bit for bit.
    @Test func recordsOfEarlierVersionsAndTaggedRecordsAreRead() throws {
        let values: [Double] = [
            0, -0.0, 1, 1, 2.5, StaleNaN.value, .infinity, 1e300, 123_456_789, 123_456_790, -5, 9_007_199_254_740_991,
            -9_007_199_254_740_991, 9_007_199_254_740_992, -.infinity, 0.1, .nan, 4_096, -0.5, 3,
        ]
        let samples = values.enumerated().map { i, v in
            TimeSeriesSample(
                labels: Labels(["__name__": "v", "i": "\(i % 4)"]), timestampMs: 10_000 + Int64(i % 3) * 15_000,
                value: v)
        }
        var definitions: [(UInt32, [UInt8])] = []
        for k in 0..<4 {
            var d: [UInt8] = []
            WALRecord.putLabels(&d, Labels(["__name__": "v", "i": "\(k)"]))
            definitions.append((UInt32(k), d))
        }
        let refs = (0..<values.count).map { UInt32($0 % 4) }
        let refSamples = samples.map {
            RefSample(ref: SeriesRef(raw: 0), timestampMs: $0.sample.timestampMs, value: $0.sample.value)
        }
        var old: [UInt8] = []
        WALRecord.appendCommit(to: &old, definitions: definitions, refs: refs, samples: refSamples[...], format: .plain)
        let exemplar = Exemplar(labels: Labels(["trace_id": "t"]), value: 1, timestampMs: 10_001)
        WALRecord.appendCommit(
            to: &old, definitions: [], refs: refs, samples: refSamples[...],
            exemplars: [IndexedExemplar(index: 2, exemplar: exemplar)], format: .plain)
        WALRecord.appendCommit(to: &old, definitions: [], refs: refs, samples: refSamples[...], format: .compact)
        let store = MemorySegmentStore()
        try store.append(1, old)
        let wal = try WAL(
            store: store, options: WALOptions(maxSize: 0, retention: .zero), registry: PrometheusCollectorRegistry(),
            logger: testLogger)
        try wal.append(samples)
        let back = try readAll(wal, from: WALPosition(segment: 1, offset: 0))
        #expect(back.count == 4 * samples.count)
        for (k, got) in back.enumerated() {
            let want = samples[k % samples.count]
            #expect(got.labels == want.labels)
            #expect(got.sample.timestampMs == want.sample.timestampMs)
            #expect(got.sample.value.bitPattern == want.sample.value.bitPattern, "sample \(k)")
        }
    }
}
