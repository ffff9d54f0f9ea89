// The byte layer of WAL records: varints, zigzag, fixed-width little-endian integers and the
// trimmed XOR values of compact records (`WALRecord.swift` has the record layouts).

extension WALRecord {
    @inline(__always) static func putUvarint(_ out: inout [UInt8], _ v: UInt64) {
        var v = v
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    @inline(__always) static func zigzag(_ v: Int64) -> UInt64 {
        UInt64(bitPattern: (v << 1) ^ (v >> 63))
    }

    @inline(__always) static func putZigzag(_ out: inout [UInt8], _ v: Int64) {
        putUvarint(&out, zigzag(v))
    }

    /// `v` as an integer when it is a finite whole number of magnitude below 2^53 and not -0.0:
    /// then `Double(n)` gives back the same bits.
    @inline(__always) static func integerValue(_ v: Double) -> Int64? {
        guard v.magnitude < 9_007_199_254_740_992, v.rounded(.towardZero) == v else { return nil }
        guard v != 0 || v.sign == .plus else { return nil }
        return Int64(v)
    }

    /// The value of a type-6 record's non-integer sample: one byte `h << 2 | flags`, where `h` is
    /// `lead << 3 | (n - 1)` (63 when `x` is 0), then the `n` bytes of `x` after its `lead`
    /// leading zero bytes, most significant first. `flags` holds the two low bits.
    @inline(__always) static func putTagged(_ out: inout [UInt8], _ x: UInt64, flags: UInt8) {
        guard x != 0 else {
            out.append(63 << 2 | flags)
            return
        }
        let lead = x.leadingZeroBitCount / 8
        let trail = x.trailingZeroBitCount / 8
        let n = 8 - lead - trail
        out.append(UInt8(lead << 3 | (n - 1)) << 2 | flags)
        var shift = 8 * (7 - lead)
        while shift >= 8 * trail {
            out.append(UInt8(truncatingIfNeeded: x >> UInt64(shift)))
            shift -= 8
        }
    }

    /// `x` without its leading and trailing zero bytes: one byte `lead << 4 | trail`, then the
    /// `8 - lead - trail` bytes between, most significant first (0 is the single byte 0x80).
    @inline(__always) static func putTrimmed(_ out: inout [UInt8], _ x: UInt64) {
        guard x != 0 else {
            out.append(0x80)
            return
        }
        let lead = x.leadingZeroBitCount / 8
        let trail = x.trailingZeroBitCount / 8
        out.append(UInt8(lead << 4 | trail))
        var shift = 8 * (7 - lead)
        while shift >= 8 * trail {
            out.append(UInt8(truncatingIfNeeded: x >> UInt64(shift)))
            shift -= 8
        }
    }

    @inline(__always) static func putFixed64(_ out: inout [UInt8], _ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    static func putFixed32(_ out: inout [UInt8], at i: Int, _ v: UInt32) {
        for k in 0..<4 { out[i + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) }
    }

    static func readFixed32(_ buf: UnsafeRawBufferPointer, _ i: Int) -> UInt32 {
        UInt32(buf[i]) | UInt32(buf[i + 1]) << 8 | UInt32(buf[i + 2]) << 16 | UInt32(buf[i + 3]) << 24
    }
}

/// Bounds-checked little-endian reads over a record payload.
struct ByteReader {
    let buf: UnsafeRawBufferPointer
    var pos: Int

    @inline(__always) mutating func byte() throws -> UInt8 {
        guard pos < buf.count else { throw WALDecodeError.truncated }
        defer { pos += 1 }
        return buf[pos]
    }

    @inline(__always) mutating func uvarint() throws -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard pos < buf.count, shift < 64 else { throw WALDecodeError.truncated }
            let b = buf[pos]
            pos += 1
            v |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return v }
            shift += 7
        }
    }

    /// A uvarint count, length or index; larger than any record can hold is corruption (a
    /// hostile value above `Int.max` trapped the conversion: found by `make fuzz`).
    @inline(__always) mutating func count() throws -> Int {
        let v = try uvarint()
        guard v <= UInt64(WALRecord.maxPayload) * 64 else { throw WALDecodeError.malformed }
        return Int(v)
    }

    @inline(__always) mutating func fixed64() throws -> UInt64 {
        guard buf.count - pos >= 8 else { throw WALDecodeError.truncated }
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(buf[pos + k]) << (8 * UInt64(k)) }
        pos += 8
        return v
    }

    @inline(__always) mutating func zigzag() throws -> Int64 {
        let z = try uvarint()
        return Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1)
    }

    /// The inverse of `WALRecord.putTrimmed`.
    @inline(__always) mutating func trimmed() throws -> UInt64 {
        let h = try byte()
        let lead = Int(h >> 4)
        let trail = Int(h & 15)
        guard lead + trail <= 8 else { throw WALDecodeError.malformed }
        let n = 8 - lead - trail
        guard buf.count - pos >= n else { throw WALDecodeError.truncated }
        var x: UInt64 = 0
        for k in 0..<n { x = x << 8 | UInt64(buf[pos + k]) }
        pos += n
        return trail == 8 ? 0 : x << UInt64(8 * trail)
    }

    /// The inverse of `WALRecord.putTagged`, given `h` (the tag byte shifted right by 2).
    @inline(__always) mutating func tagged(_ h: UInt8) throws -> UInt64 {
        if h == 63 { return 0 }
        let lead = Int(h >> 3)
        let n = Int(h & 7) + 1
        guard lead + n <= 8 else { throw WALDecodeError.malformed }
        guard buf.count - pos >= n else { throw WALDecodeError.truncated }
        var x: UInt64 = 0
        for k in 0..<n { x = x << 8 | UInt64(buf[pos + k]) }
        pos += n
        return x << UInt64(8 * (8 - lead - n))
    }

    mutating func skip(_ n: Int) throws {
        guard n >= 0, buf.count - pos >= n else { throw WALDecodeError.truncated }
        pos += n
    }

    mutating func string() throws -> String {
        let n = try count()
        guard n >= 0, buf.count - pos >= n else { throw WALDecodeError.truncated }
        defer { pos += n }
        return String(decoding: UnsafeRawBufferPointer(rebasing: buf[pos..<(pos + n)]), as: UTF8.self)
    }
}
