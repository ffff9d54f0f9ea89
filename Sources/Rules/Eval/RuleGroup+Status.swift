import PromModel

/// A rule's state for the status pages and `/api/v1/rules` (Prometheus's `rulesDiscovery`
/// shape).
public struct RuleStatus: Sendable {
    public var definition: RuleDefinition
    /// Labels after the group's were merged in, as written (templates unexpanded).
    public var labels: Labels
    public var health: RuleHealth
    public var lastError: String
    /// 0 before the first evaluation.
    public var lastEvaluationMs: Int64
    public var evaluationSeconds: Double
    /// Alerting rules: every alert kept, inactive (resolved) ones included.
    public var alerts: [Alert]

    public init(
        definition: RuleDefinition, labels: Labels, health: RuleHealth, lastError: String, lastEvaluationMs: Int64,
        evaluationSeconds: Double, alerts: [Alert]
    ) {
        self.definition = definition
        self.labels = labels
        self.health = health
        self.lastError = lastError
        self.lastEvaluationMs = lastEvaluationMs
        self.evaluationSeconds = evaluationSeconds
        self.alerts = alerts
    }

    /// The rule's state from its alerts: firing if any fires, else pending if any is pending.
    public var alertState: AlertState {
        if alerts.contains(where: { $0.state == .firing }) { return .firing }
        if alerts.contains(where: { $0.state == .pending }) { return .pending }
        return .inactive
    }
}

public struct RuleGroupStatus: Sendable {
    public var name: String
    public var file: String
    public var intervalSeconds: Double
    public var queryOffsetSeconds: Double
    public var limit: Int
    public var rules: [RuleStatus]
    public var lastEvaluationMs: Int64
    public var evaluationSeconds: Double

    public init(
        name: String, file: String, intervalSeconds: Double, queryOffsetSeconds: Double, limit: Int,
        rules: [RuleStatus], lastEvaluationMs: Int64, evaluationSeconds: Double
    ) {
        self.name = name
        self.file = file
        self.intervalSeconds = intervalSeconds
        self.queryOffsetSeconds = queryOffsetSeconds
        self.limit = limit
        self.rules = rules
        self.lastEvaluationMs = lastEvaluationMs
        self.evaluationSeconds = evaluationSeconds
    }
}

extension RuleGroup {
    /// A snapshot of the group's rules and alerts.
    public func status() -> RuleGroupStatus {
        state.withLock { s in
            RuleGroupStatus(
                name: definition.name, file: definition.file, intervalSeconds: Double(intervalMs) / 1000,
                queryOffsetSeconds: Double(queryOffsetMs) / 1000, limit: definition.limit,
                rules: rules.enumerated().map { i, r in
                    let rs = s.rules[i]
                    return RuleStatus(
                        definition: r.definition, labels: Labels(r.labels.map { Label($0.name, $0.value) }),
                        health: rs.health, lastError: rs.lastError, lastEvaluationMs: rs.lastEvaluationMs,
                        evaluationSeconds: rs.evaluationSeconds,
                        alerts: rs.alerts.active.values.sorted { $0.labels.description < $1.labels.description })
                }, lastEvaluationMs: s.lastEvaluationMs, evaluationSeconds: s.lastDurationSeconds)
        }
    }
}
