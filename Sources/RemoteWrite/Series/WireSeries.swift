import PromModel

/// A series as one endpoint sends it: its labels already encoded as the `Label` fields of a
/// remote-write `TimeSeries` (after `external_labels` and `write_relabel_configs`), and its
/// shard hash (`Labels.stableHash` of those labels). Built once per series and segment,
/// shared by every sample of the series in the queue; the encoder copies the bytes as they
/// are.
///
/// One allocation per series: the header and the bytes live in one `ManagedBuffer` of exactly
/// the encoded size (a class holding a `[UInt8]` took two allocations, the array's 32-byte
/// header and its reserve: ≈ 100 bytes per series more). A struct holding the one reference:
/// the buffer is never mutated once made, hence `@unchecked Sendable` (`ManagedBuffer` itself
/// is not `Sendable`).
struct WireSeries: @unchecked Sendable {
    struct Header {
        var hash: UInt64
        var count: UInt32
        var isDropped: Bool
    }

    private let buffer: ManagedBuffer<Header, UInt8>

    var hash: UInt64 { buffer.header.hash }
    var isDropped: Bool { buffer.header.isDropped }
    var byteCount: Int { Int(buffer.header.count) }

    /// Whether `a` and `b` are the same made series (not merely equal bytes).
    static func === (a: WireSeries, b: WireSeries) -> Bool { a.buffer === b.buffer }

    /// The mark for a series `write_relabel_configs` dropped.
    static let dropped = WireSeries.make(bytes: [], hash: 0, dropped: true)

    static func make(bytes: [UInt8], hash: UInt64, dropped: Bool = false) -> WireSeries {
        let buffer = ManagedBuffer<Header, UInt8>.create(minimumCapacity: bytes.count) { _ in
            Header(hash: hash, count: UInt32(bytes.count), isDropped: dropped)
        }
        buffer.withUnsafeMutablePointerToElements { dst in
            bytes.withUnsafeBufferPointer { src in
                if let base = src.baseAddress { dst.initialize(from: base, count: src.count) }
            }
        }
        return WireSeries(buffer: buffer)
    }

    /// The series from `labels`.
    static func make(_ labels: Labels) -> WireSeries {
        var out: [UInt8] = []
        out.reserveCapacity(WriteRequestEncoder.labelsSize(labels))
        WriteRequestEncoder.appendLabels(labels, to: &out)
        return make(bytes: out, hash: labels.stableHash)
    }

    /// The series from a WAL definition (`WALRecord.putLabels` layout), converted byte to byte
    /// (no Strings) when there is no relabeling; nil when the bytes are malformed.
    static func make(walLabels p: UnsafeRawBufferPointer) -> WireSeries? {
        var r = ByteReader(buf: p, pos: 0)
        guard let n = try? r.uvarint(), n <= UInt64(p.count - r.pos) / 2 else { return nil }
        var out: [UInt8] = []
        // Per label the protobuf form adds a Label tag and length and two field tags beside the
        // two lengths the WAL form has: at most 7 bytes more for names and values under 16 KiB.
        out.reserveCapacity(p.count + Int(n) * 7)
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for _ in 0..<n {
            guard let nameLen = try? r.uvarint(), p.count - r.pos >= Int(nameLen) else { return nil }
            let name = UnsafeRawBufferPointer(rebasing: p[r.pos..<(r.pos + Int(nameLen))])
            r.pos += Int(nameLen)
            guard let valueLen = try? r.uvarint(), p.count - r.pos >= Int(valueLen) else { return nil }
            let value = UnsafeRawBufferPointer(rebasing: p[r.pos..<(r.pos + Int(valueLen))])
            r.pos += Int(valueLen)
            if value.isEmpty { continue }
            for b in name { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            h = (h ^ 0xff) &* 0x100_0000_01b3
            for b in value { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            h = (h ^ 0xff) &* 0x100_0000_01b3
            let payload =
                WriteRequestEncoder.stringFieldSize(name.count) + WriteRequestEncoder.stringFieldSize(value.count)
            out.append(0x0a)
            WriteRequestEncoder.appendVarint(UInt64(payload), to: &out)
            if !name.isEmpty {
                out.append(0x0a)
                WriteRequestEncoder.appendVarint(UInt64(name.count), to: &out)
                out.append(contentsOf: name)
            }
            out.append(0x12)
            WriteRequestEncoder.appendVarint(UInt64(value.count), to: &out)
            out.append(contentsOf: value)
        }
        return make(bytes: out, hash: h)
    }

    func withBytes<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        buffer.withUnsafeMutablePointerToElements { body(UnsafeRawBufferPointer(start: $0, count: byteCount)) }
    }

    /// Whether `other` holds the same bytes.
    func sameBytes(as other: WireSeries) -> Bool {
        guard byteCount == other.byteCount else { return false }
        return withBytes { a in other.withBytes { b in a.elementsEqual(b) } }
    }

    /// Calls `body` with each label's name and value bytes, in order (stops early when it
    /// returns false); false when the bytes are not `Label` fields.
    @discardableResult
    func forEachLabel(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Bool) -> Bool {
        withBytes { buf in
            var r = ByteReader(buf: buf, pos: 0)
            while r.pos < buf.count {
                guard (try? r.byte()) == 0x0a, let len = try? r.uvarint(), Int(len) <= buf.count - r.pos else {
                    return false
                }
                let end = r.pos + Int(len)
                var name = UnsafeRawBufferPointer(start: nil, count: 0)
                var value = name
                while r.pos < end {
                    guard let tag = try? r.byte(), let n = try? r.uvarint(), Int(n) <= end - r.pos else { return false }
                    let field = UnsafeRawBufferPointer(rebasing: buf[r.pos..<(r.pos + Int(n))])
                    r.pos += Int(n)
                    if tag == 0x0a { name = field } else if tag == 0x12 { value = field } else { return false }
                }
                if !body(name, value) { return true }
            }
            return true
        }
    }

    /// Whether a WAL series definition (`WALRecord.putLabels` layout) defines exactly this
    /// series' labels (labels with empty values count as absent, as in `make(walLabels:)`).
    /// Compares in place: no allocation.
    func matches(walLabels p: UnsafeRawBufferPointer) -> Bool {
        var r = ByteReader(buf: p, pos: 0)
        guard let n = try? r.uvarint(), n <= UInt64(p.count - r.pos) / 2 else { return false }
        var left = Int(n)
        var ok = true
        let complete = forEachLabel { name, value in
            // The next WAL label with a value.
            while true {
                guard left > 0, let nl = try? r.uvarint(), p.count - r.pos >= Int(nl) else {
                    ok = false
                    return false
                }
                let wn = UnsafeRawBufferPointer(rebasing: p[r.pos..<(r.pos + Int(nl))])
                r.pos += Int(nl)
                guard let vl = try? r.uvarint(), p.count - r.pos >= Int(vl) else {
                    ok = false
                    return false
                }
                let wv = UnsafeRawBufferPointer(rebasing: p[r.pos..<(r.pos + Int(vl))])
                r.pos += Int(vl)
                left -= 1
                if wv.isEmpty { continue }
                ok = wn.elementsEqual(name) && wv.elementsEqual(value)
                return ok
            }
        }
        guard complete && ok else { return false }
        // No further WAL label with a value.
        while left > 0 {
            guard let nl = try? r.uvarint(), p.count - r.pos >= Int(nl) else { return false }
            r.pos += Int(nl)
            guard let vl = try? r.uvarint(), p.count - r.pos >= Int(vl) else { return false }
            r.pos += Int(vl)
            if vl > 0 { return false }
            left -= 1
        }
        return true
    }

    /// Appends the labels as a WAL series definition (`WALRecord.putLabels` layout).
    func appendWALDefinition(to out: inout [UInt8]) {
        var n: UInt64 = 0
        forEachLabel { _, _ in
            n += 1
            return true
        }
        WriteRequestEncoder.appendVarint(n, to: &out)
        forEachLabel { name, value in
            WriteRequestEncoder.appendVarint(UInt64(name.count), to: &out)
            out.append(contentsOf: name)
            WriteRequestEncoder.appendVarint(UInt64(value.count), to: &out)
            out.append(contentsOf: value)
            return true
        }
    }

    /// The encoded bytes (a copy; tests).
    var bytes: [UInt8] { withBytes { Array($0) } }

    /// The labels (slow: builds Strings; tests and logs).
    var labels: Labels {
        var out: [Label] = []
        forEachLabel { name, value in
            out.append(Label(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
            return true
        }
        return Labels(trustedSorted: out)
    }
}

/// One sample of a `WireSeries`.
struct WireSample: Sendable {
    var series: WireSeries
    var timestampMs: Int64
    var value: Double

    var sample: Sample { Sample(timestampMs: timestampMs, value: value) }
    /// As a `TimeSeriesSample` (slow: builds Strings; tests).
    var timeSeriesSample: TimeSeriesSample {
        TimeSeriesSample(labels: series.labels, timestampMs: timestampMs, value: value)
    }
}
