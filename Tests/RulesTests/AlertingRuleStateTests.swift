import PromModel
import Testing

@testable import Rules

/// Prometheus's alert state machine (rules/alerting.go), driven without time or I/O.
struct AlertingRuleStateTests {
    let minute: Int64 = 60_000
    func instance(_ instance: String, value: Double = 1) -> AlertingRuleState.Instance {
        .init(labels: Labels(["alertname": "Down", "instance": instance]), annotations: Labels(), value: value)
    }

    @Test func pendingThenFiringAfterFor() throws {
        var s = AlertingRuleState()
        var now: Int64 = 1_000 * minute
        var current = try s.apply([instance("a")], atMs: now, holdMs: 5 * minute, keepFiringForMs: 0, limit: 0)
        #expect(current.map(\.state) == [.pending] && current[0].activeAtMs == now)
        for _ in 0..<4 {
            now += minute
            current = try s.apply([instance("a")], atMs: now, holdMs: 5 * minute, keepFiringForMs: 0, limit: 0)
            #expect(current.map(\.state) == [.pending])
        }
        now += minute
        current = try s.apply([instance("a", value: 7)], atMs: now, holdMs: 5 * minute, keepFiringForMs: 0, limit: 0)
        #expect(current.map(\.state) == [.firing] && current[0].firedAtMs == now && current[0].value == 7)
        #expect(current[0].activeAtMs == 1_000 * minute)
    }

    @Test func aPendingAlertThatGoesAwayIsForgottenAFiringOneIsResolvedAndKept15Minutes() throws {
        var s = AlertingRuleState()
        var now: Int64 = 0
        _ = try s.apply([instance("p"), instance("f")], atMs: now, holdMs: 0, keepFiringForMs: 0, limit: 0)
        #expect(s.active.values.allSatisfy { $0.state == .firing })
        now += minute
        // "f" leaves; "p" is new and pending with a hold.
        var current = try s.apply([instance("p2")], atMs: now, holdMs: minute * 10, keepFiringForMs: 0, limit: 0)
        #expect(current.map(\.labels["instance"]) == ["p2"])
        #expect(s.active.count == 4 - 1)  // p and f resolved and kept, p2 pending
        now += minute
        current = try s.apply([], atMs: now, holdMs: minute * 10, keepFiringForMs: 0, limit: 0)
        #expect(current.isEmpty)
        #expect(s.active.values.map(\.state).allSatisfy { $0 == .inactive })
        #expect(Set(s.active.keys.compactMap { $0["instance"] }) == ["p", "f"])  // p2 was pending: gone
        now += 15 * minute + 1
        _ = try s.apply([], atMs: now, holdMs: 0, keepFiringForMs: 0, limit: 0)
        #expect(s.active.isEmpty)
    }

    @Test func keepFiringForHoldsAFiringAlertThenResolvesIt() throws {
        var s = AlertingRuleState()
        _ = try s.apply([instance("a")], atMs: 0, holdMs: 0, keepFiringForMs: 2 * minute, limit: 0)
        var current = try s.apply([], atMs: minute, holdMs: 0, keepFiringForMs: 2 * minute, limit: 0)
        #expect(current.map(\.state) == [.firing] && current[0].keepFiringSinceMs == minute)
        current = try s.apply([], atMs: 2 * minute + 59_999, holdMs: 0, keepFiringForMs: 2 * minute, limit: 0)
        #expect(current.map(\.state) == [.firing])
        current = try s.apply([], atMs: 3 * minute, holdMs: 0, keepFiringForMs: 2 * minute, limit: 0)
        #expect(current.isEmpty && s.active.values.first?.state == .inactive)
        #expect(s.active.values.first?.resolvedAtMs == 3 * minute)
    }

    @Test func aResolvedAlertThatComesBackStartsPendingAgain() throws {
        var s = AlertingRuleState()
        _ = try s.apply([instance("a")], atMs: 0, holdMs: 0, keepFiringForMs: 0, limit: 0)
        _ = try s.apply([], atMs: minute, holdMs: 0, keepFiringForMs: 0, limit: 0)
        let back = try s.apply([instance("a")], atMs: 2 * minute, holdMs: 5 * minute, keepFiringForMs: 0, limit: 0)
        #expect(back.map(\.state) == [.pending] && back[0].activeAtMs == 2 * minute && back[0].resolvedAtMs == 0)
    }

    @Test func duplicatesAndLimit() throws {
        var s = AlertingRuleState()
        #expect(throws: AlertingRuleState.EvalError.duplicateLabelSets) {
            try s.apply([instance("a"), instance("a")], atMs: 0, holdMs: 0, keepFiringForMs: 0, limit: 0)
        }
        #expect(s.active.isEmpty)
        #expect(throws: AlertingRuleState.EvalError.limitExceeded(limit: 1, alerts: 2)) {
            try s.apply([instance("a"), instance("b")], atMs: 0, holdMs: 0, keepFiringForMs: 0, limit: 1)
        }
        #expect(s.active.isEmpty)
        #expect(
            AlertingRuleState.EvalError.limitExceeded(limit: 1, alerts: 2).description
                == "exceeded limit of 1 with 2 alerts")
    }

    @Test func sendingFollowsTheResendDelayAndResolutions() throws {
        var s = AlertingRuleState()
        _ = try s.apply([instance("a")], atMs: 0, holdMs: minute, keepFiringForMs: 0, limit: 0)
        #expect(s.alertsToSend(atMs: 0, resendDelayMs: minute, intervalMs: 15_000).isEmpty)  // pending
        _ = try s.apply([instance("a")], atMs: minute, holdMs: minute, keepFiringForMs: 0, limit: 0)
        var sent = s.alertsToSend(atMs: minute, resendDelayMs: minute, intervalMs: 15_000)
        #expect(sent.count == 1 && sent[0].validUntilMs == minute + 4 * minute)
        #expect(s.alertsToSend(atMs: minute + 15_000, resendDelayMs: minute, intervalMs: 15_000).isEmpty)
        #expect(s.alertsToSend(atMs: 2 * minute, resendDelayMs: minute, intervalMs: 15_000).count == 1)
        _ = try s.apply([], atMs: 2 * minute + 15_000, holdMs: minute, keepFiringForMs: 0, limit: 0)
        sent = s.alertsToSend(atMs: 2 * minute + 15_000, resendDelayMs: minute, intervalMs: 15_000)
        #expect(sent.count == 1 && sent[0].state == .inactive && sent[0].resolvedAtMs == 2 * minute + 15_000)
        // A resolved alert is re-sent on the resend delay until it is forgotten.
        #expect(s.alertsToSend(atMs: 3 * minute + 15_000, resendDelayMs: minute, intervalMs: 15_000).count == 1)
    }

    @Test func restoreForStateAsPrometheus() throws {
        let hold = 30 * minute
        let grace = 10 * minute
        let now: Int64 = 10_000 * minute
        func restored(activeAt: Int64, downAt: Int64) throws -> Int64 {
            var s = AlertingRuleState()
            _ = try s.apply([instance("a")], atMs: now, holdMs: hold, keepFiringForMs: 0, limit: 0)
            let key = Labels(["alertname": "Down", "instance": "a"])
            #expect(
                s.restore(
                    saved: [key: (downAt, Double(activeAt / 1000))], nowMs: now, holdMs: hold, gracePeriodMs: grace)
                    == 1)
            return s.active[key]!.activeAtMs
        }
        // Was firing when the agent went down: the old activeAt stands.
        #expect(try restored(activeAt: now - 60 * minute, downAt: now - 20 * minute) == now - 60 * minute)
        // 5 minutes were left (< grace): it fires after the grace period.
        #expect(try restored(activeAt: now - 35 * minute, downAt: now - 10 * minute) == now + grace - hold)
        // 20 minutes were left: the down time is added.
        #expect(try restored(activeAt: now - 20 * minute, downAt: now - 10 * minute) == now - 10 * minute)
    }
}
