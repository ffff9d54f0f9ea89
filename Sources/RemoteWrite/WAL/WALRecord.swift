import PromModel

/// A place in the WAL: a segment number and a byte offset in it. Positions order as the
/// records they point to.
public struct WALPosition: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var segment: Int
    public var offset: Int

    public init(segment: Int, offset: Int) {
        self.segment = segment
        self.offset = offset
    }

    public static func < (a: WALPosition, b: WALPosition) -> Bool {
        a.segment != b.segment ? a.segment < b.segment : a.offset < b.offset
    }

    public var description: String { "\(WALPosition.segmentName(segment)):\(offset)" }

    /// The file name of segment `n`: 8 decimal digits, as Prometheus names WAL segments.
    static func segmentName(_ n: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, 8 - s.count)) + s
    }
}

/// Framing and payload of WAL records.
///
/// A record is `[length u32 LE][crc32c u32 LE][payload]`; the CRC covers the payload. The
/// payload's first byte is its type. Type 1, a *commit*, carries one commit's samples and the
/// definitions of the series they use that are new in this segment, so every segment is
/// self-contained (deleting old segments never loses a series definition) and a commit is
/// written — or torn — as a whole:
/// ```
/// 0x01
/// uvarint nSeries   { uvarint ref; uvarint nLabels { uvarint len, name; uvarint len, value } }
/// uvarint nSamples  i64 LE baseTimestampMs
///                   { uvarint ref; zigzag varint (timestampMs - base); u64 LE value bits }
/// ```
/// Refs are segment-local, dense from 0 in order of definition.
///
/// Type 3, a *commit with exemplars*, is a type-1 body followed by the exemplars of its
/// samples (written only when the commit has some, so readers of type-1-only WALs are
/// unaffected), each naming the index of its sample in the record:
/// ```
/// uvarint nExemplars { uvarint sampleIndex; uvarint nLabels { uvarint len, name; uvarint len, value };
///                      u64 LE value bits; zigzag varint (timestampMs - base) }
/// ```
///
/// Type 4, a *compact commit*, has the same series definitions and exemplars, and packs the
/// samples:
/// ```
/// 0x04
/// uvarint nSeries   { as type 1 }
/// uvarint nSamples  i64 LE baseTimestampMs  u8 flags (1: every timestamp is base, 2: exemplars follow)
///                   { zigzag varint (ref - previousRef - 1);
///                     [zigzag varint (timestampMs - base), unless flag 1];
///                     u8 (lead << 4 | trail); 8 - lead - trail bytes, big-endian }
/// [exemplars as type 3]
/// ```
/// with each value stored as `bits XOR previousBits` (the previous sample's in this record) without
/// its `lead` leading and `trail` trailing zero bytes.
///
/// Type 6, what promsls writes (types 1, 3 and 4 are still read), stores each value against
/// the value its series had in the previous record of this segment that holds it (0 for the
/// first): a counter's increase, a gauge's change. Each sample is led by a tag that says how
/// its value is stored and whether its ref is the previous one's plus one (bit 1 set: no ref
/// delta follows):
/// ```
/// 0x06
/// uvarint nSeries   { as type 1 }
/// uvarint nSamples  i64 LE baseTimestampMs
/// u8 flags          (1: every timestamp is base, 2: exemplars follow,
///                    4: a key record: every value against 0, no check follows)
/// { whole number (bit 0 clear):  uvarint (zigzag(value - previous) << 2 | bit 1)
///                                [zigzag varint (ref - previousRef - 1)]  [timestamp as type 4]
///   other value (bit 0 set):     u8 (h << 2 | bit 1 | 1), h = lead << 3 | (n - 1), or 63 for 0;
///                                n bytes of (bits XOR previousBits) after its `lead` leading
///                                zero bytes, big-endian
///                                [zigzag varint (ref - previousRef - 1)]  [timestamp as type 4] }
/// [u32 LE check, unless flag 4]
/// [exemplars as type 3]
/// ```
/// A *whole number* is a finite integral value of magnitude below 2^53 other than -0.0, and is
/// stored so only when the previous value is one too: `Double(Int64)` gives its bits back
/// exactly. The check is a hash of every previous value the record was encoded against: a
/// reader that lost a record of the segment (corrupt, skipped) and so holds other previous
/// values refuses the records that depend on it instead of decoding wrong values; every 16th
/// record of a segment is a key record, from which its series decode again. At the bench load
/// (100k series of counters, gauges, histograms and summaries) a sample takes ≈ 3 bytes, where
/// type 4 took 6.2, values against the record's previous sample 4.5, and Prometheus's
/// snappy-compressed WAL 3–4.
///
/// Types 5 and 7 are types 4 and 6 with the series definitions (`uvarint nSeries { … }`)
/// snappy-compressed: `type uvarint rawLength uvarint compressedLength bytes`, then the rest
/// from `nSamples` on. They are written when a record defines series and compression makes the
/// block smaller (label names and values repeat: ≈ 10× at 100k series).
///
/// Records of types 1 to 5 depend on no earlier record, so a skipped corrupt record costs only
/// its own samples; a skipped type-6 or 7 record also costs the later samples of its series in
/// that segment up to their next key record.
enum WALRecord {
    static let headerSize = 8
    static let commitType: UInt8 = 1
    static let commitWithExemplarsType: UInt8 = 3
    static let compactCommitType: UInt8 = 4
    static let compactCompressedCommitType: UInt8 = 5
    static let taggedCommitType: UInt8 = 6
    static let taggedCompressedCommitType: UInt8 = 7

    /// The record layouts `appendCommit` can write: `.tagged` is what the WAL writes, the
    /// others are there so tests can build the WALs of earlier versions.
    enum Format {
        /// Types 1 and 3 (fixed 8-byte values).
        case plain
        /// Types 4 and 5 (trimmed XOR values).
        case compact
        /// Types 6 and 7 (values against their series' previous one, tagged).
        case tagged
    }
    /// Larger lengths are corruption (a commit is split into records far below this).
    static let maxPayload = 64 << 20

    /// Appends a framed commit record to `out`.
    /// - Parameters:
    ///   - definitions: series definitions to write first (ref, labels in `putLabels` layout).
    ///   - refs: the WAL ref of each sample, parallel to `samples` (their own `ref` is unused).
    ///   - exemplars: exemplars of these samples, `index` relative to `samples.startIndex`,
    ///     in increasing order; none: a type-1 record.
    ///   - format: the record layout; `.tagged` (type 6 or 7) unless a test builds an old WAL.
    ///   - values: the segment's previous values (type 6), updated; every change is appended to
    ///     `undo` (ref, bits before) so a record that could not be written can be taken back.
    ///   - key: write a key record (every value against 0, no check).
    static func appendCommit(
        to out: inout [UInt8], definitions: [(UInt32, [UInt8])], refs: [UInt32], samples: ArraySlice<RefSample>,
        exemplars: ArraySlice<IndexedExemplar> = [], format: Format = .tagged, values: inout WALValues,
        undo: inout [(Int, UInt64)], key: Bool
    ) {
        let start = out.count
        out.append(contentsOf: [0, 0, 0, 0, 0, 0, 0, 0])
        let compact = format != .plain
        let plainType: UInt8
        let compressedType: UInt8
        switch format {
        case .plain: (plainType, compressedType) = (exemplars.isEmpty ? commitType : commitWithExemplarsType, 0)
        case .compact: (plainType, compressedType) = (compactCommitType, compactCompressedCommitType)
        case .tagged: (plainType, compressedType) = (taggedCommitType, taggedCompressedCommitType)
        }
        if definitions.isEmpty {
            // The usual record in steady state: no series block to build or compress.
            out.append(plainType)
            putUvarint(&out, 0)
        } else {
            var block: [UInt8] = []
            putUvarint(&block, UInt64(definitions.count))
            for (ref, labels) in definitions {
                putUvarint(&block, UInt64(ref))
                block.append(contentsOf: labels)
            }
            if compact, let compressed = try? Snappy.compress(block), compressed.count < block.count {
                out.append(compressedType)
                putUvarint(&out, UInt64(block.count))
                putUvarint(&out, UInt64(compressed.count))
                out.append(contentsOf: compressed)
            } else {
                out.append(plainType)
                out.append(contentsOf: block)
            }
        }
        putUvarint(&out, UInt64(samples.count))
        let base = samples.first?.timestampMs ?? 0
        putFixed64(&out, UInt64(bitPattern: base))
        if format == .tagged {
            let sameTimestamp = samples.allSatisfy { $0.timestampMs == base }
            out.append((sameTimestamp ? 1 : 0) | (exemplars.isEmpty ? 0 : 2) | (key ? 4 : 0))
            var previousRef: Int64 = -1
            var check = WALValues.Check()
            var i = 0
            for s in samples {
                let ref = Int64(refs[i])
                let refDelta = ref &- previousRef &- 1
                let nextRef: UInt8 = refDelta == 0 ? 2 : 0
                previousRef = ref
                let slot = Int(ref)
                // A ref storage no longer knows (`UInt32.max`, readers drop its samples) keeps
                // no previous value: it would size the array by the ref.
                let known = refs[i] != .max
                let before = known ? values[slot] : 0
                let previous = key ? 0 : before
                check.add(previous)
                let bits = s.value.bitPattern
                if let n = integerValue(s.value), let p = integerValue(Double(bitPattern: previous)) {
                    putUvarint(&out, zigzag(n &- p) << 2 | UInt64(nextRef))
                } else {
                    putTagged(&out, bits ^ previous, flags: nextRef | 1)
                }
                if refDelta != 0 { putZigzag(&out, refDelta) }
                if !sameTimestamp { putZigzag(&out, s.timestampMs &- base) }
                if known && before != bits {
                    undo.append((slot, before))
                    values[slot] = bits
                }
                i += 1
            }
            if !key { withUnsafeBytes(of: check.value.littleEndian) { out.append(contentsOf: $0) } }
        } else if compact {
            let sameTimestamp = samples.allSatisfy { $0.timestampMs == base }
            out.append((sameTimestamp ? 1 : 0) | (exemplars.isEmpty ? 0 : 2))
            var previousRef: Int64 = -1
            var previousBits: UInt64 = 0
            var i = 0
            for s in samples {
                let ref = Int64(refs[i])
                putZigzag(&out, ref &- previousRef &- 1)
                previousRef = ref
                if !sameTimestamp { putZigzag(&out, s.timestampMs &- base) }
                let bits = s.value.bitPattern
                putTrimmed(&out, bits ^ previousBits)
                previousBits = bits
                i += 1
            }
        } else {
            var i = 0
            for s in samples {
                putUvarint(&out, UInt64(refs[i]))
                putZigzag(&out, s.timestampMs &- base)
                putFixed64(&out, s.value.bitPattern)
                i += 1
            }
        }
        if !exemplars.isEmpty {
            putUvarint(&out, UInt64(exemplars.count))
            for e in exemplars {
                putUvarint(&out, UInt64(e.index))
                putLabels(&out, e.exemplar.labels)
                putFixed64(&out, e.exemplar.value.bitPattern)
                let d = e.exemplar.timestampMs &- base
                putUvarint(&out, UInt64(bitPattern: (d << 1) ^ (d >> 63)))
            }
        }
        let len = out.count - start - headerSize
        let crc = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + headerSize)...])) }
        putFixed32(&out, at: start, UInt32(len))
        putFixed32(&out, at: start + 4, crc)
    }

    /// A record that depends on no other: types 1, 3, 4, 5, or a type-6 key record (tests and
    /// fuzz seeds building WALs).
    static func appendCommit(
        to out: inout [UInt8], definitions: [(UInt32, [UInt8])], refs: [UInt32], samples: ArraySlice<RefSample>,
        exemplars: ArraySlice<IndexedExemplar> = [], format: Format
    ) {
        var values = WALValues()
        var undo: [(Int, UInt64)] = []
        appendCommit(
            to: &out, definitions: definitions, refs: refs, samples: samples, exemplars: exemplars, format: format,
            values: &values, undo: &undo, key: true)
    }

    /// What a header at `offset` of `buf` says, when the whole record is in `buf` and its
    /// CRC matches.
    enum Frame: Equatable {
        /// A valid record: payload range and the offset after it.
        case record(payload: Range<Int>, next: Int)
        /// Not enough bytes for the header or the announced payload.
        case incomplete
        /// Bad length or CRC mismatch.
        case corrupt(String)
    }

    static func frame(_ buf: UnsafeRawBufferPointer, at offset: Int) -> Frame {
        guard buf.count - offset >= headerSize else { return .incomplete }
        let len = Int(readFixed32(buf, offset))
        let crc = readFixed32(buf, offset + 4)
        if len == 0 || len > maxPayload { return .corrupt("record length \(len)") }
        guard buf.count - offset - headerSize >= len else { return .incomplete }
        let p = (offset + headerSize)..<(offset + headerSize + len)
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buf[p])) == crc else { return .corrupt("CRC mismatch") }
        return .record(payload: p, next: p.upperBound)
    }

    /// Summary of a commit payload without building labels (size accounting, retention logs).
    struct Stats {
        var samples = 0
        var minTimestampMs = Int64.max
        var maxTimestampMs = Int64.min
    }

    /// Decodes a commit payload. New series go into `series` (indexed by WAL ref) as
    /// `makeSeries` builds them from their definition bytes (`putLabels` layout); with no
    /// `makeSeries` only the stats are gathered. Samples whose ref is known are appended to
    /// `out`, and the exemplars of a type-3 record to `exemplars`, their `index` being that of
    /// their sample in `out` (exemplars of samples with an unknown ref are dropped with them).
    /// - Returns: the number of samples with an unknown ref (their definition was in a lost
    ///   record).
    /// - Throws: `WALDecodeError` on a malformed payload.
    /// `values` are the segment's previous values (type 6), updated as the record is read; with
    /// no `makeSeries` (stats only, possibly from the middle of a segment) the check is skipped.
    /// - Throws: `WALDecodeError.lostBase` when a type-6 record was written against other
    ///   previous values than `values` holds (a record of the segment was lost): its values
    ///   cannot be known.
    static func decodeCommit(
        _ p: UnsafeRawBufferPointer, series: inout [WireSeries?],
        makeSeries: ((UnsafeRawBufferPointer) -> WireSeries?)?, out: inout [WireSample],
        exemplars: inout [IndexedExemplar], stats: inout Stats, values: inout WALValues
    ) throws -> Int {
        var r = ByteReader(buf: p, pos: 0)
        let type = try r.byte()
        guard (commitType...taggedCompressedCommitType).contains(type), type != 2 else {
            throw WALDecodeError.unknownType
        }
        let outStart = out.count
        /// Record indexes of samples not put in `out` (unknown ref), increasing.
        var skipped: [Int] = []
        if type == compactCompressedCommitType || type == taggedCompressedCommitType {
            // The definitions block, snappy-compressed: decompressed only when series are wanted.
            let rawLength = try r.count()
            let compressedLength = try r.count()
            guard rawLength <= maxPayload * 32, compressedLength <= p.count - r.pos else {
                throw WALDecodeError.malformed
            }
            let compressed = Array(UnsafeRawBufferPointer(rebasing: p[r.pos..<(r.pos + compressedLength)]))
            r.pos += compressedLength
            if makeSeries != nil {
                guard let raw = try? Snappy.uncompress(compressed, maxLength: rawLength), raw.count == rawLength else {
                    throw WALDecodeError.malformed
                }
                try raw.withUnsafeBytes { block in
                    var d = ByteReader(buf: block, pos: 0)
                    try decodeDefinitions(&d, block, series: &series, makeSeries: makeSeries)
                    guard d.pos == block.count else { throw WALDecodeError.malformed }
                }
            }
        } else {
            try decodeDefinitions(&r, p, series: &series, makeSeries: makeSeries)
        }
        let wantSamples = makeSeries != nil
        let nSamples = try r.count()
        // Every sample takes at least 1 byte (tagged), 2 (compact) or 10: a larger count is corruption.
        guard nSamples <= p.count - r.pos else { throw WALDecodeError.malformed }
        let base = Int64(bitPattern: try r.fixed64())
        let tagged = type >= taggedCommitType
        let compact = type >= compactCommitType
        let flags = compact ? try r.byte() : 0
        let sameTimestamp = flags & 1 != 0
        let hasExemplars = compact ? flags & 2 != 0 : type == commitWithExemplarsType
        var previousRef: Int64 = -1
        var previousBits: UInt64 = 0
        let key = tagged && flags & 4 != 0
        var check = WALValues.Check()
        var unknown = 0
        if wantSamples { out.reserveCapacity(out.count + nSamples) }
        for k in 0..<nSamples {
            let ref: Int
            let ts: Int64
            let v: Double
            if tagged {
                let first = try r.byte()
                let nextRef: Bool
                var delta: Int64? = nil
                var x: UInt64 = 0
                if first & 1 == 0 {
                    r.pos -= 1
                    let u = try r.uvarint()
                    nextRef = u & 2 != 0
                    let z = u >> 2
                    delta = Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1)
                } else {
                    nextRef = first & 2 != 0
                    x = try r.tagged(first >> 2)
                }
                previousRef = previousRef &+ 1 &+ (nextRef ? 0 : try r.zigzag())
                guard previousRef >= 0, previousRef < 1 << 32 else { throw WALDecodeError.malformed }
                ref = Int(previousRef)
                ts = sameTimestamp ? base : base &+ (try r.zigzag())
                let previous = key ? 0 : values[ref]
                check.add(previous)
                if let delta {
                    if let p = integerValue(Double(bitPattern: previous)) {
                        v = Double(p &+ delta)
                    } else if wantSamples {
                        throw WALDecodeError.lostBase
                    } else {
                        v = 0
                    }
                } else {
                    v = Double(bitPattern: previous ^ x)
                }
                // Kept for the series this reader knows (a ref beyond them is from a lost
                // record, and would only grow the array).
                if wantSamples && ref < series.count { values[ref] = v.bitPattern }
            } else if compact {
                previousRef = previousRef &+ 1 &+ (try r.zigzag())
                guard previousRef >= 0, previousRef < 1 << 32 else { throw WALDecodeError.malformed }
                ref = Int(previousRef)
                ts = sameTimestamp ? base : base &+ (try r.zigzag())
                previousBits ^= try r.trimmed()
                v = Double(bitPattern: previousBits)
            } else {
                ref = try r.count()
                ts = base &+ (try r.zigzag())
                v = Double(bitPattern: try r.fixed64())
            }
            stats.samples += 1
            if ts < stats.minTimestampMs { stats.minTimestampMs = ts }
            if ts > stats.maxTimestampMs { stats.maxTimestampMs = ts }
            guard wantSamples else { continue }
            guard ref < series.count, let s = series[ref] else {
                unknown += 1
                skipped.append(k)
                continue
            }
            out.append(WireSample(series: s, timestampMs: ts, value: v))
        }
        if tagged && !key {
            guard r.buf.count - r.pos >= 4 else { throw WALDecodeError.truncated }
            let written = readFixed32(p, r.pos)
            r.pos += 4
            if wantSamples && written != check.value {
                out.removeSubrange(outStart...)
                throw WALDecodeError.lostBase
            }
        }
        guard hasExemplars, wantSamples else { return unknown }
        let nExemplars = try r.count()
        var s = 0
        for _ in 0..<nExemplars {
            let index = try r.count()
            let n = try r.uvarint()
            guard n <= UInt64(p.count - r.pos) / 2, index < nSamples else { throw WALDecodeError.malformed }
            var labels: [Label] = []
            labels.reserveCapacity(Int(n))
            for _ in 0..<n { labels.append(Label(try r.string(), try r.string())) }
            let v = Double(bitPattern: try r.fixed64())
            let z = try r.uvarint()
            let ts = base &+ (Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1))
            while s < skipped.count && skipped[s] < index { s += 1 }
            if s < skipped.count && skipped[s] == index { continue }
            exemplars.append(
                IndexedExemplar(
                    index: outStart + index - s,
                    exemplar: Exemplar(labels: Labels(trustedSorted: labels), value: v, timestampMs: ts)))
        }
        return unknown
    }

    /// Reads `uvarint nSeries { uvarint ref; labels }` from `r` (over `p`) into `series`.
    private static func decodeDefinitions(
        _ r: inout ByteReader, _ p: UnsafeRawBufferPointer, series: inout [WireSeries?],
        makeSeries: ((UnsafeRawBufferPointer) -> WireSeries?)?
    ) throws {
        let nSeries = try r.uvarint()
        for _ in 0..<nSeries {
            let ref = try r.count()
            let start = r.pos
            let n = try r.uvarint()
            // Bounded by the bytes left (each label takes at least two length bytes), not by a
            // fixed count: the writer takes a series of any width (a target with 100,000 label
            // names wrote a record this reader then refused as malformed).
            guard n <= UInt64(p.count - r.pos) / 2 else { throw WALDecodeError.malformed }
            for _ in 0..<(2 * n) { try r.skip(try r.count()) }
            guard ref < 1 << 28 else { throw WALDecodeError.malformed }
            guard let makeSeries else { continue }
            guard let made = makeSeries(UnsafeRawBufferPointer(rebasing: p[start..<r.pos])) else {
                throw WALDecodeError.malformed
            }
            if series.count <= ref { series.append(contentsOf: repeatElement(nil, count: ref + 1 - series.count)) }
            series[ref] = made
        }
    }

    static func putLabels(_ out: inout [UInt8], _ labels: Labels) {
        putUvarint(&out, UInt64(labels.count))
        for l in labels {
            putUvarint(&out, UInt64(l.name.utf8.count))
            out.append(contentsOf: l.name.utf8)
            putUvarint(&out, UInt64(l.value.utf8.count))
            out.append(contentsOf: l.value.utf8)
        }
    }

}

/// An exemplar and the index of its sample in a commit (or a WAL record).
public struct IndexedExemplar: Sendable, Hashable {
    public var index: Int
    public var exemplar: Exemplar

    public init(index: Int, exemplar: Exemplar) {
        self.index = index
        self.exemplar = exemplar
    }
}

enum WALDecodeError: Error {
    /// A type-6 record encoded against previous values the reader does not have.
    case truncated, malformed, unknownType, lostBase
}

/// The previous value of each series in a segment, by WAL ref (type-6 records): the writer's
/// and each reader's copy, reset at each segment start.
struct WALValues {
    private var bits: [UInt64] = []

    subscript(ref: Int) -> UInt64 {
        @inline(__always) get { ref < bits.count ? bits[ref] : 0 }
        @inline(__always) set {
            if ref >= bits.count {
                guard newValue != 0 else { return }
                bits.append(contentsOf: repeatElement(0, count: max(ref + 1, bits.count * 2) - bits.count))
            }
            bits[ref] = newValue
        }
    }

    mutating func reset() { bits.removeAll(keepingCapacity: true) }

    /// Takes back a record's changes (`appendCommit`'s `undo`), last first.
    mutating func undo(_ changes: [(Int, UInt64)]) {
        for (ref, before) in changes.reversed() { self[ref] = before }
    }

    /// The hash of the previous values a record was encoded against.
    struct Check {
        private var h: UInt64 = 0xcbf2_9ce4_8422_2325

        @inline(__always) mutating func add(_ bits: UInt64) {
            h = (h ^ bits) &* 0x0000_0100_0000_01b3
            h ^= h >> 29
        }

        var value: UInt32 { UInt32(truncatingIfNeeded: h ^ h >> 32) }
    }
}
