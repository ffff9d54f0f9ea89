import PromModel

/// The state of one alert instance (Prometheus `rules.AlertState`).
public enum AlertState: String, Sendable, Equatable {
    case inactive, pending, firing
}

/// One alert instance of an alerting rule (Prometheus `rules.Alert`). Times are ms since the
/// epoch; 0 means "not set".
public struct Alert: Sendable, Equatable {
    /// The sample's labels without `__name__`, the rule's (expanded) labels, `alertname`.
    public var labels: Labels
    /// The rule's annotations, expanded.
    public var annotations: Labels
    public var state: AlertState
    /// The value of the sample that last made it active.
    public var value: Double
    /// When the expression first returned it (restored from `ALERTS_FOR_STATE` after a restart).
    public var activeAtMs: Int64
    public var firedAtMs: Int64 = 0
    public var resolvedAtMs: Int64 = 0
    public var lastSentAtMs: Int64 = 0
    public var validUntilMs: Int64 = 0
    /// Since when it is kept firing by `keep_firing_for` although the expression stopped
    /// returning it.
    public var keepFiringSinceMs: Int64 = 0

    public init(labels: Labels, annotations: Labels, state: AlertState, value: Double, activeAtMs: Int64) {
        self.labels = labels
        self.annotations = annotations
        self.state = state
        self.value = value
        self.activeAtMs = activeAtMs
    }

    /// Whether the notifier gets it at `nowMs` (Prometheus `Alert.needsSending`): never while
    /// pending; at once when resolved after it was last sent; otherwise once per `resendDelayMs`.
    func needsSending(nowMs: Int64, resendDelayMs: Int64) -> Bool {
        if state == .pending { return false }
        // If an alert has been resolved since the last send, resend it.
        if resolvedAtMs > lastSentAtMs { return true }
        return lastSentAtMs + resendDelayMs <= nowMs
    }
}

/// The alerts of one alerting rule across evaluations: Prometheus's state machine
/// (`rules/alerting.go`): inactive → pending → firing, `for`, `keep_firing_for`, resolved
/// alerts kept (and re-sent) for 15 minutes, `limit`. Pure: no I/O, no clock.
public struct AlertingRuleState: Sendable {
    /// Resolved alerts are kept this long so that their resolution reaches Alertmanager.
    public static let resolvedRetentionMs: Int64 = 15 * 60 * 1000

    /// By the hash of their labels.
    public private(set) var active: [Labels: Alert] = [:]

    public init() {}

    /// One evaluation's result, already turned into alert label sets and annotations.
    public struct Instance: Sendable {
        public var labels: Labels
        public var annotations: Labels
        public var value: Double
        public init(labels: Labels, annotations: Labels, value: Double) {
            self.labels = labels
            self.annotations = annotations
            self.value = value
        }
    }

    public enum EvalError: Error, Sendable, Equatable, CustomStringConvertible {
        case duplicateLabelSets
        case limitExceeded(limit: Int, alerts: Int)

        public var description: String {
            switch self {
            case .duplicateLabelSets: "vector contains metrics with the same labelset after applying alert labels"
            case .limitExceeded(let l, let n): "exceeded limit of \(l) with \(n) alerts"
            }
        }
    }

    /// Applies one successful evaluation at `tsMs` (the evaluation time, not the query time).
    /// - Parameters:
    ///   - holdMs: the rule's `for`.
    ///   - keepFiringForMs: the rule's `keep_firing_for`.
    ///   - limit: the group's `limit` (0: none).
    /// - Returns: the alerts that are pending or firing after it (for `ALERTS` and
    ///   `ALERTS_FOR_STATE`).
    /// - Throws: `EvalError` as Prometheus: duplicate label sets leave the state unchanged; over
    ///   the limit every alert of the rule is dropped.
    public mutating func apply(
        _ instances: [Instance], atMs tsMs: Int64, holdMs: Int64, keepFiringForMs: Int64, limit: Int
    ) throws(EvalError) -> [Alert] {
        var fresh: [Labels: Alert] = [:]
        fresh.reserveCapacity(instances.count)
        for i in instances {
            guard fresh[i.labels] == nil else { throw .duplicateLabelSets }
            fresh[i.labels] = Alert(
                labels: i.labels, annotations: i.annotations, state: .pending, value: i.value, activeAtMs: tsMs)
        }
        for (key, alert) in fresh {
            if var existing = active[key], existing.state != .inactive {
                existing.value = alert.value
                existing.annotations = alert.annotations
                active[key] = existing
            } else {
                active[key] = alert
            }
        }
        var current: [Alert] = []
        for key in Array(active.keys) {
            guard var a = active[key] else { continue }
            if fresh[key] == nil {
                var keepFiring = false
                if a.state == .firing && keepFiringForMs > 0 {
                    if a.keepFiringSinceMs == 0 { a.keepFiringSinceMs = tsMs }
                    keepFiring = tsMs - a.keepFiringSinceMs < keepFiringForMs
                }
                // A pending alert that went away is forgotten; a resolved one is kept for the
                // retention period so that its resolution is re-sent.
                if a.state == .pending
                    || (a.resolvedAtMs != 0 && tsMs - a.resolvedAtMs > Self.resolvedRetentionMs)
                {
                    active[key] = nil
                    if !keepFiring { continue }
                }
                if a.state != .inactive && !keepFiring {
                    a.state = .inactive
                    a.resolvedAtMs = tsMs
                }
                if !keepFiring {
                    active[key] = a
                    continue
                }
            } else {
                a.keepFiringSinceMs = 0
            }
            if a.state == .pending && tsMs - a.activeAtMs >= holdMs {
                a.state = .firing
                a.firedAtMs = tsMs
            }
            active[key] = a
            current.append(a)
        }
        if limit > 0 && current.count > limit {
            active = [:]
            throw .limitExceeded(limit: limit, alerts: current.count)
        }
        return current.sorted { $0.labels.description < $1.labels.description }
    }

    /// The alerts to hand to the notifier after an evaluation at `tsMs`, marked as sent
    /// (Prometheus `sendAlerts`): firing alerts end at `validUntil` = ts + 4 × max(resend
    /// delay, group interval), resolved ones at their resolution time.
    public mutating func alertsToSend(atMs tsMs: Int64, resendDelayMs: Int64, intervalMs: Int64) -> [Alert] {
        var out: [Alert] = []
        for key in active.keys.sorted(by: { $0.description < $1.description }) {
            guard var a = active[key], a.needsSending(nowMs: tsMs, resendDelayMs: resendDelayMs) else { continue }
            a.lastSentAtMs = tsMs
            a.validUntilMs = tsMs + 4 * max(resendDelayMs, intervalMs)
            active[key] = a
            out.append(a)
        }
        return out
    }

    /// Sets the `activeAt` of pending/firing alerts from what `ALERTS_FOR_STATE` held before a
    /// restart (Prometheus `Group.RestoreForState`).
    /// - Parameters:
    ///   - saved: per alert label set (without `__name__`), the last `ALERTS_FOR_STATE` sample:
    ///     its timestamp (when the agent went down) and value (the old `activeAt`, seconds).
    ///   - nowMs: the restore time.
    ///   - holdMs: the rule's `for`.
    ///   - gracePeriodMs: `--rules.alert.for-grace-period`.
    public mutating func restore(
        saved: [Labels: (timestampMs: Int64, activeAtSeconds: Double)], nowMs: Int64, holdMs: Int64,
        gracePeriodMs: Int64
    ) -> Int {
        var restored = 0
        for key in Array(active.keys) {
            guard var a = active[key], a.state != .inactive, let s = saved[key],
                !StaleNaN.isStale(s.activeAtSeconds), s.activeAtSeconds.isFinite
            else { continue }
            let downAt = s.timestampMs / 1000 * 1000
            var activeAt = Int64(s.activeAtSeconds) * 1000
            let remaining = holdMs - (downAt - activeAt)
            if remaining <= 0 {
                // It was firing when the agent went down: it fires again at the next evaluation.
            } else if remaining < gracePeriodMs {
                activeAt = nowMs + gracePeriodMs - holdMs
            } else {
                activeAt += nowMs - downAt
            }
            a.activeAtMs = activeAt
            active[key] = a
            restored += 1
        }
        return restored
    }
}
