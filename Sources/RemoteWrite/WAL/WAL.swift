import Logging
import PromModel
import Prometheus

/// When the WAL calls `fsync`.
public enum WALFsyncPolicy: Sendable, Equatable {
    /// Before every commit returns: nothing acknowledged is lost on power failure.
    case always
    /// At most this long after a commit (Prometheus: the page is flushed, fsync at segment
    /// end). A process crash (`kill -9`) loses nothing either way; a power loss may lose
    /// the last interval.
    case interval(Duration)
    /// Only when a segment is complete and at shutdown.
    case never

    /// `always`, `never`, or a Prometheus duration (`1s`, `500ms`).
    public static func parse(_ s: String, duration: (String) -> Duration?) -> WALFsyncPolicy? {
        switch s {
        case "always": return .always
        case "never": return .never
        default: return duration(s).map { .interval($0) }
        }
    }
}

/// Sizes and bounds of the WAL.
public struct WALOptions: Sendable {
    /// Segment files are cut at this size (Prometheus: 128 MiB; smaller lets space be freed
    /// sooner after an outage).
    public var segmentSize: Int = 32 << 20
    /// `--storage.agent.max-size`: past it the oldest segment is dropped. 0 = no bound.
    public var maxSize: Int = 1 << 30
    /// `--storage.agent.retention`: older segments are dropped. Zero = no bound.
    public var retention: Duration = .seconds(24 * 3600)
    public var fsync: WALFsyncPolicy = .interval(.seconds(1))
    /// A commit with more samples is written as several records. Small records bound what a
    /// torn tail costs: start-up repair keeps every record before the first bad one, so a
    /// crash mid-write loses at most one record (~10–100 KB with series definitions, as
    /// Prometheus's 32 KiB pages), not a whole large scrape.
    public var maxSamplesPerRecord: Int = 1_000

    public init(
        segmentSize: Int = 32 << 20, maxSize: Int = 1 << 30, retention: Duration = .seconds(24 * 3600),
        fsync: WALFsyncPolicy = .interval(.seconds(1))
    ) {
        self.segmentSize = segmentSize
        self.maxSize = maxSize
        self.retention = retention
        self.fsync = fsync
    }
}

/// The agent's write-ahead log (`<storage.agent.path>/wal/`): every commit is appended as a
/// CRC-protected record before it is acknowledged; each remote-write endpoint reads it at its
/// own pace from its own persisted position (`wal/positions/<remote_name>`). Segments are
/// deleted once every registered reader has acknowledged past them, or dropped (counted and
/// logged) when `maxSize` or `retention` is exceeded. See `WALRecord` for the format.
///
/// Thread-safe: commits come from many scrape loops, reads from every endpoint's queue.
// @unchecked: the writer's `var`s are used under `writeLock`, what readers see under `lock`
// (see the comments on each); the compiler cannot see a lock discipline.
public final class WAL: @unchecked Sendable {
    let store: any SegmentStore
    public let options: WALOptions
    let logger: Logger
    let metrics: WALMetrics
    /// Bumped on every append and on close: readers wait on it.
    let appended = ChangeSignal()

    /// Where blocking file work runs (see `WALIOThread`): the `async` entry points —
    /// `commit`, `readOnIOThread`, `savePosition`, `runMaintenance` — hop here.
    let io = WALIOThread()

    // Two locks. `writeLock` serialises the writer (on the I/O thread in production; the
    // blocking entry points — `append`, `sync`, `close`, `housekeeping` — take it on the
    // caller's thread) and is held across its I/O. `lock` guards what other threads read —
    // `segment`, `offset`, `dirty`, `closed`, `highest`, `readers` — and is never held across
    // I/O, so a reader, a queue or the web server never waits for a write to finish.
    // `segment` and `offset` change under both: the writer reads them without `lock`.
    let writeLock = NSLockLite()
    let lock = NSLockLite()
    /// The segment being written, and how much of it is written (what readers may read).
    var segment: Int
    var offset = 0

    // The writer's state below is used by `WAL+Append.swift` too; all of it is guarded by
    // `writeLock`.
    /// Per series slot of `series`: the generation and definition epoch under which its
    /// definition is in the current segment (WAL refs are `series` slot numbers).
    var defined: [UInt64] = []
    /// Bumped when a segment is cut (every segment defines its series again) and when the
    /// external labels change.
    var epoch: UInt32 = 1
    var buffer: [UInt8] = []
    /// The record being built's series definitions: their refs, and `uvarint ref; labels` each.
    var definedRefs: [UInt32] = []
    var definitionEntries: [UInt8] = []
    var sampleRefs: [UInt32] = []
    /// The value last written for each series in the current segment (type-6 records store
    /// values against it), and the changes of the record being written.
    var values = WALValues()
    var valueUndo: [(Int, UInt64)] = []
    /// Records written in the current segment: every `keyRecordEvery`th is a key record.
    var recordsInSegment = 0
    static let keyRecordEvery = 16
    /// The series appended through this WAL by label set (`append(_: [TimeSeriesSample])`);
    /// `RemoteStorage` hands out refs of this table to its appenders.
    public let series = SeriesTable()
    /// A write failed (a full disk) since the current segment was started.
    var writeFailedSinceCut = false

    // Guarded by `lock`.
    var dirty = false
    var closed = false
    private var readers: [String: ReaderEntry] = [:]
    var highest = Int64.min

    struct ReaderEntry {
        var read: WALPosition
        var acked: WALPosition
        /// Told how many unsent samples (and their time range) a dropped segment held.
        var onDrop: @Sendable (_ samples: Int, _ minTs: Int64, _ maxTs: Int64, _ segment: Int) -> Void
    }

    /// Opens (or creates) the WAL in `directory` (nil: in memory, no durability). The last
    /// segment's torn or corrupt tail is truncated with a log line; writing starts in a new
    /// segment, as Prometheus does.
    /// - Throws: `WALIOError` when the directory cannot be created or listed.
    public convenience init(
        directory: String?, options: WALOptions = WALOptions(), registry: PrometheusCollectorRegistry, logger: Logger
    ) throws {
        let store: any SegmentStore = try directory.map { try FileSegmentStore(dir: $0) } ?? MemorySegmentStore()
        try self.init(store: store, options: options, registry: registry, logger: logger)
    }

    init(store: any SegmentStore, options: WALOptions, registry: PrometheusCollectorRegistry, logger: Logger) throws {
        self.store = store
        var options = options
        // The bound can only drop whole segments and never the current one: with segments of
        // at most a quarter of `maxSize`, the WAL never exceeds the bound by more than that
        // (a 2 MiB bound against 32 MiB segments was never enforced at all).
        if options.maxSize > 0 { options.segmentSize = min(options.segmentSize, max(options.maxSize / 4, 16 << 10)) }
        self.options = options
        var logger = logger
        logger[metadataKey: "component"] = "wal"
        self.logger = logger
        self.metrics = WALMetrics(registry: registry)
        let existing = try store.segments()
        if let last = existing.last { Self.repairTail(store: store, segment: last, logger: logger, metrics: metrics) }
        segment = (existing.last ?? 0) + 1
        try store.append(segment, [])
        metrics.segmentCurrent.set(to: Double(segment))
        logger.info(
            "WAL opened",
            metadata: [
                "dir": "\(store.description)", "segments": "\(existing.count)", "first": "\(existing.first ?? segment)",
                "writing": "\(segment)",
            ])
    }

    /// The highest sample timestamp appended since start (Unix ms; `.min` before any).
    public var highestTimestampMs: Int64 { lock.withLock { highest } }

    /// Where the next record will be written.
    public var end: WALPosition { lock.withLock { WALPosition(segment: segment, offset: offset) } }

    // MARK: - Reading

    enum SegmentRead {
        /// Bytes from the requested offset; `sealed` when the segment will not grow.
        case bytes([UInt8], sealed: Bool)
        /// The segment was deleted; continue at `next` (the oldest later segment).
        case gone(next: Int)
    }

    /// Up to `maxBytes` of `seg` from `offset`, never beyond what has been fully written;
    /// read on the I/O thread (nothing to read: answered at once, without the hop).
    /// - Throws: `WALIOError` on a read error.
    func readOnIOThread(segment seg: Int, offset off: Int, maxBytes: Int) async throws -> SegmentRead {
        let nothingYet = lock.withLock { seg > segment || (seg == segment && off >= offset) }
        if nothingYet { return .bytes([], sealed: false) }
        return try await io.run { try self.read(segment: seg, offset: off, maxBytes: maxBytes) }
    }

    /// Up to `maxBytes` of `seg` from `offset`, never beyond what has been fully written, on
    /// the calling thread (blocking: the I/O thread, tools and the fuzz harness).
    /// - Throws: `WALIOError` on a read error.
    func read(segment seg: Int, offset off: Int, maxBytes: Int) throws -> SegmentRead {
        let (cur, end) = lock.withLock { (segment, offset) }
        if seg > cur { return .bytes([], sealed: false) }
        let limit = seg == cur ? min(maxBytes, max(0, end - off)) : maxBytes
        guard let b = try store.read(seg, offset: off, count: limit) else {
            let next = (try? store.segments())?.first(where: { $0 > seg }) ?? cur
            return .gone(next: max(next, seg + 1))
        }
        return .bytes(b, sealed: seg < cur)
    }

    func segmentSize(_ seg: Int) -> Int? { store.size(seg) }

    // MARK: - Readers

    /// Registers a reader: its saved position (clamped to what exists), or the current end
    /// for a new reader (saved at once, so a crash before the first save loses nothing).
    /// The saved per-shard positions come back too, unless the WAL is shorter than they say.
    func registerReader(
        _ name: String, onDrop: @escaping @Sendable (Int, Int64, Int64, Int) -> Void
    ) -> ReaderPosition {
        let segs = (try? store.segments()) ?? []
        var pos: ReaderPosition
        if let saved = store.loadPosition(name) {
            pos = saved
            if let first = segs.first, pos.acked.segment < first {
                logger.warning(
                    "WAL: the saved position of this endpoint is in a deleted segment; resuming at the oldest segment",
                    metadata: ["remote_name": "\(name)", "saved": "\(saved.acked)", "oldest": "\(first)"])
                pos.acked = WALPosition(segment: first, offset: 0)
            }
            let e = end
            if pos.acked > e {
                pos = ReaderPosition(acked: e)
            } else if let size = store.size(pos.acked.segment), pos.acked.offset > size {
                pos = ReaderPosition(acked: WALPosition(segment: pos.acked.segment, offset: size))
            }
            // Positions beyond what exists describe another WAL: not to be trusted.
            if pos.delivered.joined().contains(where: {
                $0.record > e || $0.record.offset > (store.size($0.record.segment) ?? .max)
            }) {
                pos.delivered = []
            }
        } else {
            pos = ReaderPosition(acked: end)
            try? store.savePosition(name, pos)
        }
        lock.withLock { readers[name] = ReaderEntry(read: pos.acked, acked: pos.acked, onDrop: onDrop) }
        return pos
    }

    func updateReader(_ name: String, read: WALPosition? = nil, acked: WALPosition? = nil) {
        lock.withLock {
            if let read { readers[name]?.read = read }
            if let acked { readers[name]?.acked = acked }
        }
    }

    /// Persists a reader's acknowledged position and per-shard positions (atomic write-rename,
    /// fsynced) on the I/O thread; returns once it is saved (or its failure logged).
    func savePosition(_ name: String, _ p: ReaderPosition) async {
        do { try await io.run { try self.store.savePosition(name, p) } } catch {
            logger.error("WAL: cannot save reader position", metadata: ["remote_name": "\(name)", "error": "\(error)"])
        }
    }

    func withReaders<T>(_ body: (_ currentSegment: Int, _ readers: [String: ReaderEntry]) -> T) -> T {
        lock.withLock { body(segment, readers) }
    }

    /// After a failed write (a full disk), once every endpoint has sent all of the current
    /// segment, starts a new one: the drained segment can then be deleted and commits find
    /// space again. (Without this the current segment is never deleted, and a disk filled
    /// during an outage stayed full after the receiver came back.) Returns whether it cut.
    @discardableResult
    func cutDrainedSegmentAfterWriteFailure() -> Bool {
        writeLock.withLock {
            guard writeFailedSinceCut, offset > 0 else { return false }
            let end = WALPosition(segment: segment, offset: offset)
            let drained = lock.withLock { !closed && readers.values.allSatisfy({ $0.acked >= end }) }
            guard drained else { return false }
            do {
                try cutSegment()
                logger.info(
                    "WAL: every endpoint has sent the segment a failed write left behind; starting a new one",
                    metadata: ["segment": "\(segment)"])
                return true
            } catch {
                logger.error("WAL: cannot start a new segment", metadata: ["error": "\(error)"])
                return false
            }
        }
    }

    func unregisterReader(_ name: String) { _ = lock.withLock { readers.removeValue(forKey: name) } }

    /// Removes position files of readers not in `keep` (endpoints gone from the config).
    func removePositions(except keep: Set<String>) {
        let safe = Set(keep.map(positionFileName))
        for n in store.positionNames() where !safe.contains(n) { store.removePosition(n) }
    }

    /// Bytes between `p` and the end of the WAL.
    func bytesAfter(_ p: WALPosition) -> Int {
        let e = end
        guard p < e else { return 0 }
        if p.segment == e.segment { return e.offset - p.offset }
        var n = (store.size(p.segment) ?? 0) - p.offset
        for s in (p.segment + 1)..<e.segment { n += store.size(s) ?? 0 }
        return n + e.offset
    }
}

extension WALOptions {
    /// A byte size: a number with an optional unit B, KB/KiB, MB/MiB, GB/GiB, TB/TiB — powers
    /// of 1024 either way, as Prometheus's `--storage.tsdb.retention.size` reads them.
    public static func parseBytes(_ s: String) -> Int? {
        let t = s.trimmingSpaces
        let digits = t.prefix(while: { $0.isNumber || $0 == "." })
        guard let n = Double(digits), n >= 0 else { return nil }
        let mult: Double
        switch t.dropFirst(digits.count).uppercased() {
        case "", "B": mult = 1
        case "K", "KB", "KIB": mult = 1024
        case "M", "MB", "MIB": mult = 1024 * 1024
        case "G", "GB", "GIB": mult = 1024 * 1024 * 1024
        case "T", "TB", "TIB": mult = 1024 * 1024 * 1024 * 1024
        default: return nil
        }
        return Int(n * mult)
    }
}
