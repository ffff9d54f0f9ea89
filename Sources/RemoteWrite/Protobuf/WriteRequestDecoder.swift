import PromModel

/// One decoded `prometheus.TimeSeries`: labels, samples and exemplars (native histograms
/// are skipped).
public struct DecodedTimeSeries: Hashable, Sendable {
    public var labels: Labels
    public var samples: [Sample]
    public var exemplars: [Exemplar]

    public init(labels: Labels, samples: [Sample], exemplars: [Exemplar] = []) {
        self.labels = labels
        self.samples = samples
        self.exemplars = exemplars
    }
}

/// A decoded `prometheus.WriteRequest`.
public struct DecodedWriteRequest: Hashable, Sendable {
    public var timeseries: [DecodedTimeSeries]
    public var metadata: [MetricMetadata]

    public init(timeseries: [DecodedTimeSeries] = [], metadata: [MetricMetadata] = []) {
        self.timeseries = timeseries
        self.metadata = metadata
    }

    /// Every sample, flattened in request order.
    public var samples: [TimeSeriesSample] {
        timeseries.flatMap { ts in
            ts.samples.map { TimeSeriesSample(labels: ts.labels, timestampMs: $0.timestampMs, value: $0.value) }
        }
    }
}

/// A protobuf decoding failure, with the byte offset where it happened.
public struct ProtobufDecodingError: Error, CustomStringConvertible, Sendable, Equatable {
    public var offset: Int
    public var reason: String
    public var description: String { "protobuf decoding failed at byte \(offset): \(reason)" }
}

/// Decodes remote write 1.0 `prometheus.WriteRequest` bodies (after snappy decompression),
/// for the `promsls receive` test receiver and for tests. Unknown fields are skipped.
public enum WriteRequestDecoder {
    /// - Throws: `ProtobufDecodingError` on truncated or malformed input.
    public static func decode(_ bytes: [UInt8]) throws -> DecodedWriteRequest {
        try bytes.withUnsafeBufferPointer { buf in
            var r = Reader(buf: buf, pos: 0, end: buf.count)
            var out = DecodedWriteRequest()
            while !r.atEnd {
                let (field, wire) = try r.tag()
                switch (field, wire) {
                case (1, 2):
                    var sub = try r.submessage()
                    out.timeseries.append(try decodeTimeSeries(&sub))
                case (3, 2):
                    var sub = try r.submessage()
                    out.metadata.append(try decodeMetadata(&sub))
                default:
                    try r.skip(wire: wire)
                }
            }
            return out
        }
    }

    /// Decodes a snappy-compressed body as received over HTTP.
    public static func decode(snappyCompressed body: [UInt8]) throws -> DecodedWriteRequest {
        try decode(Snappy.uncompress(body))
    }

    private static func decodeTimeSeries(_ r: inout Reader) throws -> DecodedTimeSeries {
        var labels: [Label] = []
        var samples: [Sample] = []
        var exemplars: [Exemplar] = []
        while !r.atEnd {
            let (field, wire) = try r.tag()
            switch (field, wire) {
            case (1, 2):
                var sub = try r.submessage()
                labels.append(try decodeLabel(&sub))
            case (2, 2):
                var sub = try r.submessage()
                var ts: Int64 = 0
                var v: Double = 0
                while !sub.atEnd {
                    let (f, w) = try sub.tag()
                    switch (f, w) {
                    case (1, 1): v = Double(bitPattern: try sub.fixed64())
                    case (2, 0): ts = Int64(bitPattern: try sub.varint())
                    default: try sub.skip(wire: w)
                    }
                }
                samples.append(Sample(timestampMs: ts, value: v))
            case (3, 2):
                var sub = try r.submessage()
                var el: [Label] = []
                var ts: Int64 = 0
                var v: Double = 0
                while !sub.atEnd {
                    let (f, w) = try sub.tag()
                    switch (f, w) {
                    case (1, 2):
                        var l = try sub.submessage()
                        el.append(try decodeLabel(&l))
                    case (2, 1): v = Double(bitPattern: try sub.fixed64())
                    case (3, 0): ts = Int64(bitPattern: try sub.varint())
                    default: try sub.skip(wire: w)
                    }
                }
                exemplars.append(Exemplar(labels: labelSet(el), value: v, timestampMs: ts))
            default:
                try r.skip(wire: wire)
            }
        }
        return DecodedTimeSeries(labels: labelSet(labels), samples: samples, exemplars: exemplars)
    }

    private static func decodeLabel(_ sub: inout Reader) throws -> Label {
        var name = "", value = ""
        while !sub.atEnd {
            let (f, w) = try sub.tag()
            switch (f, w) {
            case (1, 2): name = try sub.string()
            case (2, 2): value = try sub.string()
            default: try sub.skip(wire: w)
            }
        }
        return Label(name, value)
    }

    private static func labelSet(_ labels: [Label]) -> Labels {
        let sorted = zip(labels, labels.dropFirst()).allSatisfy { $0 < $1 } && !labels.contains { $0.value.isEmpty }
        return sorted ? Labels(trustedSorted: labels) : Labels(labels)
    }

    private static func decodeMetadata(_ r: inout Reader) throws -> MetricMetadata {
        var m = MetricMetadata(familyName: "", type: .unknown)
        while !r.atEnd {
            let (field, wire) = try r.tag()
            switch (field, wire) {
            case (1, 0): m.type = MetricType(protobufValue: Int(truncatingIfNeeded: try r.varint()))
            case (2, 2): m.familyName = try r.string()
            case (4, 2): m.help = try r.string()
            case (5, 2): m.unit = try r.string()
            default: try r.skip(wire: wire)
            }
        }
        return m
    }

    /// A bounds-checked cursor over a slice of the input.
    private struct Reader {
        let buf: UnsafeBufferPointer<UInt8>
        var pos: Int
        let end: Int

        var atEnd: Bool { pos >= end }

        func fail(_ reason: String) -> ProtobufDecodingError { ProtobufDecodingError(offset: pos, reason: reason) }

        mutating func varint() throws -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard pos < end else { throw fail("truncated varint") }
                guard shift < 64 else { throw fail("varint too long") }
                let b = buf[pos]
                pos += 1
                result |= UInt64(b & 0x7f) << shift
                if b < 0x80 { return result }
                shift += 7
            }
        }

        mutating func tag() throws -> (UInt64, UInt64) {
            let t = try varint()
            guard t >> 3 != 0 else { throw fail("field number 0") }
            return (t >> 3, t & 7)
        }

        mutating func fixed64() throws -> UInt64 {
            guard end - pos >= 8 else { throw fail("truncated fixed64") }
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(buf[pos + i]) << (8 * UInt64(i)) }
            pos += 8
            return v
        }

        mutating func length() throws -> Int {
            let n = try varint()
            guard n <= UInt64(end - pos) else { throw fail("length \(n) beyond end of message") }
            return Int(n)
        }

        mutating func submessage() throws -> Reader {
            let n = try length()
            defer { pos += n }
            return Reader(buf: buf, pos: pos, end: pos + n)
        }

        mutating func string() throws -> String {
            let n = try length()
            defer { pos += n }
            return String(decoding: UnsafeBufferPointer(rebasing: buf[pos..<pos + n]), as: UTF8.self)
        }

        mutating func skip(wire: UInt64) throws {
            switch wire {
            case 0: _ = try varint()
            case 1:
                guard end - pos >= 8 else { throw fail("truncated fixed64") }
                pos += 8
            case 2: pos += try length()
            case 5:
                guard end - pos >= 4 else { throw fail("truncated fixed32") }
                pos += 4
            default: throw fail("unsupported wire type \(wire)")
            }
        }
    }
}
