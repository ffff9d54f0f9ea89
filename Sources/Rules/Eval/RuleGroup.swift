import Logging
import PromModel
import Synchronization

/// One rule group at run time (Prometheus `rules.Group`): evaluates its rules in order, once
/// per interval at a fixed offset inside it, against the query API; writes recording results
/// and `ALERTS`/`ALERTS_FOR_STATE` through the `Appender` with staleness markers for series
/// that go away; hands alerts to the notifier.
public final class RuleGroup: Sendable {
    public let definition: RuleGroupDefinition
    let rules: [CompiledRule]
    public let intervalMs: Int64
    public let queryOffsetMs: Int64
    let query: Result<any QueryClient, NoQueryTarget>
    let storage: any Appendable
    let notify: @Sendable ([OutgoingAlert]) -> Void
    let options: RuleOptions
    let metrics: RuleMetrics
    let logger: Logger
    let state: Mutex<GroupState>

    struct RuleState: Sendable {
        var health = RuleHealth.unknown
        var lastError = ""
        var lastEvaluationMs: Int64 = 0
        var evaluationSeconds = 0.0
        /// Series written at the last successful evaluation (staleness markers when they go).
        var previousSeries: Set<Labels> = []
        var alerts = AlertingRuleState()
    }

    struct GroupState: Sendable {
        var rules: [RuleState]
        var lastEvaluationMs: Int64 = 0
        var lastDurationSeconds = 0.0
        /// Alerts' `for` state still to be restored from `ALERTS_FOR_STATE` (first load only).
        var restored: Bool
        var iterations = 0
        /// Series of rules removed by a reload, marked stale at the next evaluation.
        var staleSeries: [Labels] = []
    }

    /// - Parameters:
    ///   - restore: restore alerts' `for` state after the second evaluation (the first load
    ///     after start); false after a reload, as Prometheus.
    /// - Throws: `TemplateError` when an alerting template does not parse.
    init(
        definition: RuleGroupDefinition, query: Result<any QueryClient, NoQueryTarget>, storage: any Appendable,
        notify: @escaping @Sendable ([OutgoingAlert]) -> Void, options: RuleOptions, metrics: RuleMetrics,
        logger: Logger, restore: Bool
    ) throws(TemplateError) {
        self.definition = definition
        rules = try definition.rules.map { (r) throws(TemplateError) in
            try CompiledRule(r, groupLabels: definition.labels)
        }
        intervalMs = max((definition.interval ?? options.evaluationInterval).totalMilliseconds, 1)
        queryOffsetMs = (definition.queryOffset ?? options.queryOffset).totalMilliseconds
        self.query = query
        self.storage = storage
        self.notify = notify
        self.options = options
        self.metrics = metrics
        var l = logger
        l[metadataKey: "file"] = "\(definition.file)"
        l[metadataKey: "group"] = "\(definition.name)"
        self.logger = l
        state = Mutex(
            GroupState(rules: Array(repeating: RuleState(), count: definition.rules.count), restored: !restore))
        metrics.group(key).rules.set(to: Double(rules.count))
        metrics.group(key).interval.set(to: Double(intervalMs) / 1000)
    }

    /// `FILE;NAME`, Prometheus's `GroupKey` (the `rule_group` label).
    public var key: String { definition.file + ";" + definition.name }

    /// The evaluation time at or before `nowMs` (Prometheus `Group.EvalTimestamp`): slots of the
    /// interval, shifted by a fixed offset from the group's name and file so that groups spread
    /// over the interval and keep their phase across restarts.
    public func evaluationTime(atOrBefore nowMs: Int64) -> Int64 {
        let offset = Int64(Labels(["name": definition.name, "file": definition.file]).stableHash % UInt64(intervalMs))
        let adjusted = nowMs - offset
        let base = adjusted - ((adjusted % intervalMs) + intervalMs) % intervalMs
        return base + offset
    }

    /// Evaluates until cancelled, at `evaluationTime` slots; a slot missed because an
    /// evaluation ran long is counted in `prometheus_rule_group_iterations_missed_total`.
    func run() async {
        var ts = evaluationTime(atOrBefore: currentTimeMs()) + intervalMs
        while !Task.isCancelled {
            let wait = ts - currentTimeMs()
            if wait > 0 {
                do { try await Task.sleep(for: .milliseconds(wait)) } catch { return }
            }
            await evaluate(atMs: ts)
            let next = ts + intervalMs
            let now = currentTimeMs()
            if now >= next + intervalMs {
                let missed = (now - next) / intervalMs
                metrics.group(key).iterationsMissed.increment(by: Double(missed))
                metrics.group(key).iterations.increment(by: Double(missed))
                ts = next + missed * intervalMs
            } else {
                ts = next
            }
        }
    }

    /// One iteration: every rule in order at `tsMs`, then (on the second iteration after
    /// start) the restore of alerts' `for` state.
    public func evaluate(atMs tsMs: Int64) async {
        let started = ContinuousClock.now
        let m = metrics.group(key)
        m.iterations.increment()
        await writeStaleSeries(atMs: tsMs - queryOffsetMs)
        var samples = 0
        for index in rules.indices {
            samples += await evaluate(rule: index, atMs: tsMs)
        }
        let seconds = (ContinuousClock.now - started).totalSeconds
        let (iteration, restored) = state.withLock { s in
            s.lastEvaluationMs = tsMs
            s.lastDurationSeconds = seconds
            s.iterations += 1
            return (s.iterations, s.restored)
        }
        m.lastDuration.set(to: seconds)
        m.duration.observe(seconds)
        m.lastEvaluation.set(to: Double(tsMs) / 1000)
        m.samples.set(to: Double(samples))
        if !restored && iteration >= 2 {
            await restoreForState(atMs: currentTimeMs())
        }
    }

    /// Marks removed rules' series stale (after a reload that dropped them).
    private func writeStaleSeries(atMs ts: Int64) async {
        let stale = state.withLock { s in
            defer { s.staleSeries = [] }
            return s.staleSeries
        }
        guard !stale.isEmpty else { return }
        let app = storage.appender()
        for l in stale { _ = try? app.append(l, timestampMs: ts, value: StaleNaN.value) }
        do { try await app.commit() } catch {
            logger.warning("Stale sample appending for previous configuration failed", metadata: ["err": "\(error)"])
        }
    }
}
