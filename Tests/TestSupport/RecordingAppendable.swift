import PromModel
import Synchronization

/// Label sets by ref for appenders that keep labels anyway (recorders): ref `n` is entry
/// `n - 1`; equal label sets get the same ref. Thread-safe.
public final class LabelsRefTable: Sendable {
    private struct Table {
        var byRef: [Labels] = []
        var refs: [Labels: UInt64] = [:]
    }

    private let table = Mutex(Table())

    public init() {}

    /// The table recorders use by default.
    public static let shared = LabelsRefTable()

    /// The ref of `labels`, assigned on first sight.
    public func ref(_ labels: Labels) -> SeriesRef {
        table.withLock { t in
            if let r = t.refs[labels] { return SeriesRef(raw: r) }
            t.byRef.append(labels)
            let r = UInt64(t.byRef.count)
            t.refs[labels] = r
            return SeriesRef(raw: r)
        }
    }

    /// The labels of `ref`, or nil when it was never handed out.
    public func labels(_ ref: SeriesRef) -> Labels? {
        table.withLock { t in ref.raw >= 1 && ref.raw <= UInt64(t.byRef.count) ? t.byRef[Int(ref.raw - 1)] : nil }
    }
}

/// An appender that keeps everything in memory; the `Appendable` of tests.
public final class RecordingAppendable: Appendable {
    private let _committed = Mutex<[TimeSeriesSample]>([])
    /// Refs handed out to its appenders.
    public let refs: LabelsRefTable

    /// Recorders share one ref table unless given their own: a scrape cache can then move
    /// from recorder to recorder as it goes from scrape to scrape of one storage.
    public init(refs: LabelsRefTable = .shared) { self.refs = refs }

    public var committed: [TimeSeriesSample] { _committed.withLock { $0 } }

    /// Every commit's samples, one event per commit: a test awaits the n-th commit
    /// (`commits.wait(count:)`) instead of polling. Not cleared by `reset()`.
    public let commits = EventLog<[TimeSeriesSample]>()

    public func reset() { _committed.withLock { $0.removeAll() } }

    public func appender() -> any Appender { RecordingAppender(parent: self) }

    fileprivate func add(_ s: [TimeSeriesSample]) { _committed.withLock { $0.append(contentsOf: s) } }

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
            parent.commits.append(pending)
            pending.removeAll()
        }
        func rollback() { pending.removeAll() }
    }
}
