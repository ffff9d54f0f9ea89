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
/// recorder (`RecordingAppendable` in the TestSupport target).
public protocol Appendable: Sendable {
    func appender() -> any Appender
}
