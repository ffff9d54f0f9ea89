// Waiting for events without polling: code under test records what happened, a test awaits
// the record it needs. Used with `ManualClock` so a test neither sleeps nor guesses margins.

import Synchronization

/// A list of events that tests can wait on: `append` from the code under test (or a fake it
/// talks to), `wait(until:)` from the test. A waiter is resumed by the `append` that makes
/// its predicate true; nothing polls.
///
/// A test that waits for an event that never comes hangs: give the suite a `.timeLimit`.
public final class EventLog<Event: Sendable>: Sendable {
    private struct Waiter {
        let predicate: @Sendable ([Event]) -> Bool
        let continuation: CheckedContinuation<[Event], Never>
    }

    private struct State {
        var events: [Event] = []
        var waiters: [Waiter] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Every event so far, oldest first.
    public var events: [Event] { state.withLock { $0.events } }

    /// How many events have been recorded.
    public var count: Int { state.withLock { $0.events.count } }

    /// Records `event` and resumes the waiters whose predicate now holds.
    public func append(_ event: Event) {
        let (ready, events) = state.withLock { s -> ([Waiter], [Event]) in
            s.events.append(event)
            let events = s.events
            let ready = s.waiters.filter { $0.predicate(events) }
            s.waiters.removeAll { $0.predicate(events) }
            return (ready, events)
        }
        for w in ready { w.continuation.resume(returning: events) }
    }

    /// Returns the events once `predicate` holds for them (at once if it already does).
    @discardableResult
    public func wait(until predicate: @escaping @Sendable ([Event]) -> Bool) async -> [Event] {
        await withCheckedContinuation { (c: CheckedContinuation<[Event], Never>) in
            let ready = state.withLock { s -> [Event]? in
                if predicate(s.events) { return s.events }
                s.waiters.append(Waiter(predicate: predicate, continuation: c))
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
    }

    /// Returns the events once at least `count` have been recorded.
    @discardableResult
    public func wait(count: Int) async -> [Event] { await wait { $0.count >= count } }
}
