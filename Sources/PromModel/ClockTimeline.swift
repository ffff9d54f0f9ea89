/// Time on an injected clock read as the duration since a fixed start, so code holding an
/// `any Clock<Duration>` can measure elapsed time and sleep until a point without naming the
/// clock's `Instant` type (an existential's instants cannot be compared with each other).
/// Scraping, discovery and the notifier take their clock as `any Clock<Duration>`
/// (`ContinuousClock` in production, `ManualClock` in tests) and read it through this.
public struct ClockTimeline: Sendable {
    /// The time since the timeline was made.
    public let elapsed: @Sendable () -> Duration
    private let sleepUntil: @Sendable (Duration) async throws -> Void

    /// Starts the timeline at `clock.now`.
    public init<C: Clock<Duration>>(_ clock: C) {
        let start = clock.now
        elapsed = { start.duration(to: clock.now) }
        sleepUntil = { try await clock.sleep(until: start.advanced(by: $0), tolerance: nil) }
    }

    /// Sleeps until `offset` after the start (returns at once when it has passed).
    /// - Throws: `CancellationError` when the task is cancelled.
    public func sleep(untilElapsed offset: Duration) async throws { try await sleepUntil(offset) }
}
