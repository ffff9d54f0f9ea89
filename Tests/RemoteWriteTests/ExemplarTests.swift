import AgentConfig
import PromModel
import Prometheus
import Testing

@testable import RemoteWrite

@Suite struct ExemplarTests {
    static let ex1 = Exemplar(labels: Labels(["trace_id": "abc"]), value: 0.5, timestampMs: 1_700_000_000_123)
    static let ex2 = Exemplar(labels: Labels(["span_id": "s", "trace_id": "def"]), value: 0, timestampMs: 0)

    @Test func encoderDecoderRoundTripWithExemplars() throws {
        let a = Labels(["__name__": "a_total", "job": "j"])
        let b = Labels(["__name__": "b_total"])
        let items: [(TimeSeriesSample, Exemplar?)] = [
            (TimeSeriesSample(labels: a, timestampMs: 1, value: 1), Self.ex1),
            (TimeSeriesSample(labels: a, timestampMs: 2, value: 2), nil),
            (TimeSeriesSample(labels: b, timestampMs: 3, value: 3), Self.ex2),
        ]
        var enc = WriteRequestEncoder()
        let bytes = enc.encode(samplesWithExemplars: items)
        let decoded = try WriteRequestDecoder.decode(bytes)
        #expect(
            decoded.timeseries == [
                DecodedTimeSeries(
                    labels: a, samples: [Sample(timestampMs: 1, value: 1), Sample(timestampMs: 2, value: 2)],
                    exemplars: [Self.ex1]),
                DecodedTimeSeries(labels: b, samples: [Sample(timestampMs: 3, value: 3)], exemplars: [Self.ex2]),
            ])
        // Re-encoding the decoded series gives the same bytes; without exemplars, the old layout.
        var enc2 = WriteRequestEncoder()
        #expect(enc2.encode(series: decoded.timeseries) == bytes)
        var enc3 = WriteRequestEncoder()
        #expect(
            enc3.encode(samplesWithExemplars: items.map { ($0.0, nil) }) == encodeOnce(items.map(\.0)))
        #expect(WriteRequestEncoder.exemplarFieldSize(Self.ex1) > 0)
    }

    @Test func walRoundTripWithExemplarsAcrossRecords() throws {
        var o = WALOptions(maxSize: 0, retention: .zero, fsync: .never)
        o.maxSamplesPerRecord = 3
        let wal = try WAL(
            store: MemorySegmentStore(), options: o, registry: PrometheusCollectorRegistry(), logger: testLogger)
        let samples = makeSamples(7)
        // A type-1 commit first (no exemplars), then one with exemplars split over 3 records.
        try wal.append(Array(samples.prefix(2)))
        try wal.append(
            samples,
            exemplars: [IndexedExemplar(index: 1, exemplar: Self.ex1), IndexedExemplar(index: 5, exemplar: Self.ex2)])
        var r = WALReader(wal: wal, from: WALPosition(segment: 1, offset: 0), logger: testLogger)
        var recs: [WALReader.Record] = []
        while true {
            let got = try r.nextReadingHere(maxSamples: 1000)
            if got.isEmpty { break }
            recs += got
        }
        #expect(recs.map(\.samples.count) == [2, 3, 3, 1])
        #expect(recs.flatMap(\.samples) == Array(samples.prefix(2)) + samples)
        #expect(
            recs.map(\.exemplars) == [
                [], [IndexedExemplar(index: 1, exemplar: Self.ex1)], [IndexedExemplar(index: 2, exemplar: Self.ex2)],
                [],
            ])
        #expect(r.corruptions == 0)
    }

    @Test func exemplarsDeliveredOnlyToSendExemplarsEndpoint() async throws {
        let with = TestReceiver { _ in (204, [], "") }
        let without = TestReceiver { _ in (204, [], "") }
        let reg = PrometheusCollectorRegistry()
        try await with.withServer { urlWith in
            try await without.withServer { urlWithout in
                var cw = fastConfig(url: urlWith, name: "with")
                cw.sendExemplars = true
                let cn = fastConfig(url: urlWithout, name: "without")
                var global = GlobalConfig()
                global.externalLabels = Labels(["cluster": "c1"])
                let storage = try RemoteStorage(
                    configs: [cw, cn], global: global, registry: reg, logger: testLogger,
                    flushTimeout: .seconds(5))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await storage.run() }
                    let app = storage.appender()
                    let a = Labels(["__name__": "a_total", "job": "j"])
                    let ref = try app.append(a, timestampMs: 1000, value: 1)
                    try app.appendExemplar(ref: ref, exemplar: Self.ex1)
                    try app.append(Labels(["__name__": "b"]), timestampMs: 1000, value: 2)
                    try await app.commit()
                    await storage.stop(deadline: .now + .seconds(30))
                    try await group.waitForAll()
                }
            }
        }
        let sw = with.received.compactMap(\.body).flatMap(\.timeseries)
        let sn = without.received.compactMap(\.body).flatMap(\.timeseries)
        #expect(sw.flatMap(\.samples).count == 2)
        #expect(sn.flatMap(\.samples).count == 2)
        let withA = sw.first { $0.labels["__name__"] == "a_total" }
        #expect(withA?.labels == Labels(["__name__": "a_total", "job": "j", "cluster": "c1"]))
        #expect(withA?.exemplars == [Self.ex1])
        #expect(sw.flatMap(\.exemplars).count == 1)
        #expect(sn.flatMap(\.exemplars).isEmpty)
        #expect(metricSum(reg, "prometheus_remote_storage_exemplars_total") == 1)
    }
}
