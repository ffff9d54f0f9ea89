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
        t.setExternalLabels(Labels(["cluster": "c1", "job": "ignored"]))
        let ra = t.ref(for: Self.a)
        let before = wal.end.offset
        try wal.append([RefSample(ref: ra, timestampMs: 1000, value: 1)], series: t)
        let first = wal.end.offset - before
        try wal.append([RefSample(ref: ra, timestampMs: 2000, value: 2)], series: t)
        let second = wal.end.offset - before - first
        // The second record carries no definition: only the header, counts and one sample.
        #expect(second < first - 20)
        #expect(second <= 8 + 1 + 1 + 1 + 8 + 1 + 2 + 8)
        // External labels changed: the old ref is refused to appenders, but a sample already
        // appended by it is written with the labels it had.
        #expect(t.setExternalLabels(Labels(["cluster": "c2"])))
        #expect(!t.setExternalLabels(Labels(["cluster": "c2"])))
        #expect(!t.touch(ra))
        try wal.append([RefSample(ref: ra, timestampMs: 2500, value: 2.5)], series: t)
        let ra2 = t.ref(for: Self.a)
        #expect(ra2 != ra)
        try wal.append([RefSample(ref: ra2, timestampMs: 3000, value: 3)], series: t)
        let got = try readAll(wal)
        let c1 = Labels(["__name__": "up", "cluster": "c1", "instance": "h:9100", "job": "node"])
        #expect(
            got == [
                TimeSeriesSample(labels: c1, timestampMs: 1000, value: 1),
                TimeSeriesSample(labels: c1, timestampMs: 2000, value: 2),
                TimeSeriesSample(labels: c1, timestampMs: 2500, value: 2.5),
                TimeSeriesSample(
                    labels: Labels(["__name__": "up", "cluster": "c2", "instance": "h:9100", "job": "node"]),
                    timestampMs: 3000, value: 3),
            ])
        // The stale series is collected like an idle one; the new one stays.
        #expect(t.count == 2)
        #expect(t.collect(idleTicks: 1) == 0)
        #expect(t.touch(ra2))
        #expect(t.collect(idleTicks: 1) == 1)
        #expect(t.touch(ra2))
        #expect(t.labels(ra) == nil)
    }

    @Test func aSeriesWhoseOwnLabelWinsKeepsItsRefWhenExternalLabelsChange() {
        let t = SeriesTable()
        t.setExternalLabels(Labels(["cluster": "c1"]))
        let own = Labels(["__name__": "up", "cluster": "mine"])
        let r = t.ref(for: own)
        t.setExternalLabels(Labels(["cluster": "c2"]))
        #expect(!t.touch(r))
        // The same bytes under either: found again, no longer stale.
        #expect(t.ref(for: own) == r)
        #expect(t.touch(r))
        #expect(t.labels(r) == own)
        #expect(t.count == 1)
    }

    @Test func theIndexFindsEverySurvivorAfterCollectingHalf() {
        let t = SeriesTable()
        let sets = (0..<5000).map { Labels(["__name__": "m\($0 % 37)", "i": "\($0)"]) }
        let refs = sets.map { t.ref(for: $0) }
        #expect(Set(refs).count == sets.count)
        #expect(t.collect(idleTicks: 5) == 0)
        for (k, r) in refs.enumerated() where k % 3 != 0 { #expect(t.touch(r)) }
        #expect(t.collect(idleTicks: 1) == 1667)
        #expect(t.count == 5000 - 1667)
        for (k, l) in sets.enumerated() where k % 3 != 0 { #expect(t.ref(for: l) == refs[k]) }
        for (k, l) in sets.enumerated() where k % 3 == 0 {
            let r = t.ref(for: l)
            #expect(r != refs[k])
            #expect(t.labels(r) == l)
        }
        #expect(t.count == 5000)
    }

    @Test func aReaderSendsTheTablesOwnSeriesObject() throws {
        let wal = try WAL(
            directory: nil, options: WALOptions(maxSize: 0, retention: .zero), registry: PrometheusCollectorRegistry(),
            logger: testLogger)
        let t = wal.series
        let ra = t.ref(for: Self.a)
        let rb = t.ref(for: Self.b)
        try wal.append(
            [RefSample(ref: ra, timestampMs: 1, value: 1), RefSample(ref: rb, timestampMs: 1, value: 2)], series: t)
        var r = WALReader(wal: wal, from: WALPosition(segment: 1, offset: 0), logger: testLogger)
        let wire = try r.nextReadingHere(maxSamples: 100).flatMap(\.wire)
        #expect(wire.count == 2)
        #expect(wire[0].series === t.series(ra)!)
        #expect(wire[1].series === t.series(rb)!)
        // Slot of a collected and reused: a reader starting over makes its own copy of the
        // old definition (the table's slot now holds another series).
        #expect(t.collect(idleTicks: 1) == 0)
        #expect(t.touch(rb))
        #expect(t.collect(idleTicks: 1) == 1)
        let rc = t.ref(for: Labels(["__name__": "c"]))
        #expect(rc.raw & 0xffff_ffff == ra.raw & 0xffff_ffff)
        var again = WALReader(wal: wal, from: WALPosition(segment: 1, offset: 0), logger: testLogger)
        let first = try again.nextReadingHere(maxSamples: 100).flatMap(\.wire)
        #expect(!(first[0].series === t.series(rc)!))
        #expect(first[0].series.labels == Self.a)
        #expect(first[1].series === t.series(rb)!)
    }

    @Test(arguments: [
        (Labels(["__name__": "up", "job": "node"]), true),
        (Labels(["__name__": "up", "job": "node", "x": ""]), true),
        (Labels(["__name__": "up", "job": "nodes"]), false),
        (Labels(["__name__": "up"]), false),
        (Labels(["__name__": "up", "job": "node", "z": "1"]), false),
        (Labels(["__name__": "up", "jo": "bnode"]), false),
        (Labels(), false),
    ])
    func aDefinitionMatchesOnlyTheSameLabels(_ labels: Labels, _ same: Bool) {
        let s = WireSeries.make(Labels(["__name__": "up", "job": "node"]))
        var wal: [UInt8] = []
        WALRecord.putLabels(&wal, labels)
        #expect(wal.withUnsafeBytes { s.matches(walLabels: $0) } == same)
        var def: [UInt8] = []
        s.appendWALDefinition(to: &def)
        #expect(SeriesTable.decode(def) == Labels(["__name__": "up", "job": "node"]))
    }

    @Test func aReusedSlotIsDefinedAgainWithItsNewLabels() throws {
        let wal = try WAL(
            directory: nil, options: WALOptions(maxSize: 0, retention: .zero), registry: PrometheusCollectorRegistry(),
            logger: testLogger)
        let t = wal.series
        let ra = t.ref(for: Self.a)
        try wal.append([RefSample(ref: ra, timestampMs: 1000, value: 1)], series: t)
        t.collect(idleTicks: 0)
        t.collect(idleTicks: 0)
        let rb = t.ref(for: Self.b)
        #expect(rb.raw & 0xffff_ffff == ra.raw & 0xffff_ffff)
        try wal.append([RefSample(ref: rb, timestampMs: 2000, value: 2)], series: t)
        // A sample for the collected ref is not written under the new series' labels; the
        // record it is in keeps its other samples (its unknown ref held no previous value: a
        // 4-billion-entry array once).
        try wal.append(
            [RefSample(ref: ra, timestampMs: 3000, value: 3), RefSample(ref: rb, timestampMs: 3000, value: 4)],
            series: t)
        #expect(
            try readAll(wal) == [
                TimeSeriesSample(labels: Self.a, timestampMs: 1000, value: 1),
                TimeSeriesSample(labels: Self.b, timestampMs: 2000, value: 2),
                TimeSeriesSample(labels: Self.b, timestampMs: 3000, value: 4),
            ])
    }

    @Test func aDefinitionRefPastTheTablesBoundIsMalformedNotAnAllocation() throws {
        var labels: [UInt8] = []
        WALRecord.putLabels(&labels, Self.a)
        for (ref, ok) in [(5, true), (WALRecord.maxSeriesRef, false), (1 << 28 - 1, false)] {
            var rec: [UInt8] = []
            // The sample goes by a small ref: encoding a sample of ref 2^28 would grow the
            // writer's value state to 2^28 entries (minutes and gigabytes in a debug build),
            // and the definition, decoded first, is what is under test.
            WALRecord.appendCommit(
                to: &rec, definitions: [(UInt32(ref), labels)], refs: [UInt32(5)],
                samples: [RefSample(ref: SeriesRef(raw: 0), timestampMs: 1, value: 1)], format: .tagged)
            guard case .record(let p, _) = rec.withUnsafeBytes({ WALRecord.frame($0, at: 0) }) else {
                Issue.record("no record framed")
                continue
            }
            var series: [WireSeries?] = []
            var out: [WireSample] = []
            var ex: [IndexedExemplar] = []
            var stats = WALRecord.Stats()
            var values = WALValues()
            let decoded = rec.withUnsafeBytes { buf in
                Result {
                    try WALRecord.decodeCommit(
                        UnsafeRawBufferPointer(rebasing: buf[p]), series: &series,
                        makeSeries: { _, b in WireSeries.make(walLabels: b) }, out: &out, exemplars: &ex,
                        stats: &stats, values: &values)
                }
            }
            if ok {
                #expect((try? decoded.get()) == 0)
                #expect(out.map(\.series.labels) == [Self.a])
            } else {
                #expect(throws: WALDecodeError.malformed) { try decoded.get() }
                #expect(series.count == 0)
            }
        }
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
        let recs = try r.nextReadingHere(maxSamples: 1000)
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
