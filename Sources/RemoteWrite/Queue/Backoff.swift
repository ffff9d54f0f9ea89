/// The retry state of one shard: exponential backoff from `min_backoff`, doubling up to
/// `max_backoff`, with the server's `Retry-After` taking precedence (Prometheus
/// `storage/remote/queue_manager.go` `sendWriteRequestWithBackoff`). A plain value, tested
/// without I/O.
public struct Backoff: Sendable, Equatable {
    public let minBackoff: Duration
    public let maxBackoff: Duration
    /// The wait before the next retry if the server does not say otherwise.
    public private(set) var current: Duration
    /// Attempts made for the current batch.
    public private(set) var attempts: Int = 0

    public init(minBackoff: Duration, maxBackoff: Duration) {
        self.minBackoff = minBackoff
        self.maxBackoff = max(minBackoff, maxBackoff)
        self.current = minBackoff
    }

    /// Records a failed attempt; returns how long to wait before the next one.
    /// - Parameter retryAfter: the server's `Retry-After`, used as is when present.
    public mutating func failed(retryAfter: Duration?) -> Duration {
        attempts += 1
        let wait = retryAfter ?? current
        current = min(current * 2, maxBackoff)
        return wait
    }

    /// Starts over for a new batch.
    public mutating func reset() {
        current = minBackoff
        attempts = 0
    }
}
