import PromModel
import Rules

/// `/rules` (every group, its rules' health and last error) and `/alerts` (alerting rules with
/// their pending and firing alerts), server-rendered like `/targets`.
enum RulesPages {
    static func rules(_ groups: [RuleGroupStatus], queryNote: String, nowMs: Int64) -> String {
        var h = "<h1>Rules</h1>\n<p class=\"note\">\(HTML.esc(queryNote))</p>\n"
        if groups.isEmpty { h += "<p class=\"empty\">No rule groups (rule_files).</p>" }
        for g in groups {
            h += "<details class=\"pool\" open><summary>\(HTML.esc(g.name))"
            h += "<span class=\"count\">\(HTML.esc(g.file)) · every \(HumanDuration.duration(g.intervalSeconds))"
            h += " · queries \(HumanDuration.duration(g.queryOffsetSeconds)) back"
            if g.limit > 0 { h += " · limit \(g.limit)" }
            h += " · last \(HumanDuration.ago(nowMs: nowMs, thenMs: g.lastEvaluationMs))"
            h += " · took \(HumanDuration.duration(g.evaluationSeconds))</span></summary>\n"
            h += "<table><tr><th style=\"width:45%\">Rule</th><th style=\"width:8%\">State</th>"
            h += "<th>Error</th><th style=\"width:12%\">Last evaluation</th><th style=\"width:9%\">Took</th></tr>\n"
            for r in g.rules {
                let d = r.definition
                h += "<tr><td><b>\(d.isAlerting ? "alert" : "record"): \(HTML.esc(d.name))</b><br>"
                h += "<code>\(HTML.esc(d.expr))</code>"
                if d.forDuration > .zero { h += "<br>for: \(HumanDuration.duration(d.forDuration.totalSeconds))" }
                if d.keepFiringFor > .zero {
                    h += "<br>keep_firing_for: \(HumanDuration.duration(d.keepFiringFor.totalSeconds))"
                }
                if !r.labels.isEmpty {
                    h += "<br>"
                    HTML.labels(r.labels, into: &h)
                }
                for (name, value) in d.annotations {
                    h += "<br><span class=\"note\">\(HTML.esc(name)): \(HTML.esc(value))</span>"
                }
                h += "</td><td class=\"state\">\(health(r.health))</td>"
                h += "<td class=\"error\">\(HTML.esc(r.lastError))</td>"
                h += "<td>\(HumanDuration.ago(nowMs: nowMs, thenMs: r.lastEvaluationMs))</td>"
                h += "<td>\(HumanDuration.duration(r.evaluationSeconds))</td></tr>\n"
            }
            h += "</table></details>\n"
        }
        return HTML.page(title: "Rules", active: "/rules", body: h)
    }

    static func alerts(_ groups: [RuleGroupStatus], nowMs: Int64) -> String {
        var h = "<h1>Alerts</h1>\n"
        let rules = groups.flatMap { g in g.rules.filter { $0.definition.isAlerting } }
        if rules.isEmpty { h += "<p class=\"empty\">No alerting rules.</p>" }
        for r in rules {
            let active = r.alerts.filter { $0.state != .inactive }
            h += "<details class=\"pool\"\(active.isEmpty ? "" : " open")><summary>"
            h += "<span class=\"state\">\(state(r.alertState))</span> \(HTML.esc(r.definition.name))"
            h += "<span class=\"count\">(\(active.count) active)</span></summary>\n"
            h += "<p><code>\(HTML.esc(r.definition.expr))</code></p>"
            if !r.lastError.isEmpty { h += "<p class=\"error\">\(HTML.esc(r.lastError))</p>" }
            if !active.isEmpty {
                h += "<table><tr><th style=\"width:45%\">Labels</th><th style=\"width:10%\">State</th>"
                h += "<th>Active since</th><th>Value</th></tr>\n"
                for a in active {
                    h += "<tr><td>"
                    HTML.labels(a.labels, into: &h)
                    for annotation in a.annotations {
                        h +=
                            "<br><span class=\"note\">\(HTML.esc(annotation.name)): \(HTML.esc(annotation.value))</span>"
                    }
                    h += "</td><td class=\"state\">\(state(a.state))</td>"
                    h += "<td>\(HumanDuration.ago(nowMs: nowMs, thenMs: a.activeAtMs))</td>"
                    h += "<td>\(HTML.esc(goFormatE(a.value)))</td></tr>\n"
                }
                h += "</table>"
            }
            h += "</details>\n"
        }
        return HTML.page(title: "Alerts", active: "/alerts", body: h)
    }

    static func health(_ h: RuleHealth) -> String {
        switch h {
        case .ok: "<span class=\"up\">ok</span>"
        case .err: "<span class=\"down\">err</span>"
        case .unknown: "<span class=\"unknown\">unknown</span>"
        }
    }

    static func state(_ s: AlertState) -> String {
        switch s {
        case .firing: "<span class=\"down\">firing</span>"
        case .pending: "<span class=\"pending\">pending</span>"
        case .inactive: "<span class=\"up\">inactive</span>"
        }
    }
}
