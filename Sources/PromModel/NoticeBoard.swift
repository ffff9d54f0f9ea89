import Synchronization

/// Conditions an operator must see on the status pages (the `/targets` banner): an endpoint
/// whose credentials are refused, a Metricstore that does not exist. Posted and cleared by
/// the component that sees the condition begin and end; thread-safe.
public final class NoticeBoard: Sendable {
    public struct Notice: Sendable, Equatable {
        /// Who posted it (one notice per key), e.g. `remote_write sls-p-m`.
        public var key: String
        public var message: String
        /// When the condition was first seen (Unix ms).
        public var sinceMs: Int64
    }

    private let notices = Mutex<[String: Notice]>([:])

    public init() {}

    /// Posts (or updates the message of) the notice of `key`, keeping when it was first seen.
    public func post(key: String, message: String, nowMs: Int64) {
        notices.withLock { notices in
            notices[key] = Notice(key: key, message: message, sinceMs: notices[key]?.sinceMs ?? nowMs)
        }
    }

    public func clear(key: String) { _ = notices.withLock { $0.removeValue(forKey: key) } }

    /// Every notice, by key.
    public var all: [Notice] { notices.withLock { $0.values.sorted { $0.key < $1.key } } }
}
