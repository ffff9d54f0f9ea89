/// A storage-assigned handle for one series (Prometheus's `storage.SeriesRef`): appending by
/// ref skips resolving the label set. Refs are opaque; `none` means "not known to storage".
public struct SeriesRef: Hashable, Sendable, CustomStringConvertible {
    public var raw: UInt64

    public init(raw: UInt64) { self.raw = raw }

    /// No ref: the storage does not track series (append by labels every time).
    public static let none = SeriesRef(raw: 0)

    public var description: String { "ref(\(raw))" }
}

/// Where the scrape side hands samples to storage, as Prometheus's `storage.Appender`.
///
/// One appender is used for one scrape: `append` any number of samples, then `commit` (make
/// them durable and visible to remote write) or `rollback` (discard them). An appender is not
/// shared between tasks.
///
/// A series is appended the first time by its labels, which returns its `SeriesRef`; later
/// samples of the series go by ref, so the caller keeps 8 bytes per series instead of its
/// label set, and storage never hashes the labels again. Storage may forget a series that got
/// no sample for a long time (minutes): `append(ref:)` then returns false and the caller
/// appends by labels again.
public protocol Appender: AnyObject {
    /// Adds one sample for `labels` (sorted, unique). `timestampMs` is milliseconds since the
    /// Unix epoch. Returns the series' ref for later appends (`.none` if storage has no refs).
    /// - Throws: when storage refuses the sample.
    @discardableResult
    func append(_ labels: Labels, timestampMs: Int64, value: Double) throws -> SeriesRef
    /// Adds one sample for the series `ref` (from `append(_:timestampMs:value:)`).
    /// - Returns: false when storage does not know `ref` (nothing was appended).
    /// - Throws: when storage refuses the sample.
    func append(ref: SeriesRef, timestampMs: Int64, value: Double) throws -> Bool
    /// Adds an exemplar to the sample just appended for the series `ref`.
    /// Storage that does not keep exemplars ignores it (the default).
    func appendExemplar(ref: SeriesRef, exemplar: Exemplar) throws
    /// Records metadata for a metric family.
    func updateMetadata(_ metadata: MetricMetadata)
    /// Commits everything appended so far.
    /// - Throws: when the samples could not be stored; they are then lost for this scrape.
    func commit() async throws
    /// Discards everything appended since the last commit.
    func rollback()
}

extension Appender {
    public func updateMetadata(_ metadata: MetricMetadata) {}
    public func appendExemplar(ref: SeriesRef, exemplar: Exemplar) throws {}
    /// Storage without refs knows none.
    public func append(ref: SeriesRef, timestampMs: Int64, value: Double) throws -> Bool { false }
}

/// Something that hands out appenders: storage (the WAL + remote write fan-out) or a test
/// recorder.
public protocol Appendable: Sendable {
    func appender() -> any Appender
}

/// Label sets by ref for appenders that keep labels anyway (recorders, tools): ref `n` is
/// entry `n - 1`; equal label sets get the same ref. Thread-safe.
public final class LabelsRefTable: @unchecked Sendable {
    private let lock = NSLockLite()
    private var byRef: [Labels] = []
    private var refs: [Labels: UInt64] = [:]

    public init() {}

    /// The table recorders use by default.
    public static let shared = LabelsRefTable()

    /// The ref of `labels`, assigned on first sight.
    public func ref(_ labels: Labels) -> SeriesRef {
        lock.withLock {
            if let r = refs[labels] { return SeriesRef(raw: r) }
            byRef.append(labels)
            let r = UInt64(byRef.count)
            refs[labels] = r
            return SeriesRef(raw: r)
        }
    }

    /// The labels of `ref`, or nil when it was never handed out.
    public func labels(_ ref: SeriesRef) -> Labels? {
        lock.withLock { ref.raw >= 1 && ref.raw <= UInt64(byRef.count) ? byRef[Int(ref.raw - 1)] : nil }
    }
}

/// An appender that keeps everything in memory; `Appendable` for tests and tools.
public final class RecordingAppendable: Appendable, @unchecked Sendable {
    private let lock = NSLockLite()
    private var _committed: [TimeSeriesSample] = []
    /// Refs handed out to its appenders.
    public let refs: LabelsRefTable

    /// Recorders share one ref table unless given their own: a scrape cache can then move
    /// from recorder to recorder as it goes from scrape to scrape of one storage.
    public init(refs: LabelsRefTable = .shared) { self.refs = refs }

    public var committed: [TimeSeriesSample] { lock.withLock { _committed } }

    public func reset() { lock.withLock { _committed.removeAll() } }

    public func appender() -> any Appender { RecordingAppender(parent: self) }

    fileprivate func add(_ s: [TimeSeriesSample]) { lock.withLock { _committed.append(contentsOf: s) } }

    final class RecordingAppender: Appender {
        let parent: RecordingAppendable
        var pending: [TimeSeriesSample] = []
        init(parent: RecordingAppendable) { self.parent = parent }
        func append(_ labels: Labels, timestampMs: Int64, value: Double) throws -> SeriesRef {
            pending.append(TimeSeriesSample(labels: labels, timestampMs: timestampMs, value: value))
            return parent.refs.ref(labels)
        }
        func append(ref: SeriesRef, timestampMs: Int64, value: Double) throws -> Bool {
            guard let labels = parent.refs.labels(ref) else { return false }
            pending.append(TimeSeriesSample(labels: labels, timestampMs: timestampMs, value: value))
            return true
        }
        func commit() async throws {
            parent.add(pending)
            pending.removeAll()
        }
        func rollback() { pending.removeAll() }
    }
}
