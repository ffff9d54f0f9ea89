import PromModel
import Relabel

/// External labels and `alert_relabel_configs` applied to alerts (Prometheus `relabelAlerts`).
enum AlertRelabeling {
    /// Adds each external label the alert lacks (an alert's own label wins), then runs
    /// `rules`; alerts the rules drop are left out.
    static func apply(_ alerts: [NotifierAlert], externalLabels: Labels, rules: RelabelRules?) -> [NotifierAlert] {
        if externalLabels.isEmpty && rules == nil { return alerts }
        var out: [NotifierAlert] = []
        out.reserveCapacity(alerts.count)
        for alert in alerts {
            var labels = alert.labels
            if !externalLabels.isEmpty {
                var b = LabelsBuilder(labels)
                for l in externalLabels where (labels[l.name] ?? "").isEmpty { b.set(l.name, l.value) }
                labels = b.labels()
            }
            if let rules {
                guard let relabeled = rules.apply(labels) else { continue }
                labels = relabeled
            }
            var a = alert
            a.labels = labels
            out.append(a)
        }
        return out
    }
}
