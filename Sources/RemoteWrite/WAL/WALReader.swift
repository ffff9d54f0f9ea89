import Logging
import PromModel

/// One endpoint's cursor over the WAL: reads whole records from its position on, keeps the
/// current segment's series table, skips corrupt records (scanning to the next valid one)
/// and deleted segments, each with a log line. A plain struct owned by the queue's reader
/// task; the I/O goes through `WAL.read`.
struct WALReader {
    /// One record's samples, where it starts and the position just after it (what to save
    /// once they are sent).
    struct Record {
        var wire: [WireSample]
        var end: WALPosition
        var start: WALPosition
        /// Exemplars of `wire` (`index` into it, increasing).
        var exemplars: [IndexedExemplar] = []

        /// The samples with their labels (slow: builds Strings; tests).
        var samples: [TimeSeriesSample] { wire.filter { !$0.series.isDropped }.map(\.timeSeriesSample) }
    }

    /// Builds an endpoint's `WireSeries` from a WAL series definition (`putLabels` bytes):
    /// external labels are already in it; `write_relabel_configs` are applied here, once per
    /// series and segment (`WireSeries.dropped` when they drop it). Nil: malformed bytes.
    typealias SeriesMaker = @Sendable (UnsafeRawBufferPointer) -> WireSeries?

    /// The maker applying `relabel`.
    static func relabeling(_ relabel: @escaping WriteRelabel) -> SeriesMaker {
        { bytes in
            guard let labels = SeriesTable.decode(Array(bytes)) else { return nil }
            guard let l = relabel(labels), !l.isEmpty else { return WireSeries.dropped }
            return WireSeries.make(l)
        }
    }

    let wal: WAL
    let logger: Logger
    /// The next record to read.
    private(set) var position: WALPosition
    private var series: [WireSeries?] = []
    /// Makes the series of a definition (WAL ref, bytes).
    private let makeSeries: (Int, UnsafeRawBufferPointer) -> WireSeries?
    private var seriesSegment = -1
    /// The current segment's previous value of each series (type-6 records).
    private var values = WALValues()
    /// Samples whose series definition was in a lost record.
    private(set) var unknownRefSamples = 0
    private(set) var corruptions = 0
    private var need = 0

    static let chunk = 1 << 20

    /// - Parameter makeSeries: the endpoint's relabeling maker; nil (no relabeling): a
    ///   definition becomes the WAL series table's own `WireSeries` when the table still
    ///   holds that series under that ref (one copy of the labels in memory, see
    ///   `SeriesTable.shared`), else a converted copy of its bytes.
    init(wal: WAL, from position: WALPosition, logger: Logger, makeSeries: SeriesMaker? = nil) {
        self.wal = wal
        if let makeSeries {
            self.makeSeries = { _, bytes in makeSeries(bytes) }
        } else {
            let table = wal.series
            self.makeSeries = { ref, bytes in table.shared(ref, walLabels: bytes) ?? WireSeries.make(walLabels: bytes) }
        }
        self.position = position
        self.logger = logger
    }

    /// Reads the complete records available, up to about `maxSamples` samples; the file
    /// reads run on the WAL's I/O thread. Returns an empty array when there is nothing new
    /// yet (wait on `wal.appended`).
    /// - Throws: `WALIOError` on a read error.
    mutating func next(maxSamples: Int) async throws -> [Record] {
        var out: [Record] = []
        var count = 0
        while let r = nextRead(parsed: count, maxSamples: maxSamples) {
            let got = try await wal.readOnIOThread(segment: r.segment, offset: r.offset, maxBytes: r.maxBytes)
            guard take(got, for: r, into: &out, parsed: &count, maxSamples: maxSamples) else { break }
        }
        return out
    }

    /// `next(maxSamples:)` reading on the calling thread (blocking: the fuzz harness, tools).
    /// - Throws: `WALIOError` on a read error.
    mutating func nextReadingHere(maxSamples: Int) throws -> [Record] {
        var out: [Record] = []
        var count = 0
        while let r = nextRead(parsed: count, maxSamples: maxSamples) {
            let got = try wal.read(segment: r.segment, offset: r.offset, maxBytes: r.maxBytes)
            guard take(got, for: r, into: &out, parsed: &count, maxSamples: maxSamples) else { break }
        }
        return out
    }

    /// A read the reader needs: of its segment's start (to rebuild the series table when
    /// starting mid-segment), or of what follows its position.
    private struct Read {
        var segment: Int
        var offset: Int
        var maxBytes: Int
        var forSeries: Bool
    }

    /// The next read, or nil when `maxSamples` are parsed.
    private mutating func nextRead(parsed: Int, maxSamples: Int) -> Read? {
        guard parsed < maxSamples else { return nil }
        if seriesSegment != position.segment {
            series.removeAll(keepingCapacity: true)
            values.reset()
            seriesSegment = position.segment
            if position.offset > 0 {
                return Read(segment: position.segment, offset: 0, maxBytes: position.offset, forSeries: true)
            }
        }
        return Read(
            segment: position.segment, offset: position.offset, maxBytes: max(Self.chunk, need), forSeries: false)
    }

    /// Takes what `read` returned; false when `next` is done.
    private mutating func take(
        _ result: WAL.SegmentRead, for read: Read, into out: inout [Record], parsed: inout Int, maxSamples: Int
    ) -> Bool {
        if read.forSeries {
            if case .bytes(let bytes, _) = result { loadSeries(bytes) }
            return true
        }
        switch result {
        case .gone(let next):
            logger.warning(
                "WAL segment gone before it was read (dropped by size or retention bounds); continuing",
                metadata: ["segment": "\(position.segment)", "next": "\(next)"])
            position = WALPosition(segment: next, offset: 0)
            return true
        case .bytes(let bytes, let sealed):
            let before = position
            let action = parse(
                bytes, sealed: sealed, atEOF: bytes.count < read.maxBytes, into: &out, parsed: &parsed,
                maxSamples: maxSamples)
            switch action {
            case .again: return true
            case .stop: return false
            case .nextSegment: return position != before
            }
        }
    }

    private enum After { case stop, again, nextSegment }

    /// Parses records from `bytes` (read at `position`) and moves `position` past them.
    private mutating func parse(
        _ bytes: [UInt8], sealed: Bool, atEOF: Bool, into out: inout [Record], parsed: inout Int, maxSamples: Int
    ) -> After {
        let base = position.offset
        let seg = position.segment
        var off = 0
        var action = After.stop
        var count = parsed
        bytes.withUnsafeBytes { buf in
            scan: while count < maxSamples {
                let f = WALRecord.frame(buf, at: off)
                var why = ""
                switch f {
                case .record(let p, let next):
                    need = 0
                    var samples: [WireSample] = []
                    var exemplars: [IndexedExemplar] = []
                    var stats = WALRecord.Stats()
                    do {
                        let unknown = try WALRecord.decodeCommit(
                            UnsafeRawBufferPointer(rebasing: buf[p]), series: &series, makeSeries: makeSeries,
                            out: &samples, exemplars: &exemplars, stats: &stats, values: &values)
                        if unknown > 0 {
                            unknownRefSamples += unknown
                            logger.warning(
                                "WAL: samples refer to a series whose definition was lost; dropped",
                                metadata: ["segment": "\(seg)", "samples": "\(unknown)"])
                        }
                    } catch WALDecodeError.lostBase {
                        corruptions += 1
                        logger.warning(
                            "WAL: record skipped: its values are stored against an earlier record of the segment that was lost; its series decode again from the next key record",
                            metadata: ["segment": "\(seg)", "offset": "\(base + off)"])
                    } catch {
                        corruptions += 1
                        logger.warning(
                            "WAL: undecodable record skipped",
                            metadata: ["segment": "\(seg)", "offset": "\(base + off)", "error": "\(error)"])
                    }
                    let start = WALPosition(segment: seg, offset: base + off)
                    off = next
                    count += samples.count
                    out.append(
                        Record(
                            wire: samples, end: WALPosition(segment: seg, offset: base + off), start: start,
                            exemplars: exemplars))
                    continue scan
                case .incomplete:
                    if off == buf.count {
                        action = sealed && atEOF ? .nextSegment : .stop
                        break scan
                    }
                    if !atEOF {
                        // A record longer than what was read: read it whole next time.
                        need =
                            buf.count - off >= WALRecord.headerSize
                            ? Int(WALRecord.readFixed32(buf, off)) + WALRecord.headerSize : Self.chunk * 2
                        action = .again
                        break scan
                    }
                    why = "torn record (truncated write)"
                case .corrupt(let w):
                    why = w
                }
                // A bad record: skip to the next valid one.
                corruptions += 1
                wal.metrics.corruptions.increment()
                if let n = WALRecord.nextValid(buf, after: off) {
                    logger.warning(
                        "WAL: corrupt record skipped",
                        metadata: [
                            "segment": "\(seg)", "offset": "\(base + off)", "reason": "\(why)",
                            "skipped_bytes": "\(n - off)",
                        ])
                    off = n
                    continue scan
                }
                if !atEOF {
                    // Scan the rest of the segment in one read.
                    need = max(Self.chunk * 2, (wal.segmentSize(seg) ?? 0) - base - off + 1)
                    action = .again
                    break scan
                }
                logger.warning(
                    "WAL: corrupt data up to the end of the written part skipped",
                    metadata: [
                        "segment": "\(seg)", "offset": "\(base + off)", "reason": "\(why)",
                        "skipped_bytes": "\(buf.count - off)",
                    ])
                off = buf.count
                action = sealed ? .nextSegment : .stop
                break scan
            }
        }
        parsed = count
        if action == .nextSegment {
            position = WALPosition(segment: seg + 1, offset: 0)
        } else {
            position.offset = base + off
        }
        return action
    }

    /// Rebuilds the series table when starting in the middle of a segment (a resumed
    /// position) from `bytes`, the records before `position.offset`: their series only.
    private mutating func loadSeries(_ bytes: [UInt8]) {
        var none: [WireSample] = []
        var noExemplars: [IndexedExemplar] = []
        var stats = WALRecord.Stats()
        let make = makeSeries
        _ = bytes.withUnsafeBytes { buf in
            WALRecord.scan(buf) { item in
                guard case .record(let payload, _) = item else { return }
                // Samples are decoded and dropped: only the series definitions and the
                // values later records are stored against are wanted.
                _ = try? WALRecord.decodeCommit(
                    payload, series: &series, makeSeries: make, out: &none, exemplars: &noExemplars, stats: &stats,
                    values: &values)
                none.removeAll(keepingCapacity: true)
                noExemplars.removeAll(keepingCapacity: true)
            }
        }
    }
}
