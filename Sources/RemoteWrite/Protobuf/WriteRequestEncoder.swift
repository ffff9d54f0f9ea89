import PromModel

/// Encodes `prometheus.WriteRequest` (remote write 1.0) protobuf messages by hand into a
/// reused byte buffer: no per-sample allocation, no generated code.
///
/// Wire layout (https://prometheus.io/docs/specs/prw/remote_write_spec/, `prompb/remote.proto`,
/// `prompb/types.proto`):
/// ```
/// WriteRequest   { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
/// TimeSeries     { repeated Label labels = 1; repeated Sample samples = 2; repeated Exemplar exemplars = 3; }
/// Label          { string name = 1; string value = 2; }
/// Sample         { double value = 1; int64 timestamp = 2; }
/// Exemplar       { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
/// MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
/// ```
/// Proto3 scalars equal to their default (0, "") are omitted, as Go's encoder does.
public struct WriteRequestEncoder: Sendable {
    /// The bytes of the last encoded request; valid until the next `encode` call.
    public private(set) var buffer: [UInt8] = []

    public init(reservingCapacity: Int = 0) {
        buffer.reserveCapacity(reservingCapacity)
    }

    /// Encodes a WriteRequest holding `samples`, consecutive samples of the same series grouped
    /// into one TimeSeries (order kept), and returns the encoded bytes (also in `buffer`).
    @discardableResult
    public mutating func encode<C: Collection>(samples: C) -> [UInt8] where C.Element == TimeSeriesSample {
        buffer.removeAll(keepingCapacity: true)
        var i = samples.startIndex
        while i != samples.endIndex {
            let labels = samples[i].labels
            var j = samples.index(after: i)
            while j != samples.endIndex && samples[j].labels == labels { j = samples.index(after: j) }
            appendTimeSeries(labels: labels, samples: samples[i..<j].lazy.map { $0.sample })
            i = j
        }
        return buffer
    }

    /// As `encode(samples:)`, with each sample's exemplar (if any) in its TimeSeries.
    @discardableResult
    public mutating func encode<C: Collection>(samplesWithExemplars items: C) -> [UInt8]
    where C.Element == (TimeSeriesSample, Exemplar?) {
        buffer.removeAll(keepingCapacity: true)
        var i = items.startIndex
        while i != items.endIndex {
            let labels = items[i].0.labels
            var j = items.index(after: i)
            while j != items.endIndex && items[j].0.labels == labels { j = items.index(after: j) }
            let run = items[i..<j]
            appendTimeSeries(labels: labels, samples: run.lazy.map { $0.0.sample }, exemplars: run.compactMap { $0.1 })
            i = j
        }
        return buffer
    }

    /// Encodes a WriteRequest holding a queue's batch: consecutive samples of the same
    /// `WireSeries` grouped into one TimeSeries (order kept), each TimeSeries' labels written
    /// from the series' interned symbols, exemplars (if any) with their sample's series.
    @discardableResult
    mutating func encode(batch: [QueuedSample]) -> [UInt8] {
        buffer.removeAll(keepingCapacity: true)
        // One lock acquisition for the batch's label symbols; `batch` keeps every series alive.
        LabelSymbols.shared.withReader { symbols in
            var i = 0
            while i < batch.count {
                let series = batch[i].sample.series
                var j = i + 1
                var hasExemplar = batch[i].exemplar != nil
                while j < batch.count && batch[j].sample.series === series {
                    if batch[j].exemplar != nil { hasExemplar = true }
                    j += 1
                }
                let run = batch[i..<j]
                var payload = series.byteCount
                for q in run { payload += Self.fieldSize(Self.sampleSize(q.sample.sample)) }
                var exemplars: [Exemplar] = []
                if hasExemplar {
                    exemplars = run.compactMap(\.exemplar)
                    for e in exemplars { payload += Self.exemplarFieldSize(e) }
                }
                appendTag(field: 1, wire: 2)
                appendVarint(UInt64(payload))
                series.appendLabelFields(to: &buffer, symbols)
                for q in run { appendSample(q.sample.sample) }
                for e in exemplars { appendExemplar(e) }
                i = j
            }
        }
        return buffer
    }

    /// The encoded size of a queued sample travelling alone in its own TimeSeries, with its
    /// exemplar: an upper bound used to cap batches by bytes.
    static func standaloneSize(_ q: QueuedSample) -> Int {
        var ts = q.sample.series.byteCount + fieldSize(sampleSize(q.sample.sample))
        if let e = q.exemplar { ts += exemplarFieldSize(e) }
        return fieldSize(ts)
    }

    /// Encodes a WriteRequest holding one TimeSeries per element of `series`.
    @discardableResult
    public mutating func encode(series: [DecodedTimeSeries], metadata: [MetricMetadata] = []) -> [UInt8] {
        buffer.removeAll(keepingCapacity: true)
        for s in series { appendTimeSeries(labels: s.labels, samples: s.samples, exemplars: s.exemplars) }
        for m in metadata { appendMetadata(m) }
        return buffer
    }

    /// Encodes a WriteRequest holding only `metadata`.
    @discardableResult
    public mutating func encode(metadata: some Sequence<MetricMetadata>) -> [UInt8] {
        buffer.removeAll(keepingCapacity: true)
        for m in metadata { appendMetadata(m) }
        return buffer
    }

    // MARK: - Sizes

    /// The encoded size of one sample travelling alone in its own TimeSeries, including the
    /// WriteRequest field header: an upper bound used to cap batches by bytes.
    public static func standaloneSize(_ s: TimeSeriesSample) -> Int {
        let ts = labelsSize(s.labels) + fieldSize(sampleSize(s.sample))
        return fieldSize(ts)
    }

    /// The encoded size of an exemplar field inside a TimeSeries.
    public static func exemplarFieldSize(_ e: Exemplar) -> Int { fieldSize(exemplarSize(e)) }

    static func exemplarSize(_ e: Exemplar) -> Int {
        labelsSize(e.labels) + (e.value == 0 ? 0 : 9)
            + (e.timestampMs == 0 ? 0 : 1 + varintSize(UInt64(bitPattern: e.timestampMs)))
    }

    static func labelsSize(_ labels: Labels) -> Int {
        var n = 0
        for l in labels { n += fieldSize(labelSize(l)) }
        return n
    }

    static func labelSize(_ l: Label) -> Int {
        stringFieldSize(l.name.utf8.count) + stringFieldSize(l.value.utf8.count)
    }

    static func sampleSize(_ s: Sample) -> Int {
        (s.value == 0 ? 0 : 9) + (s.timestampMs == 0 ? 0 : 1 + varintSize(UInt64(bitPattern: s.timestampMs)))
    }

    /// Tag byte + length varint + payload, for a length-delimited field (always written).
    @inline(__always) static func fieldSize(_ payload: Int) -> Int { 1 + varintSize(UInt64(payload)) + payload }

    /// As `fieldSize`, but an empty string is omitted (proto3 default).
    @inline(__always) static func stringFieldSize(_ len: Int) -> Int { len == 0 ? 0 : fieldSize(len) }

    @inline(__always) static func varintSize(_ v: UInt64) -> Int {
        // 1 byte per started group of 7 bits, at least 1.
        let bits = 64 - v.leadingZeroBitCount
        return bits == 0 ? 1 : (bits + 6) / 7
    }

    // MARK: - Writers

    private mutating func appendTimeSeries<S: Sequence>(labels: Labels, samples: S, exemplars: [Exemplar] = [])
    where S.Element == Sample {
        var payload = Self.labelsSize(labels)
        for s in samples { payload += Self.fieldSize(Self.sampleSize(s)) }
        for e in exemplars { payload += Self.exemplarFieldSize(e) }
        appendTag(field: 1, wire: 2)
        appendVarint(UInt64(payload))
        appendLabels(labels)
        for s in samples { appendSample(s) }
        for e in exemplars { appendExemplar(e) }
    }

    @inline(__always) private mutating func appendSample(_ s: Sample) {
        appendTag(field: 2, wire: 2)
        appendVarint(UInt64(Self.sampleSize(s)))
        appendValueAndTimestamp(s.value, s.timestampMs, valueField: 1, timestampField: 2)
    }

    private mutating func appendExemplar(_ e: Exemplar) {
        appendTag(field: 3, wire: 2)
        appendVarint(UInt64(Self.exemplarSize(e)))
        appendLabels(e.labels)
        appendValueAndTimestamp(e.value, e.timestampMs, valueField: 2, timestampField: 3)
    }

    /// A double and an int64 field, each omitted when zero as Go's encoder does (so -0.0
    /// travels as +0.0, for parity).
    @inline(__always) private mutating func appendValueAndTimestamp(
        _ value: Double, _ timestampMs: Int64, valueField: UInt64, timestampField: UInt64
    ) {
        if value != 0 {
            appendTag(field: valueField, wire: 1)
            appendFixed64(value.bitPattern)
        }
        if timestampMs != 0 {
            appendTag(field: timestampField, wire: 0)
            appendVarint(UInt64(bitPattern: timestampMs))
        }
    }

    /// Appends `labels` as the `Label` fields of a TimeSeries to `out`.
    static func appendLabels(_ labels: Labels, to out: inout [UInt8]) {
        var e = WriteRequestEncoder()
        swap(&e.buffer, &out)
        e.appendLabels(labels)
        swap(&e.buffer, &out)
    }

    @inline(__always) static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    private mutating func appendLabels(_ labels: Labels) {
        for l in labels {
            appendTag(field: 1, wire: 2)
            appendVarint(UInt64(Self.labelSize(l)))
            appendString(field: 1, l.name)
            appendString(field: 2, l.value)
        }
    }

    private mutating func appendMetadata(_ m: MetricMetadata) {
        let type = UInt64(m.type.protobufValue)
        let payload =
            (type == 0 ? 0 : 1 + Self.varintSize(type))
            + Self.stringFieldSize(m.familyName.utf8.count)
            + Self.stringFieldSize(m.help.utf8.count)
            + Self.stringFieldSize(m.unit.utf8.count)
        appendTag(field: 3, wire: 2)
        appendVarint(UInt64(payload))
        if type != 0 {
            appendTag(field: 1, wire: 0)
            appendVarint(type)
        }
        appendString(field: 2, m.familyName)
        appendString(field: 4, m.help)
        appendString(field: 5, m.unit)
    }

    @inline(__always) private mutating func appendTag(field: UInt64, wire: UInt64) {
        appendVarint(field << 3 | wire)
    }

    @inline(__always) private mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            buffer.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        buffer.append(UInt8(v))
    }

    @inline(__always) private mutating func appendFixed64(_ value: UInt64) {
        var v = value
        for _ in 0..<8 {
            buffer.append(UInt8(truncatingIfNeeded: v))
            v >>= 8
        }
    }

    @inline(__always) private mutating func appendString(field: UInt64, _ s: String) {
        let n = s.utf8.count
        guard n > 0 else { return }
        appendTag(field: field, wire: 2)
        appendVarint(UInt64(n))
        buffer.append(contentsOf: s.utf8)
    }
}

extension MetricType {
    /// The `prometheus.MetricMetadata.MetricType` enum value.
    public var protobufValue: Int {
        switch self {
        case .unknown, .untyped: 0
        case .counter: 1
        case .gauge: 2
        case .histogram: 3
        case .gaugehistogram: 4
        case .summary: 5
        case .info: 6
        case .stateset: 7
        }
    }

    /// The type for a `prometheus.MetricMetadata.MetricType` enum value (unknown values map
    /// to `.unknown`).
    public init(protobufValue: Int) {
        switch protobufValue {
        case 1: self = .counter
        case 2: self = .gauge
        case 3: self = .histogram
        case 4: self = .gaugehistogram
        case 5: self = .summary
        case 6: self = .info
        case 7: self = .stateset
        default: self = .unknown
        }
    }
}
