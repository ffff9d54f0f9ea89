// A clock whose time moves only when a test calls `advance(by:)`, so code that waits (scrape
// intervals, batch deadlines, back-off, refresh periods) is tested without sleeping and
// without wall-clock margins. The shape follows hummingbird's `MockClock` and swift-clocks'
// `TestClock`: sleepers park until `now` reaches their deadline; `sleepers(atLeast:)` lets a
// test wait until the code under test is parked before it moves time.

import Synchronization

/// A `Clock` for tests: `now` starts at zero and moves only by `advance(by:)` / `advance(to:)`.
///
/// `sleep(until:)` suspends until the clock reaches the deadline (immediately if it has), and
/// throws `CancellationError` when its task is cancelled, as `ContinuousClock` does.
public final class ManualClock: Clock, Sendable {
    /// A point on the manual clock: the time since the clock was made.
    public struct Instant: InstantProtocol, CustomStringConvertible {
        public var offset: Duration

        public init(offset: Duration) { self.offset = offset }

        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
        public var description: String { "\(offset)" }
    }

    private struct Sleeper {
        let id: UInt64
        let deadline: Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct Waiter {
        /// Wait for this many parked sleepers, or for this many sleeps begun.
        enum Condition {
            case parked(Int)
            case started(Int)
        }
        let condition: Condition
        let continuation: CheckedContinuation<Void, Never>

        func isMet(by s: State) -> Bool {
            switch condition {
            case .parked(let n): s.sleepers.count >= n
            case .started(let n): s.sleepsStarted >= n
            }
        }
    }

    private struct State {
        var now = Instant(offset: .zero)
        var nextID: UInt64 = 0
        var sleepers: [Sleeper] = []
        var waiters: [Waiter] = []
        /// Sleeps that began, ever (a test can wait for the n-th sleep without racing the
        /// sleeper being resumed and parking again).
        var sleepsStarted = 0
    }

    private let state = Mutex(State())

    public init() {}

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .zero }

    /// How many tasks are parked in `sleep(until:)` now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// How many sleeps have begun since the clock was made (including ones already resumed).
    public var sleepsStarted: Int { state.withLock { $0.sleepsStarted } }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try Task.checkCancellation()
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let (resumeNow, waiters) = state.withLock { s -> (Bool, [Waiter]) in
                    s.sleepsStarted += 1
                    if deadline <= s.now { return (true, Self.takeReady(&s)) }
                    s.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: c))
                    return (false, Self.takeReady(&s))
                }
                for w in waiters { w.continuation.resume() }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { s -> Sleeper? in
                guard let i = s.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return s.sleepers.remove(at: i)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward by `duration` and resumes every sleeper whose deadline has come, in
    /// deadline order.
    public func advance(by duration: Duration) {
        advance(to: now.advanced(by: duration))
    }

    /// Moves time to `instant` (never backwards) and resumes the sleepers that are due.
    public func advance(to instant: Instant) {
        let due = state.withLock { s -> [Sleeper] in
            if instant > s.now { s.now = instant }
            let now = s.now
            let due = s.sleepers.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
            s.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Returns once at least `count` tasks are parked in `sleep(until:)`.
    public func sleepers(atLeast count: Int) async {
        await wait(for: .parked(count))
    }

    /// Returns once at least `count` sleeps have begun since the clock was made (a sleep whose
    /// deadline had already come counts too).
    public func sleepsStarted(atLeast count: Int) async {
        await wait(for: .started(count))
    }

    private func wait(for condition: Waiter.Condition) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s -> Bool in
                let w = Waiter(condition: condition, continuation: c)
                if w.isMet(by: s) { return true }
                s.waiters.append(w)
                return false
            }
            if ready { c.resume() }
        }
    }

    /// Removes and returns the waiters whose condition is met.
    private static func takeReady(_ s: inout State) -> [Waiter] {
        let snapshot = s
        let ready = s.waiters.filter { $0.isMet(by: snapshot) }
        s.waiters.removeAll { $0.isMet(by: snapshot) }
        return ready
    }
}
