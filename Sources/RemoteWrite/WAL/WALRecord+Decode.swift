import PromModel

// Reading WAL record payloads (`WALRecord.swift` has the layouts and the writer).
extension WALRecord {
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
        makeSeries: ((Int, UnsafeRawBufferPointer) -> WireSeries?)?, out: inout [WireSample],
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
        makeSeries: ((Int, UnsafeRawBufferPointer) -> WireSeries?)?
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
            guard ref < WALRecord.maxSeriesRef else { throw WALDecodeError.malformed }
            guard let makeSeries else { continue }
            guard let made = makeSeries(ref, UnsafeRawBufferPointer(rebasing: p[start..<r.pos])) else {
                throw WALDecodeError.malformed
            }
            if series.count <= ref { series.append(contentsOf: repeatElement(nil, count: ref + 1 - series.count)) }
            series[ref] = made
        }
    }
}
