import Logging
import PromModel
import Relabel

extension RuleGroup {
    /// Restores the `for` state of pending and firing alerts from the `ALERTS_FOR_STATE`
    /// series written before a restart (Prometheus `Group.RestoreForState`): one range query
    /// per alerting rule over `--rules.alert.for-outage-tolerance`, the last sample of each
    /// series. Rules whose `for` is shorter than the grace period are not restored. A failed
    /// query leaves the alerts as they are (they fire after their `for` again).
    func restoreForState(atMs nowMs: Int64) async {
        defer { state.withLock { $0.restored = true } }
        guard case .success(let client) = query else { return }
        let tolerance = max(options.outageTolerance.totalMilliseconds / 1000, 1)
        let grace = options.forGracePeriod.totalMilliseconds
        let external = options.externalLabels
        for (index, rule) in rules.enumerated() where rule.definition.isAlerting {
            let hold = rule.definition.forDuration.totalMilliseconds
            guard hold >= grace else { continue }
            var matchers = rule.staticLabels.map { "\($0.0)=\(quotedPromQL($0.1))" }
            matchers.append("alertname=\(quotedPromQL(rule.name))")
            let expr = "ALERTS_FOR_STATE{\(matchers.sorted().joined(separator: ","))}[\(tolerance)s]"
            let series: [QuerySeries]
            do {
                switch try await client.query(expr, atMs: nowMs - queryOffsetMs) {
                case .matrix(let m): series = m
                case .vector(let v):
                    series = v.map { QuerySeries(labels: $0.labels, samples: [($0.timestampMs, $0.value)]) }
                default: series = []
                }
            } catch {
                logger.error(
                    "Failed to restore 'for' state",
                    metadata: ["alertname": "\(rule.name)", "stage": "Select", "err": "\(error)"])
                continue
            }
            var saved: [Labels: (timestampMs: Int64, activeAtSeconds: Double)] = [:]
            for s in series {
                guard let last = s.samples.last else { continue }
                var b = LabelsBuilder(s.labels)
                b.delete(Labels.metricName)
                saved[b.labels()] = (last.timestampMs, last.value)
            }
            let restored = state.withLock { s in
                // The stored series carry the external labels remote write added: match alerts
                // with them merged in (the alert's own label wins, as remote write does).
                var keyed: [Labels: (timestampMs: Int64, activeAtSeconds: Double)] = [:]
                for (labels, _) in s.rules[index].alerts.active {
                    var b = LabelsBuilder(labels)
                    for e in external where b.get(e.name) == nil { b.set(e.name, e.value) }
                    if let v = saved[b.labels()] ?? saved[labels] { keyed[labels] = v }
                }
                return s.rules[index].alerts.restore(saved: keyed, nowMs: nowMs, holdMs: hold, gracePeriodMs: grace)
            }
            logger.debug("'for' state restored", metadata: ["alertname": "\(rule.name)", "alerts": "\(restored)"])
        }
    }
}

/// A PromQL string literal (PromQL takes Go's escapes).
func quotedPromQL(_ s: String) -> String { GoString.quote(s) }
