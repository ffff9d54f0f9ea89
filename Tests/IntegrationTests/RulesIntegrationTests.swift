// Rule evaluation end to end (issue 14): promsls scrapes itself, remote-writes to a real
// Prometheus 2.42 and evaluates rule files against that Prometheus's query API: recording
// results and ALERTS come back through remote write, a bad expression is the rule's error, a
// reload that drops a rule marks its series stale, and `for` state survives a restart.

import Foundation
import Testing

/// An agent config: self-scrape every second, remote write to `prom`, rules from `rules`.
func rulesAgentConfig(selfPort: Int, prom: String, rules: String, extra: String = "") -> String {
    """
    global:
      scrape_interval: 1s
      scrape_timeout: 1s
      evaluation_interval: 1s
      rule_query_offset: 2s
      external_labels: {cluster: it}
    rule_files: [\(yamlQuote(rules))]
    scrape_configs:
      - job_name: self
        static_configs: [{targets: ["127.0.0.1:\(selfPort)"]}]
    remote_write:
    \(remoteWriteEntry(url: prom + "/api/v1/write"))
    \(extra)
    """
}

/// `/api/v1/rules` as `[rule name: rule object]`.
func ruleObjects(_ http: TestHTTP, _ agent: Promsls) async throws -> [String: [String: Any]] {
    let r = try await http.get(agent.base + "/api/v1/rules")
    guard r.status == 200, let obj = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any],
        let data = obj["data"] as? [String: Any], let groups = data["groups"] as? [[String: Any]]
    else { throw IntegrationError("/api/v1/rules: \(r.status) \(r.body.prefix(300))") }
    var out: [String: [String: Any]] = [:]
    for g in groups {
        for rule in g["rules"] as? [[String: Any]] ?? [] { out[rule["name"] as? String ?? ""] = rule }
    }
    return out
}

@Suite("rules end to end", .serialized, .offThePool, .timeLimit(.minutes(5)))
struct RulesIntegrationTests {
    static let rules = """
        groups:
          - name: demo
            interval: 1s
            rules:
              - record: job:up:sum
                expr: sum by (job) (up)
                labels: {recorded_by: promsls}
              - alert: AgentUp
                expr: up{job="self"} == 1
                for: 3s
                labels: {severity: info}
                annotations: {summary: "{{ $labels.instance }} is up"}
              - alert: Broken
                expr: sum(
        """

    @Test(
        "recording results and ALERTS reach Prometheus; a bad expression is the rule's error; a dropped rule goes stale"
    )
    func recordingAndAlerting() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        try await TestHTTP.with { http in
            let prom = try await PrometheusReceiver.start(dir: dir, http: http)
            defer { prom.child.stop() }
            let rulesPath = try dir.write("rules.yml", Self.rules)
            let port = try Ports.free()
            var agent = try Promsls.launchAgent(
                dir: dir, config: rulesAgentConfig(selfPort: port, prom: prom.base, rules: rulesPath),
                extraArgs: ["--web.listen-address=127.0.0.1:\(port)", "--web.enable-lifecycle"])
            agent = Promsls(child: agent.child, port: port)
            defer { agent.child.stop() }
            try await agent.waitHealthy(http)
            let logs = { agent.child.tail() + "\n" + prom.child.tail() }

            let recorded = try await eventually("job:up:sum in Prometheus", timeout: .seconds(30), context: logs) {
                try await http.query(prom.base, "job:up:sum").first
            }
            #expect(recorded.value == 1)
            #expect(recorded.metric["job"] == "self" && recorded.metric["recorded_by"] == "promsls")
            #expect(recorded.metric["cluster"] == "it", "external labels on recorded series: \(recorded.metric)")

            let firing = try await eventually("ALERTS firing in Prometheus", timeout: .seconds(30), context: logs) {
                try await http.query(prom.base, #"ALERTS{alertname="AgentUp",alertstate="firing"}"#).first
            }
            #expect(firing.metric["severity"] == "info" && firing.metric["instance"] == "127.0.0.1:\(port)")
            let forState = try await http.query(prom.base, #"ALERTS_FOR_STATE{alertname="AgentUp"}"#)
            #expect(forState.count == 1 && (forState.first?.value ?? 0) > 1_700_000_000)

            let rules = try await ruleObjects(http, agent)
            #expect(rules["job:up:sum"]?["health"] as? String == "ok")
            #expect(rules["AgentUp"]?["state"] as? String == "firing")
            let broken = try #require(rules["Broken"])
            #expect(broken["health"] as? String == "err")
            #expect((broken["lastError"] as? String ?? "").contains("parse error"), "\(broken)")
            let alerts = try await http.get(agent.base + "/api/v1/alerts").body
            #expect(alerts.contains(#""alertname":"AgentUp""#) && alerts.contains(#""state":"firing""#))
            let page = try await http.get(agent.base + "/rules").body
            #expect(page.contains("AgentUp") && page.contains("parse error"))
            let metrics = try await agent.metrics(http)
            #expect(metrics.contains(#"prometheus_rule_group_rules{rule_group="\#(rulesPath);demo"} 3"#))
            #expect(TextBody.sum(metrics, "prometheus_rule_evaluation_failures_total") >= 1)
            #expect(TextBody.sum(metrics, "prometheus_rule_evaluations_total") >= 6)
            #expect(TextBody.value(metrics, "promsls_rule_query_configured") == 1)

            // A broken rule file fails the reload and keeps the running rules.
            try "groups: [\n".write(toFile: rulesPath, atomically: true, encoding: .utf8)
            #expect(try await postReload(http, agent) >= 400)
            #expect(TextBody.value(try await agent.metrics(http), "prometheus_config_last_reload_successful") == 0)
            #expect(try await ruleObjects(http, agent).count == 3)

            // Drop the recording rule: its series gets a staleness marker and vanishes.
            try Self.rules.replacingOccurrences(
                of:
                    "      - record: job:up:sum\n        expr: sum by (job) (up)\n        labels: {recorded_by: promsls}\n",
                with: ""
            ).write(toFile: rulesPath, atomically: true, encoding: .utf8)
            #expect(try await postReload(http, agent) == 200)
            _ = try await eventually("job:up:sum stale in Prometheus", timeout: .seconds(30), context: logs) {
                try await http.query(prom.base, "job:up:sum").isEmpty ? true : nil
            }
            #expect(try await ruleObjects(http, agent)["job:up:sum"] == nil)
            // Still written shortly before: the end is a staleness marker, not a gap.
            let before = try await http.query(prom.base, "count_over_time(job:up:sum[1m])")
            #expect((before.first?.value ?? 0) >= 2)
        }
    }

    @Test("without a query API the config loads, check config warns, every rule reports why")
    func noQueryAPI() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        try await TestHTTP.with { http in
            let receiver = try await Promsls.startReceiver(dir: dir)
            defer { receiver.child.stop() }
            let rulesPath = try dir.write("rules.yml", Self.rules)
            let config = """
                global: {scrape_interval: 1s, evaluation_interval: 1s}
                rule_files: [\(yamlQuote(rulesPath))]
                remote_write:
                \(remoteWriteEntry(url: receiver.base + "/receive"))
                """
            let check = try runToCompletion(try Paths.promsls(), ["check", "config", try dir.write("c.yml", config)])
            #expect(check.status == 0, "\(check.stdout)")
            #expect(
                check.stdout.contains("WARNING: no query API for rules: add an sls: section, a rule_query: section"))
            let agent = try await Promsls.startAgent(dir: dir, http: http, config: config)
            defer { agent.child.stop() }
            let rules = try await eventually("rules evaluated", timeout: .seconds(20), context: { agent.child.tail() })
            {
                let r = try await ruleObjects(http, agent)
                return r["AgentUp"]?["health"] as? String == "err" ? r : nil
            }
            let lastError = rules["job:up:sum"]?["lastError"] as? String
            #expect(lastError?.contains("no query API for rules") == true, "lastError: \(lastError ?? "none")")
            #expect(TextBody.value(try await agent.metrics(http), "promsls_rule_query_configured") == 0)
            #expect(agent.child.tail(200).contains("no query API for rules"))
        }
    }

    @Test("an invalid rule file stops the agent at start, naming file, line and column")
    func invalidRuleFile() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let rulesPath = try dir.write(
            "bad.yml", "groups:\n  - name: g\n    rules:\n      - record: \"not a name\"\n        expr: up\n")
        let config = "rule_files: [\(yamlQuote(rulesPath))]\n"
        let check = try runToCompletion(try Paths.promsls(), ["check", "rules", rulesPath])
        #expect(check.status == 1)
        #expect(
            check.stdout.contains(
                rulesPath + #":4:17: group "g", rule 1, "not a name": invalid recording rule name: not a name"#),
            "\(check.stdout)")
        // promtool's duplicate-rules lint: a warning, exit 0.
        let dup = try dir.write(
            "dup.yml",
            "groups:\n  - name: g\n    rules:\n      - record: a:b\n        expr: up\n      - record: a:b\n        expr: up\n"
        )
        let dupCheck = try runToCompletion(try Paths.promsls(), ["check", "rules", dup])
        #expect(dupCheck.status == 0)
        #expect(dupCheck.stdout.contains("WARNING: 1 duplicate rule(s) found.\n  Metric: a:b"), "\(dupCheck.stdout)")
        let agent = try Promsls.launchAgent(dir: dir, name: "promsls-badrules", config: config)
        let status = agent.child.waitForExit(timeout: .seconds(30))
        #expect(status == 1, "\(agent.child.tail())")
        #expect(agent.child.tail(50).contains("invalid recording rule name"))
    }
}

/// A real Alertmanager (Debian's `prometheus-alertmanager`) on a free loopback port, no cluster.
struct AlertmanagerReceiver {
    let child: Child
    let port: Int
    var base: String { "http://127.0.0.1:\(port)" }

    static func start(dir: TempDir, http: TestHTTP) async throws -> AlertmanagerReceiver {
        let binary = try Paths.require("prometheus-alertmanager", package: "prometheus-alertmanager")
        let port = try Ports.free()
        let cfg = try dir.write(
            "alertmanager-\(port).yml", "route:\n  receiver: \"null\"\nreceivers:\n  - name: \"null\"\n")
        let data = try dir.subdir("alertmanager-\(port)-data")
        let child = try Child(
            "alertmanager", binary,
            [
                "--config.file=\(cfg)", "--storage.path=\(data)", "--web.listen-address=127.0.0.1:\(port)",
                "--cluster.listen-address=", "--log.level=warn",
            ], dir: dir)
        let am = AlertmanagerReceiver(child: child, port: port)
        do {
            try await http.waitFor200(am.base + "/-/ready", context: { child.tail() })
        } catch {
            child.stop()
            throw error
        }
        return am
    }

    /// `/api/v2/alerts` (active alerts) as JSON objects.
    func alerts(_ http: TestHTTP) async throws -> [[String: Any]] {
        let r = try await http.get(base + "/api/v2/alerts")
        guard r.status == 200, let list = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [[String: Any]]
        else { throw IntegrationError("alertmanager /api/v2/alerts: \(r.status) \(r.body.prefix(300))") }
        return list
    }
}

extension RulesIntegrationTests {
    @Test("alerts reach a real Alertmanager with expanded templates, relabeled, and are resolved there")
    func alertmanager() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        try await TestHTTP.with { http in
            let prom = try await PrometheusReceiver.start(dir: dir, http: http)
            defer { prom.child.stop() }
            let am = try await AlertmanagerReceiver.start(dir: dir, http: http)
            defer { am.child.stop() }
            let rules = """
                groups:
                  - name: am
                    interval: 1s
                    rules:
                      - alert: SelfScraped
                        expr: up{job="self"} == 1
                        labels: {severity: warning, owner: "{{ $labels.job | toUpper }}"}
                        annotations:
                          summary: "{{ $labels.instance }} is up with value {{ $value }}"
                          fraction: "{{ 0.25 | humanizePercentage }}"
                """
            let rulesPath = try dir.write("am-rules.yml", rules)
            let port = try Ports.free()
            let alerting = """
                alerting:
                  alert_relabel_configs:
                    - {source_labels: [severity], regex: warning, target_label: routed, replacement: "yes"}
                  alertmanagers:
                    - static_configs: [{targets: ["127.0.0.1:\(am.port)"]}]
                """
            var agent = try Promsls.launchAgent(
                dir: dir,
                config: rulesAgentConfig(selfPort: port, prom: prom.base, rules: rulesPath, extra: alerting),
                extraArgs: [
                    "--web.listen-address=127.0.0.1:\(port)", "--web.enable-lifecycle",
                    "--web.external-url=http://promsls.example:9090/", "--rules.alert.resend-delay=1s",
                ])
            agent = Promsls(child: agent.child, port: port)
            defer { agent.child.stop() }
            try await agent.waitHealthy(http)
            let logs = { agent.child.tail() + "\n" + am.child.tail() }

            let alert = try await eventually("the alert in Alertmanager", timeout: .seconds(30), context: logs) {
                try await am.alerts(http).first { ($0["labels"] as? [String: String])?["alertname"] == "SelfScraped" }
            }
            let labels = alert["labels"] as? [String: String] ?? [:]
            #expect(labels["owner"] == "SELF" && labels["routed"] == "yes" && labels["cluster"] == "it", "\(labels)")
            let annotations = alert["annotations"] as? [String: String] ?? [:]
            #expect(annotations["summary"] == "127.0.0.1:\(port) is up with value 1", "\(annotations)")
            #expect(annotations["fraction"] == "25%")
            #expect((alert["generatorURL"] as? String ?? "").hasPrefix("http://promsls.example:9090/graph?g0.expr="))
            let page = try await http.get(agent.base + "/alerts").body
            #expect(
                page.contains("summary: 127.0.0.1:\(port) is up with value 1"), "the /alerts page shows annotations")
            let status = try await http.get(agent.base + "/api/v1/alertmanagers").body
            #expect(status.contains("http://127.0.0.1:\(am.port)/api/v2/alerts"), "\(status)")
            let metrics = try await agent.metrics(http)
            #expect(TextBody.sum(metrics, "prometheus_notifications_sent_total") >= 1)
            #expect(TextBody.sum(metrics, "prometheus_notifications_errors_total") == 0)

            // The condition clears: the resolution reaches Alertmanager (endsAt in the past).
            // Same name and labels, so the new rule takes over the alert and resolves it.
            try rules.replacingOccurrences(of: "== 1", with: "== 2").write(
                toFile: rulesPath, atomically: true, encoding: .utf8)
            #expect(try await postReload(http, agent) == 200)
            _ = try await eventually("the alert resolved in Alertmanager", timeout: .seconds(30), context: logs) {
                try await am.alerts(http).contains {
                    ($0["labels"] as? [String: String])?["alertname"] == "SelfScraped"
                } ? nil : true
            }
        }
    }
}
