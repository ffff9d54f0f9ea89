import PromModel

/// A series as one endpoint sends it: its labels (after `external_labels` and
/// `write_relabel_configs`) as interned symbols of `LabelSymbols.shared`, the size of the
/// remote-write `Label` fields they encode to, and its shard hash (`Labels.stableHash` of those
/// labels). Built once per series and segment, shared by every sample of the series in the
/// queue; the encoder writes the `Label` fields from the symbols (`appendLabelFields`).
///
/// One allocation per series: the header and the symbol ids (varints, name then value for each
/// label, ≈ 2 bytes per id) live in one `ManagedBuffer` of exactly their size: ≈ 70 bytes for a
/// series of 8 labels, where the encoded strings took ≈ 220. A struct holding the one reference:
/// the buffer is never mutated once made, hence `@unchecked Sendable` (`ManagedBuffer` itself
/// is not `Sendable`). When the last reference goes, the buffer releases its symbols.
struct WireSeries: @unchecked Sendable {
    struct Header {
        var hash: UInt64
        /// Bytes of the `Label` fields the labels encode to.
        var encodedSize: UInt32
        /// Bytes of symbol ids that follow the header.
        var idBytes: UInt32
        var isDropped: Bool
    }

    /// The buffer: releases its symbols when freed.
    final class Storage: ManagedBuffer<Header, UInt8> {
        deinit {
            withUnsafeMutablePointers { h, ids in
                if h.pointee.idBytes > 0 {
                    LabelSymbols.shared.release(
                        varints: UnsafeRawBufferPointer(start: ids, count: Int(h.pointee.idBytes)))
                }
            }
        }
    }

    private let buffer: Storage

    var hash: UInt64 { buffer.header.hash }
    var isDropped: Bool { buffer.header.isDropped }
    /// Bytes of the remote-write `Label` fields the labels encode to.
    var byteCount: Int { Int(buffer.header.encodedSize) }

    /// Whether `a` and `b` are the same made series (not merely equal labels).
    static func === (a: WireSeries, b: WireSeries) -> Bool { a.buffer === b.buffer }

    /// The mark for a series `write_relabel_configs` dropped.
    static let dropped = WireSeries.make(hash: 0, dropped: true) { _ in }

    /// Interns each (name, value) pair `each` gives (empty names and values included, as
    /// `Labels` may hold them) and makes the series.
    private static func make(
        hash: UInt64, dropped: Bool = false,
        _ each: ((UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) -> Void
    ) -> WireSeries {
        var ids: [UInt8] = []
        ids.reserveCapacity(40)
        var size = 0
        LabelSymbols.shared.interning { symbols in
            each { name, value in
                WriteRequestEncoder.appendVarint(UInt64(symbols.intern(name)), to: &ids)
                WriteRequestEncoder.appendVarint(UInt64(symbols.intern(value)), to: &ids)
                size += WriteRequestEncoder.fieldSize(
                    WriteRequestEncoder.stringFieldSize(name.count) + WriteRequestEncoder.stringFieldSize(value.count))
            }
        }
        let made = Storage.create(minimumCapacity: ids.count) { _ in
            Header(hash: hash, encodedSize: UInt32(size), idBytes: UInt32(ids.count), isDropped: dropped)
        }
        made.withUnsafeMutablePointerToElements { dst in
            ids.withUnsafeBufferPointer { src in
                if let base = src.baseAddress { dst.initialize(from: base, count: src.count) }
            }
        }
        return WireSeries(buffer: unsafeDowncast(made, to: Storage.self))
    }

    /// The series from `labels`.
    static func make(_ labels: Labels) -> WireSeries {
        make(hash: labels.stableHash) { add in
            for l in labels {
                var name = l.name
                var value = l.value
                name.withUTF8 { n in value.withUTF8 { v in add(UnsafeRawBufferPointer(n), UnsafeRawBufferPointer(v)) } }
            }
        }
    }

    /// The series from a WAL definition (`WALRecord.putLabels` layout), converted byte to byte
    /// (no Strings) when there is no relabeling; labels with empty values are left out (as
    /// absent); nil when the bytes are malformed.
    static func make(walLabels p: UnsafeRawBufferPointer) -> WireSeries? {
        // Check the whole definition and compute the hash first: nothing is interned for a
        // malformed one.
        var r = ByteReader(buf: p, pos: 0)
        guard let n = try? r.uvarint(), n <= UInt64(p.count - r.pos) / 2 else { return nil }
        let start = r.pos
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
        }
        return make(hash: h) { add in
            var r = ByteReader(buf: p, pos: start)
            for _ in 0..<n {
                let nameLen = Int((try? r.uvarint()) ?? 0)
                let name = UnsafeRawBufferPointer(rebasing: p[r.pos..<(r.pos + nameLen)])
                r.pos += nameLen
                let valueLen = Int((try? r.uvarint()) ?? 0)
                let value = UnsafeRawBufferPointer(rebasing: p[r.pos..<(r.pos + valueLen)])
                r.pos += valueLen
                if !value.isEmpty { add(name, value) }
            }
        }
    }

    /// The symbol ids (varints).
    private func withIDs<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        buffer.withUnsafeMutablePointers { h, ids in
            body(UnsafeRawBufferPointer(start: ids, count: Int(h.pointee.idBytes)))
        }
    }

    /// Appends the labels as remote-write `Label` fields (`byteCount` bytes), reading symbols
    /// through `symbols` (see `LabelSymbols.withReader`). The array grows once, by `byteCount`,
    /// and the fields are written into it in place.
    @inline(__always)
    func appendLabelFields(to out: inout [UInt8], _ symbols: LabelSymbols.Reader) {
        let start = out.count
        let size = byteCount
        out.append(contentsOf: repeatElement(0, count: size))
        out.withUnsafeMutableBufferPointer { buf in
            guard let base = buf.baseAddress else { return }
            var p = base + start
            let end = p + size
            @inline(__always) func varint(_ v: Int) {
                var v = UInt(v)
                while v >= 0x80 {
                    p.pointee = UInt8(truncatingIfNeeded: v) | 0x80
                    p += 1
                    v >>= 7
                }
                p.pointee = UInt8(v)
                p += 1
            }
            @inline(__always) func field(_ tag: UInt8, _ bytes: UnsafeRawBufferPointer) {
                guard let b = bytes.baseAddress, !bytes.isEmpty else { return }
                p.pointee = tag
                p += 1
                varint(bytes.count)
                UnsafeMutableRawPointer(p).copyMemory(from: b, byteCount: bytes.count)
                p += bytes.count
            }
            withIDs { ids in
                var pos = 0
                while pos < ids.count {
                    let name = symbols.bytes(LabelSymbols.readVarint(ids, &pos))
                    let value = symbols.bytes(LabelSymbols.readVarint(ids, &pos))
                    let payload =
                        WriteRequestEncoder.stringFieldSize(name.count)
                        + WriteRequestEncoder.stringFieldSize(value.count)
                    // `byteCount` was computed from the same symbols: the fields fit exactly.
                    precondition(end - p >= WriteRequestEncoder.fieldSize(payload), "label fields overrun")
                    p.pointee = 0x0a
                    p += 1
                    varint(payload)
                    field(0x0a, name)
                    field(0x12, value)
                }
            }
        }
    }

    /// Whether `other` has the same labels (the same symbols: interning makes equal strings one
    /// symbol).
    func sameBytes(as other: WireSeries) -> Bool {
        withIDs { a in other.withIDs { b in a.elementsEqual(b) } }
    }

    /// Calls `body` with each label's name and value bytes, in order (stops early when it
    /// returns false). `body` runs under the symbol table's lock: it must not make or free a
    /// `WireSeries`.
    func forEachLabel(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Bool) {
        LabelSymbols.shared.withReader { symbols in
            withIDs { ids in
                var pos = 0
                while pos < ids.count {
                    let name = symbols.bytes(LabelSymbols.readVarint(ids, &pos))
                    let value = symbols.bytes(LabelSymbols.readVarint(ids, &pos))
                    if !body(name, value) { return }
                }
            }
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
        forEachLabel { name, value in
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
        guard ok else { return false }
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

    /// The labels encoded as remote-write `Label` fields (tests).
    var bytes: [UInt8] {
        var out: [UInt8] = []
        LabelSymbols.shared.withReader { appendLabelFields(to: &out, $0) }
        return out
    }

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
