import PromModel
import Testing

@testable import RemoteWrite

@Suite struct ProtobufTests {
    @Test func tinyRequestIsByteExact() {
        // WriteRequest{timeseries: [{labels: [{"__name__","up"}], samples: [{value: 1, timestamp: 1000}]}]}
        let s = TimeSeriesSample(labels: Labels(["__name__": "up"]), timestampMs: 1000, value: 1)
        var enc = WriteRequestEncoder()
        let bytes = enc.encode(samples: [s])
        let expected: [UInt8] = [
            0x0A, 0x1E,  // field 1 (timeseries), 30 bytes = 2 + 14 + 2 + 12
            0x0A, 0x0E,  // TimeSeries.labels, 14 bytes
            0x0A, 0x08, 0x5F, 0x5F, 0x6E, 0x61, 0x6D, 0x65, 0x5F, 0x5F,  // name "__name__"
            0x12, 0x02, 0x75, 0x70,  // value "up"
            0x12, 0x0C,  // TimeSeries.samples, 12 bytes = 9 + 3
            0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x3F,  // double 1.0 (fixed64 LE)
            0x10, 0xE8, 0x07,  // timestamp 1000 (varint)
        ]
        #expect(bytes == expected)
        #expect(WriteRequestEncoder.standaloneSize(s) == expected.count)
    }

    @Test func metadataIsByteExact() {
        var enc = WriteRequestEncoder()
        let bytes = enc.encode(metadata: [MetricMetadata(familyName: "a", type: .gauge, help: "h", unit: "s")])
        #expect(bytes == [0x1A, 0x0B, 0x08, 0x02, 0x12, 0x01, 0x61, 0x22, 0x01, 0x68, 0x2A, 0x01, 0x73])
    }

    @Test func roundTripKeepsLabelsValuesTimestampsAndGrouping() throws {
        let a = Labels(["__name__": "http_requests_total", "job": "node", "path": "/ü/\"x\""])
        let b = Labels(["__name__": "temp", "zone": "a"])
        let samples: [TimeSeriesSample] = [
            .init(labels: a, timestampMs: 1, value: 1.5),
            .init(labels: a, timestampMs: 2, value: .nan),
            .init(labels: a, timestampMs: -1_000, value: StaleNaN.value),
            .init(labels: b, timestampMs: 0, value: 0),
            .init(labels: b, timestampMs: .min, value: -0.0),
            .init(labels: a, timestampMs: .max, value: .infinity),
        ]
        var enc = WriteRequestEncoder()
        let req = try WriteRequestDecoder.decode(enc.encode(samples: samples))
        // Consecutive samples of one series share one TimeSeries; order is kept.
        #expect(req.timeseries.map(\.labels) == [a, b, a])
        #expect(req.timeseries.map(\.samples.count) == [3, 2, 1])
        // Sample == compares bit patterns (NaN, StaleNaN). -0.0 travels as +0.0: Go's encoder
        // omits a value equal to 0, and promsls matches it (parity with Prometheus).
        var expected = samples
        expected[4].sample.value = 0
        #expect(req.samples == expected)
        #expect(req.timeseries[1].samples[1].value.bitPattern == 0)
        #expect(StaleNaN.isStale(req.timeseries[0].samples[2].value))
        #expect(req.timeseries[0].samples[1].value.bitPattern == Double.nan.bitPattern)
    }

    @Test func roundTripMetadataOfEveryType() throws {
        let md = MetricType.allCases.filter { $0 != .untyped }.map {
            MetricMetadata(
                familyName: "m_\($0.rawValue)", type: $0, help: "help \u{1F600}", unit: $0 == .counter ? "" : "bytes")
        }
        var enc = WriteRequestEncoder()
        let req = try WriteRequestDecoder.decode(enc.encode(metadata: md))
        #expect(req.metadata == md)
        #expect(req.timeseries.isEmpty)
        #expect(MetricType.untyped.protobufValue == 0)
    }

    @Test func encoderReusesItsBuffer() {
        var enc = WriteRequestEncoder(reservingCapacity: 4096)
        let s = (0..<50).map {
            TimeSeriesSample(labels: Labels(["__name__": "x", "i": "\($0 % 5)"]), timestampMs: Int64($0), value: 1)
        }
        let first = enc.encode(samples: s)
        let second = enc.encode(samples: s)
        #expect(first == second)
        #expect(enc.buffer.capacity >= 4096)
    }

    @Test(arguments: [[UInt8]([0x0A]), [0x0A, 0x05, 0x0A], [0x09, 0x01], [0x0B], [0x80, 0x80]])
    func decoderRejectsTruncatedInput(_ bytes: [UInt8]) {
        #expect(throws: ProtobufDecodingError.self) { try WriteRequestDecoder.decode(bytes) }
    }

    @Test func decoderSkipsUnknownFields() throws {
        // field 5 varint, field 6 fixed32, then an empty TimeSeries.
        let req = try WriteRequestDecoder.decode([0x28, 0x01, 0x35, 1, 2, 3, 4, 0x0A, 0x00])
        #expect(req.timeseries == [DecodedTimeSeries(labels: Labels(), samples: [])])
    }

    @Test func snappyRoundTrip() throws {
        for input in [
            [UInt8](), Array("hello hello hello hello".utf8),
            (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7 / 3) },
        ] {
            let c = try Snappy.compress(input)
            #expect(try Snappy.uncompress(c) == input)
        }
        var enc = WriteRequestEncoder()
        let body = try Snappy.compress(
            enc.encode(samples: [.init(labels: Labels(["__name__": "up"]), timestampMs: 5, value: 1)]))
        #expect(try WriteRequestDecoder.decode(snappyCompressed: body).samples.count == 1)
    }

    @Test func snappyRejectsGarbage() {
        #expect(throws: SnappyError.self) { try Snappy.uncompress([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x02]) }
        #expect(throws: SnappyError.self) {
            try Snappy.uncompress(Snappy.compress(Array(repeating: 1, count: 100)), maxLength: 10)
        }
    }

    /// A sender compresses every batch into the same buffer: its storage is reused, not
    /// allocated (and zeroed) again per batch.
    @Test func compressingAgainIntoTheSameBufferReusesItsStorage() throws {
        let big = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31 >> 3) }
        let small = Array(big.prefix(50_000))
        var out: [UInt8] = []
        try Snappy.compress(big, into: &out)
        let storage = out.withUnsafeBufferPointer { $0.baseAddress }
        #expect(try Snappy.uncompress(out) == big)
        try Snappy.compress(small, into: &out)
        #expect(try Snappy.uncompress(out) == small)
        try Snappy.compress(big, into: &out)
        #expect(out.withUnsafeBufferPointer { $0.baseAddress } == storage)
        #expect(try Snappy.uncompress(out) == big)
    }
}
