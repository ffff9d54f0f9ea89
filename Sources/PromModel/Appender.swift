/// Where the scrape side hands samples to storage, as Prometheus's `storage.Appender`.
///
/// One appender is used for one scrape: `append` any number of samples, then `commit` (make
/// them durable and visible to remote write) or `rollback` (discard them). An appender is not
/// shared between tasks.
public protocol Appender: AnyObject {
    /// Adds one sample for `labels` (sorted, unique). `timestampMs` is milliseconds since the
    /// Unix epoch. Throws when storage refuses the sample (for example out of order).
    func append(_ labels: Labels, timestampMs: Int64, value: Double) throws
    /// Adds an exemplar to the sample just appended for `labels` (the final series labels).
    /// Storage that does not keep exemplars ignores it (the default).
    func appendExemplar(_ labels: Labels, exemplar: Exemplar) throws
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
    public func appendExemplar(_ labels: Labels, exemplar: Exemplar) throws {}
}

/// Something that hands out appenders: storage (the WAL + remote write fan-out) or a test
/// recorder.
public protocol Appendable: Sendable {
    func appender() -> any Appender
}

/// An appender that keeps everything in memory; `Appendable` for tests and tools.
public final class RecordingAppendable: Appendable, @unchecked Sendable {
    private let lock = NSLockLite()
    private var _committed: [TimeSeriesSample] = []

    public init() {}

    public var committed: [TimeSeriesSample] { lock.withLock { _committed } }

    public func reset() { lock.withLock { _committed.removeAll() } }

    public func appender() -> any Appender { RecordingAppender(parent: self) }

    fileprivate func add(_ s: [TimeSeriesSample]) { lock.withLock { _committed.append(contentsOf: s) } }

    final class RecordingAppender: Appender {
        let parent: RecordingAppendable
        var pending: [TimeSeriesSample] = []
        init(parent: RecordingAppendable) { self.parent = parent }
        func append(_ labels: Labels, timestampMs: Int64, value: Double) throws {
            pending.append(TimeSeriesSample(labels: labels, timestampMs: timestampMs, value: value))
        }
        func commit() async throws {
            parent.add(pending)
            pending.removeAll()
        }
        func rollback() { pending.removeAll() }
    }
}
