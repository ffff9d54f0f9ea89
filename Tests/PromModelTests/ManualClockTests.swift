import TestSupport
import Testing

@Suite struct ManualClockTests {
    @Test func sleeperWakesOnlyWhenTimeReachesItsDeadline() async throws {
        let clock = ManualClock()
        let woke = Task { () -> Duration in
            try await clock.sleep(until: clock.now.advanced(by: .seconds(5)), tolerance: nil)
            return clock.now.offset
        }
        await clock.sleepers(atLeast: 1)
        clock.advance(by: .seconds(4))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        #expect(try await woke.value == .seconds(5))
        #expect(clock.sleeperCount == 0)
    }

    @Test func pastDeadlineReturnsAtOnceAndCountsAsStarted() async throws {
        let clock = ManualClock()
        clock.advance(by: .seconds(10))
        try await clock.sleep(until: ManualClock.Instant(offset: .seconds(3)), tolerance: nil)
        #expect(clock.sleepsStarted == 1)
        #expect(clock.now.offset == .seconds(10))
    }

    @Test func cancellationThrowsAndRemovesTheSleeper() async throws {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(60)) }
        await clock.sleepers(atLeast: 1)
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeperCount == 0)
    }

    @Test func sleepersWakeInDeadlineOrder() async throws {
        let clock = ManualClock()
        let order = Order()
        let a = Task {
            try await clock.sleep(for: .seconds(2)); await order.add("a")
        }
        await clock.sleepers(atLeast: 1)
        let b = Task {
            try await clock.sleep(for: .seconds(1)); await order.add("b")
        }
        await clock.sleepers(atLeast: 2)
        clock.advance(by: .seconds(1))
        try await b.value
        clock.advance(by: .seconds(1))
        try await a.value
        #expect(await order.names == ["b", "a"])
        await clock.sleepsStarted(atLeast: 2)
    }

    actor Order {
        var names: [String] = []
        func add(_ n: String) { names.append(n) }
    }
}
