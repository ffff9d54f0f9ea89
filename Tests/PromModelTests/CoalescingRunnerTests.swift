import PromModel
import Synchronization
import Testing

/// Reload serialisation (issue 15): runs never overlap; calls made during a run share one
/// follow-up run and its value.
@Suite struct CoalescingRunnerTests {
    @Test func callsDuringARunWaitAndShareOneFollowUp() async throws {
        let runner = CoalescingRunner<Int>()
        let probe = RunProbe()
        let first = Task { await runner.run { await probe.body() } }
        await probe.until { $0.started == 1 }
        let second = Task { await runner.run { await probe.body() } }
        let third = Task { await runner.run { await probe.body() } }
        try await waitUntil { await runner.waitingCalls == 2 }
        probe.release(run: 1)
        #expect(await first.value == 1)
        // One follow-up run for both waiting calls, started after the first ended.
        await probe.until { $0.started == 2 }
        probe.release(run: 2)
        #expect(await second.value == 2)
        #expect(await third.value == 2)
        #expect(probe.state.withLock { ($0.started, $0.maxActive) } == (2, 1))
        // Idle again: the next call runs at once, alone.
        let fourth = Task { await runner.run { await probe.body() } }
        await probe.until { $0.started == 3 }
        #expect(await runner.waitingCalls == 0)
        probe.release(run: 3)
        #expect(await fourth.value == 3)
    }

    @Test func aCallDuringTheFollowUpGetsAnotherOne() async throws {
        let runner = CoalescingRunner<Int>()
        let probe = RunProbe()
        let first = Task { await runner.run { await probe.body() } }
        await probe.until { $0.started == 1 }
        let second = Task { await runner.run { await probe.body() } }
        try await waitUntil { await runner.waitingCalls == 1 }
        probe.release(run: 1)
        await probe.until { $0.started == 2 }
        let third = Task { await runner.run { await probe.body() } }
        try await waitUntil { await runner.waitingCalls == 1 }
        probe.release(run: 2)
        await probe.until { $0.started == 3 }
        probe.release(run: 3)
        #expect(await [first.value, second.value, third.value] == [1, 2, 3])
        #expect(probe.state.withLock { $0.maxActive } == 1)
    }

    /// Yields until `condition` holds (it needs only other tasks to be scheduled, no time).
    func waitUntil(_ condition: () async -> Bool) async throws {
        var rounds = 0
        while await !condition() {
            rounds += 1
            try #require(rounds < 1_000_000)
            await Task.yield()
        }
    }
}

/// An operation whose runs wait until the test releases them; counts runs and overlap.
final class RunProbe: Sendable {
    struct State {
        var started = 0
        var active = 0
        var maxActive = 0
        var gates: [Int: CheckedContinuation<Void, Never>] = [:]
        var released: Set<Int> = []
        var waiters: [(condition: @Sendable (State) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []
    }

    let state = Mutex(State())

    /// One run: returns its number (1, 2, ...) once released.
    func body() async -> Int {
        let n = await withCheckedContinuation { (c: CheckedContinuation<Int, Never>) in
            let (n, ready) = state.withLock { s in
                s.started += 1
                s.active += 1
                s.maxActive = max(s.maxActive, s.active)
                return (s.started, Self.takeReady(&s))
            }
            for r in ready { r.resume() }
            c.resume(returning: n)
        }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s in
                if s.released.contains(n) { return true }
                s.gates[n] = c
                return false
            }
            if now { c.resume() }
        }
        state.withLock { $0.active -= 1 }
        return n
    }

    func release(run n: Int) {
        let gate = state.withLock { s in
            s.released.insert(n)
            return s.gates.removeValue(forKey: n)
        }
        gate?.resume()
    }

    func until(_ condition: @escaping @Sendable (State) -> Bool) async {
        await withCheckedContinuation { c in
            let now = state.withLock { s in
                if condition(s) { return true }
                s.waiters.append((condition, c))
                return false
            }
            if now { c.resume() }
        }
    }

    private static func takeReady(_ s: inout State) -> [CheckedContinuation<Void, Never>] {
        let snapshot = s
        let ready = s.waiters.filter { $0.condition(snapshot) }.map(\.continuation)
        s.waiters.removeAll { $0.condition(snapshot) }
        return ready
    }
}
