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
    /// Series refs are slot numbers of the writer's `SeriesTable`, which holds at most this
    /// many slots (16,777,216: far beyond what one agent holds in memory). A larger ref is
    /// corruption: a reader keeps its series by ref in an array, and a ref of 2^28 in a
    /// damaged record once asked it for 2 GiB (found by `make fuzz`).
    static let maxSeriesRef = 1 << 24

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
        var entries: [UInt8] = []
        for (ref, labels) in definitions {
            putUvarint(&entries, UInt64(ref))
            entries.append(contentsOf: labels)
        }
        appendCommit(
            to: &out, definitionCount: definitions.count, definitionEntries: entries, refs: refs, samples: samples,
            exemplars: exemplars, format: format, values: &values, undo: &undo, key: key)
    }

    /// `appendCommit(to:definitions:…)` with the definitions already encoded: `definitionEntries`
    /// holds `definitionCount` times `uvarint ref; labels` (what the WAL writer builds in place).
    static func appendCommit(
        to out: inout [UInt8], definitionCount: Int, definitionEntries: [UInt8], refs: [UInt32],
        samples: ArraySlice<RefSample>, exemplars: ArraySlice<IndexedExemplar> = [], format: Format = .tagged,
        values: inout WALValues, undo: inout [(Int, UInt64)], key: Bool
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
        if definitionCount == 0 {
            // The usual record in steady state: no series block to build or compress.
            out.append(plainType)
            putUvarint(&out, 0)
        } else {
            var block: [UInt8] = []
            block.reserveCapacity(definitionEntries.count + 10)
            putUvarint(&block, UInt64(definitionCount))
            block.append(contentsOf: definitionEntries)
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

/// Why a record payload could not be decoded.
enum WALDecodeError: Error {
    case truncated, malformed, unknownType
    /// A type-6 record encoded against previous values the reader does not have.
    case lostBase
}
