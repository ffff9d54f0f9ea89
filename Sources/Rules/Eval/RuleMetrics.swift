import PromModel
import Synchronization

/// The rule engine's self-metrics, with Prometheus's names and `rule_group` labels (`FILE;NAME`)
/// so rule dashboards keep working, plus `promsls_rule_query_failures_total{reason}`.
public final class RuleMetrics: Sendable {
    let families: LabeledFamilies
    private let summary = Mutex(DurationRing())

    public init(registry: AnyObject) {
        families = LabeledFamilies.attached(to: registry)
        _ = queryConfigured
    }

    struct Group {
        let evaluations: LabeledFamilies.Series
        let failures: LabeledFamilies.Series
        let iterations: LabeledFamilies.Series
        let iterationsMissed: LabeledFamilies.Series
        let lastDuration: LabeledFamilies.Series
        let lastEvaluation: LabeledFamilies.Series
        let samples: LabeledFamilies.Series
        let rules: LabeledFamilies.Series
        let interval: LabeledFamilies.Series
        let duration: DurationObserver
    }

    struct DurationObserver {
        let metrics: RuleMetrics
        func observe(_ seconds: Double) { metrics.observe(seconds) }
    }

    func group(_ key: String) -> Group {
        let l = [("rule_group", key)]
        func s(_ name: String, _ help: String, _ kind: LabeledFamilies.Kind) -> LabeledFamilies.Series {
            families.series(name, help: help, kind: kind, labels: l)
        }
        return Group(
            evaluations: s("prometheus_rule_evaluations_total", "The total number of rule evaluations.", .counter),
            failures: s(
                "prometheus_rule_evaluation_failures_total", "The total number of rule evaluation failures.", .counter),
            iterations: s(
                "prometheus_rule_group_iterations_total",
                "The total number of scheduled rule group evaluations, whether executed or missed.", .counter),
            iterationsMissed: s(
                "prometheus_rule_group_iterations_missed_total",
                "The total number of rule group evaluations missed due to slow rule group evaluation.", .counter),
            lastDuration: s(
                "prometheus_rule_group_last_duration_seconds", "The duration of the last rule group evaluation.", .gauge
            ),
            lastEvaluation: s(
                "prometheus_rule_group_last_evaluation_timestamp_seconds",
                "The timestamp of the last rule group evaluation in seconds.", .gauge),
            samples: s(
                "prometheus_rule_group_last_evaluation_samples",
                "The number of samples returned during the last rule group evaluation.", .gauge),
            rules: s("prometheus_rule_group_rules", "The number of rules.", .gauge),
            interval: s("prometheus_rule_group_interval_seconds", "The interval of a rule group.", .gauge),
            duration: DurationObserver(metrics: self))
    }

    /// `promsls_rule_query_failures_total{reason}`: failed rule queries by kind.
    func queryFailures(_ kind: QueryError.Kind) -> LabeledFamilies.Series {
        families.series(
            "promsls_rule_query_failures_total", help: "Rule queries that failed, by reason.", kind: .counter,
            labels: [("reason", kind.rawValue)])
    }

    /// `promsls_rule_query_configured`: 1 when rules have a query API, 0 when they have none.
    var queryConfigured: LabeledFamilies.Series {
        families.series(
            "promsls_rule_query_configured",
            help: "Whether rules have a query API (1) or every evaluation fails for lack of one (0).", kind: .gauge,
            labels: [])
    }

    /// `prometheus_rule_group_duration_seconds{quantile}` (Prometheus's summary: quantiles over
    /// the last 128 group evaluations here), with `_sum` and `_count`.
    private func observe(_ seconds: Double) {
        let (quantiles, sum, count) = summary.withLock { ring in
            ring.add(seconds)
            return (DurationRing.quantiles.map { ring.quantile($0) }, ring.sum, ring.count)
        }
        for (q, v) in zip(DurationRing.quantiles, quantiles) {
            families.series(
                "prometheus_rule_group_duration_seconds", help: "The duration of rule group evaluations.",
                kind: .gauge, labels: [("quantile", "\(q)")]
            ).set(to: v)
        }
        families.series(
            "prometheus_rule_group_duration_seconds_sum", help: "The duration of rule group evaluations.",
            kind: .counter, labels: []
        ).set(to: sum)
        families.series(
            "prometheus_rule_group_duration_seconds_count", help: "The duration of rule group evaluations.",
            kind: .counter, labels: []
        ).set(to: Double(count))
    }
}

struct DurationRing: Sendable {
    static let quantiles = [0.01, 0.05, 0.5, 0.9, 0.99]
    var values: [Double] = []
    var next = 0
    var sum = 0.0
    var count = 0

    mutating func add(_ v: Double) {
        sum += v
        count += 1
        if values.count < 128 { values.append(v) } else { values[next] = v }
        next = (next + 1) % 128
    }

    func quantile(_ q: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((q * Double(sorted.count - 1)).rounded()))]
    }
}
