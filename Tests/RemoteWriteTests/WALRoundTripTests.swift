import PromModel
import Prometheus
import Testing

@testable import RemoteWrite

/// Issue 12, finding 7: every record the WAL writes is read back — whatever the label sizes.
@Suite struct WALRoundTripTests {
    /// A deterministic generator (SplitMix64): the same cases on every run.
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    // Random series with label values up to 16 MiB, then random crash points: the segment
    // cut at a random byte and the WAL opened again (its start-up repair) gives back every
    // commit that ended before the cut, whole, and nothing else.
    @Test(arguments: [1, 2, 3]) func randomSeriesWithHugeLabelValuesAreReadBack(seed: UInt64) throws {
        var rng = Rng(state: seed)
        let store = MemorySegmentStore()
        let wal = try WAL(
            store: store, options: WALOptions(segmentSize: 64 << 20, maxSize: 0, retention: .zero),
            registry: PrometheusCollectorRegistry(), logger: testLogger)
        var commits: [(samples: [TimeSeriesSample], end: Int)] = []
        for commit in 0..<8 {
            var samples: [TimeSeriesSample] = []
            for _ in 0..<(1 + rng.below(20)) {
                // Mostly small values; now and then one of up to 16 MiB.
                let size = rng.below(15) == 0 ? rng.below(16 << 20) + 1 : rng.below(200) + 1
                let value = String(repeating: Character(UnicodeScalar(UInt8(97 + rng.below(26)))), count: size)
                let labels = Labels(["__name__": "m\(rng.below(5))", "big": value, "i": "\(rng.below(1000))"])
                samples.append(
                    TimeSeriesSample(
                        labels: labels, timestampMs: 1_000 + Int64(commit) * 1_000,
                        value: Double(bitPattern: rng.next())))
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

    // A series with 100,000 label names (a hostile target's) and an exemplar of the same
    // width: written, and read back whole (the reader refused more than 65,535 labels).
    @Test func aSeriesWith100kLabelsIsReadBack() throws {
        let wal = try WAL(
            store: MemorySegmentStore(), options: WALOptions(maxSize: 0, retention: .zero),
            registry: PrometheusCollectorRegistry(), logger: testLogger)
        var list = (0..<100_000).map { Label("l\($0)", "v") }
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
}
