import PromModel
import Prometheus
import Testing

@testable import RemoteWrite

/// The series identity shared by scrape, WAL and queue: refs, collection, and the byte
/// encodings the WAL and the encoder take as they are.
@Suite struct SeriesTableTests {
    static let a = Labels(["__name__": "up", "instance": "h:9100", "job": "node"])
    static let b = Labels(["__name__": "up", "instance": "h:9101", "job": "node"])

    @Test func equalLabelSetsShareOneRefAndDecodeBack() {
        let t = SeriesTable()
        let ra = t.ref(for: Self.a)
        #expect(t.ref(for: Labels(["job": "node", "instance": "h:9100", "__name__": "up"])) == ra)
        let rb = t.ref(for: Self.b)
        #expect(rb != ra)
        #expect(t.count == 2)
        #expect(t.labels(ra) == Self.a)
        #expect(t.labels(rb) == Self.b)
        #expect(t.touch(ra))
        #expect(!t.touch(SeriesRef(raw: 12345)))
    }

    @Test func idleSeriesAreCollectedAndTheirOldRefsBecomeUnknown() {
        let t = SeriesTable()
        let ra = t.ref(for: Self.a)
        let rb = t.ref(for: Self.b)
        for _ in 0..<2 {
            #expect(t.collect(idleTicks: 2) == 0)
            #expect(t.touch(rb))
        }
        // a got no sample for more than 2 ticks: gone; b was touched every tick: kept.
        #expect(t.collect(idleTicks: 2) == 1)
        #expect(!t.touch(ra))
        #expect(t.labels(ra) == nil)
        #expect(t.touch(rb))
        #expect(t.count == 1)
        // The slot is reused for the next new series, under a new generation.
        let rc = t.ref(for: Labels(["__name__": "c"]))
        #expect(rc.raw & 0xffff_ffff == ra.raw & 0xffff_ffff)
        #expect(rc != ra)
        #expect(!t.touch(ra))
        #expect(t.labels(rc) == Labels(["__name__": "c"]))
        // a comes back: a new ref, its labels intact.
        let ra2 = t.ref(for: Self.a)
        #expect(t.labels(ra2) == Self.a)
    }

    @Test(arguments: [
        Labels(["__name__": "up", "instance": "h:9100", "job": "node"]),
        Labels(["__name__": "m", "path": String(repeating: "x", count: 300), "ünï": "çødé"]),
        Labels(),
    ])
    func wireSeriesFromWALBytesMatchesTheEncoderAndTheShardHash(_ labels: Labels) {
        var wal: [UInt8] = []
        WALRecord.putLabels(&wal, labels)
        let w = wal.withUnsafeBytes { WireSeries.make(walLabels: $0) }!
        #expect(w.hash == labels.stableHash)
        #expect(w.bytes == WireSeries.make(labels).bytes)
        #expect(w.labels == labels)
        #expect(!w.isDropped)
    }

    @Test func malformedWALBytesMakeNoSeries() {
        let bytes: [UInt8] = [2, 5, 0x61]  // two labels announced, a 5-byte name cut short
        #expect(bytes.withUnsafeBytes { WireSeries.make(walLabels: $0) } == nil)
    }

    @Test func walDefinesEachSeriesOncePerSegmentWithExternalLabels() throws {
        let wal = try WAL(
            directory: nil, options: WALOptions(maxSize: 0, retention: .zero), registry: PrometheusCollectorRegistry(),
            logger: testLogger)
        let t = wal.series
        let ra = t.ref(for: Self.a)
        let ext = Labels(["cluster": "c1", "job": "ignored"])
        let before = wal.end.offset
        try wal.append([RefSample(ref: ra, timestampMs: 1000, value: 1)], series: t, externalLabels: ext)
        let first = wal.end.offset - before
        try wal.append([RefSample(ref: ra, timestampMs: 2000, value: 2)], series: t, externalLabels: ext)
        let second = wal.end.offset - before - first
        // The second record carries no definition: only the header, counts and one sample.
        #expect(second < first - 20)
        #expect(second <= 8 + 1 + 1 + 1 + 8 + 1 + 2 + 8)
        // External labels changed: the series is defined again, with the new ones.
        wal.redefineSeries()
        try wal.append(
            [RefSample(ref: ra, timestampMs: 3000, value: 3)], series: t, externalLabels: Labels(["cluster": "c2"]))
        let got = try readAll(wal)
        let job = Labels(["__name__": "up", "cluster": "c1", "instance": "h:9100", "job": "node"])
        #expect(
            got == [
                TimeSeriesSample(labels: job, timestampMs: 1000, value: 1),
                TimeSeriesSample(labels: job, timestampMs: 2000, value: 2),
                TimeSeriesSample(
                    labels: Labels(["__name__": "up", "cluster": "c2", "instance": "h:9100", "job": "node"]),
                    timestampMs: 3000, value: 3),
            ])
    }

    @Test func aReusedSlotIsDefinedAgainWithItsNewLabels() throws {
        let wal = try WAL(
            directory: nil, options: WALOptions(maxSize: 0, retention: .zero), registry: PrometheusCollectorRegistry(),
            logger: testLogger)
        let t = wal.series
        let ra = t.ref(for: Self.a)
        try wal.append([RefSample(ref: ra, timestampMs: 1000, value: 1)], series: t, externalLabels: Labels())
        t.collect(idleTicks: 0)
        t.collect(idleTicks: 0)
        let rb = t.ref(for: Self.b)
        #expect(rb.raw & 0xffff_ffff == ra.raw & 0xffff_ffff)
        try wal.append([RefSample(ref: rb, timestampMs: 2000, value: 2)], series: t, externalLabels: Labels())
        // A sample for the collected ref is not written under the new series' labels; the
        // record it is in keeps its other samples (its unknown ref held no previous value: a
        // 4-billion-entry array once).
        try wal.append(
            [RefSample(ref: ra, timestampMs: 3000, value: 3), RefSample(ref: rb, timestampMs: 3000, value: 4)],
            series: t, externalLabels: Labels())
        #expect(
            try readAll(wal) == [
                TimeSeriesSample(labels: Self.a, timestampMs: 1000, value: 1),
                TimeSeriesSample(labels: Self.b, timestampMs: 2000, value: 2),
                TimeSeriesSample(labels: Self.b, timestampMs: 3000, value: 4),
            ])
    }

    @Test func writeRelabelingRunsOncePerSeriesAndSegment() throws {
        let wal = try WAL(
            directory: nil, options: WALOptions(maxSize: 0, retention: .zero), registry: PrometheusCollectorRegistry(),
            logger: testLogger)
        for i in 0..<10 {
            try wal.append([
                TimeSeriesSample(labels: Self.a, timestampMs: Int64(i), value: 1),
                TimeSeriesSample(labels: Self.b, timestampMs: Int64(i), value: 1),
            ])
        }
        let calls = Counter()
        var r = WALReader(
            wal: wal, from: WALPosition(segment: 1, offset: 0), logger: testLogger,
            makeSeries: WALReader.relabeling { l in
                calls.add()
                return l["instance"] == "h:9101" ? nil : l
            })
        let recs = try r.next(maxSamples: 1000)
        #expect(calls.value == 2)
        #expect(recs.flatMap(\.wire).count == 20)
        #expect(recs.flatMap(\.samples).count == 10)
        #expect(recs.flatMap(\.wire).filter { $0.series.isDropped }.count == 10)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLockLite()
    private var n = 0
    func add() { lock.withLock { n += 1 } }
    var value: Int { lock.withLock { n } }
}
