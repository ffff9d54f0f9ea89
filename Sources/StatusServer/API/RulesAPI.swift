import PromModel
import Rules

/// `/api/v1/rules` and `/api/v1/alerts` in Prometheus's JSON shape
/// (https://prometheus.io/docs/prometheus/latest/querying/api/#rules).
enum RulesAPI {
    /// The query parameters of `/api/v1/rules`: `type` (`alert` or `record`), `rule_name[]`,
    /// `rule_group[]`, `file[]` (empty sets keep everything), `exclude_alerts`.
    struct Filter {
        var type: String?
        var ruleNames: Set<String> = []
        var groups: Set<String> = []
        var files: Set<String> = []
        var excludeAlerts = false
    }

    static func rules(_ groups: [RuleGroupStatus], filter: Filter = Filter()) -> String {
        let type = filter.type
        let wantAlerts = type == nil || type == "" || type == "alert"
        let wantRecords = type == nil || type == "" || type == "record"
        var out = "{\"groups\":["
        var firstGroup = true
        for g in groups {
            if !filter.groups.isEmpty && !filter.groups.contains(g.name) { continue }
            if !filter.files.isEmpty && !filter.files.contains(g.file) { continue }
            let rules = g.rules.filter {
                ($0.definition.isAlerting ? wantAlerts : wantRecords)
                    && (filter.ruleNames.isEmpty || filter.ruleNames.contains($0.definition.name))
            }
            // As Prometheus: a group a filter leaves without rules is not shown.
            if rules.isEmpty && (!g.rules.isEmpty || !filter.ruleNames.isEmpty) { continue }
            if !firstGroup { out += "," }
            firstGroup = false
            out += "{\"name\":\(JSON.string(g.name)),\"file\":\(JSON.string(g.file)),\"rules\":["
            out += rules.map { rule($0, excludeAlerts: filter.excludeAlerts) }.joined(separator: ",")
            out += "],\"interval\":\(number(g.intervalSeconds)),\"limit\":\(g.limit)"
            out += ",\"evaluationTime\":\(number(g.evaluationSeconds)),\"lastEvaluation\":\(time(g.lastEvaluationMs))}"
        }
        return JSON.success(out + "]}")
    }

    /// Every pending or firing alert.
    static func alerts(_ groups: [RuleGroupStatus]) -> String {
        let all = groups.flatMap { $0.rules.flatMap { $0.alerts.filter { $0.state != .inactive } } }
        return JSON.success("{\"alerts\":[\(all.map(alert).joined(separator: ","))]}")
    }

    static func rule(_ r: RuleStatus, excludeAlerts: Bool = false) -> String {
        let d = r.definition
        var o = "{"
        if d.isAlerting {
            o += "\"state\":\(JSON.string(r.alertState.rawValue)),"
        }
        o += "\"name\":\(JSON.string(d.name)),\"query\":\(JSON.string(d.expr)),"
        if d.isAlerting {
            o +=
                "\"duration\":\(number(d.forDuration.totalSeconds)),\"keepFiringFor\":\(number(d.keepFiringFor.totalSeconds)),"
        }
        o += "\"labels\":\(JSON.labels(r.labels)),"
        if d.isAlerting {
            o += "\"annotations\":\(JSON.labels(Labels(d.annotations.map { Label($0.name, $0.value) }))),"
            if !excludeAlerts {
                let active = r.alerts.filter { $0.state != .inactive }
                o += "\"alerts\":[\(active.map(alert).joined(separator: ","))],"
            }
        }
        o += "\"health\":\(JSON.string(r.health.rawValue)),"
        if !r.lastError.isEmpty { o += "\"lastError\":\(JSON.string(r.lastError))," }
        o += "\"evaluationTime\":\(number(r.evaluationSeconds)),\"lastEvaluation\":\(time(r.lastEvaluationMs)),"
        o += "\"type\":\(JSON.string(d.isAlerting ? "alerting" : "recording"))}"
        return o
    }

    static func alert(_ a: Alert) -> String {
        var o = "{\"labels\":\(JSON.labels(a.labels)),\"annotations\":\(JSON.labels(a.annotations))"
        o += ",\"state\":\(JSON.string(a.state.rawValue)),\"activeAt\":\(time(a.activeAtMs))"
        if a.keepFiringSinceMs != 0 { o += ",\"keepFiringSince\":\(time(a.keepFiringSinceMs))" }
        return o + ",\"value\":\(JSON.string(goFormatE(a.value)))}"
    }

    /// Go's zero `time.Time` for "never".
    static func time(_ ms: Int64) -> String {
        ms == 0 ? "\"0001-01-01T00:00:00Z\"" : JSON.string(JSONText.rfc3339(ms: ms, trimFraction: true))
    }

    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : "\(v)"
    }
}

/// Go's `strconv.FormatFloat(v, 'e', -1, 64)` (the API's alert values): `1e+00`, `2.5e-03`.
func goFormatE(_ v: Double) -> String { goFormatFloat(v, UInt8(ascii: "e"), -1) }
