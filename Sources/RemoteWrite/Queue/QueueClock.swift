/// The time a queue manager waits by: the injected `Clock` (a `ContinuousClock` in production,
/// a manual clock in tests) seen as the time since the queue was built, so the state machine
/// and the shards hold plain `Duration`s instead of one clock's `Instant`s.
struct QueueClock: Sendable {
    /// Time since the queue was built.
    let now: @Sendable () -> Duration
    /// Suspends until `now()` reaches the given offset.
    /// - Throws: `CancellationError` when the task is cancelled first.
    let sleepUntil: @Sendable (Duration) async throws -> Void

    init<C: Clock<Duration>>(_ clock: C) {
        let origin = clock.now
        now = { origin.duration(to: clock.now) }
        sleepUntil = { try await clock.sleep(until: origin.advanced(by: $0), tolerance: nil) }
    }

    /// Suspends for `duration`.
    /// - Throws: `CancellationError` when the task is cancelled first.
    func sleep(for duration: Duration) async throws {
        try await sleepUntil(now() + duration)
    }
}
