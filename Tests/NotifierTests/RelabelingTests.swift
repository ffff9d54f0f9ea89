import AgentConfig
import PromModel
import Testing

@testable import Notifier

@Suite struct AlertRelabelingTests {
    @Test func externalLabelsFillOnlyWhatTheAlertLacks() {
        let a = NotifierAlert(labels: Labels(["alertname": "A", "cluster": "own"]), startsAt: 1)
        let out = AlertRelabeling.apply(
            [a], externalLabels: Labels(["cluster": "ext", "region": "eu"]), rules: nil)
        #expect(out.map(\.labels) == [Labels(["alertname": "A", "cluster": "own", "region": "eu"])])
    }

    @Test func rulesSeeExternalLabelsAndDropAlerts() throws {
        let rules = try RuleCompiler.compile(
            [
                rule("drop", source: ["severity"], regex: "info"),
                rule("replace", source: ["region"], regex: "(.*)", target: "dc", replacement: "dc-$1"),
                rule("labeldrop", regex: "region"),
            ], keyPath: "alerting.alert_relabel_configs")
        let alerts = [
            NotifierAlert(labels: Labels(["alertname": "A", "severity": "page"]), startsAt: 1),
            NotifierAlert(labels: Labels(["alertname": "B", "severity": "info"]), startsAt: 2),
        ]
        let out = AlertRelabeling.apply(alerts, externalLabels: Labels(["region": "eu"]), rules: rules)
        #expect(out.map(\.labels) == [Labels(["alertname": "A", "dc": "dc-eu", "severity": "page"])])
        #expect(out.map(\.startsAt) == [1])
    }

    @Test func ruleThatDoesNotCompileNamesItsPlace() {
        var bad = rule("hashmod", source: ["a"], target: "b")
        bad.location = "prometheus.yml:12"
        #expect {
            _ = try RuleCompiler.compile([rule("keep", source: ["a"]), bad], keyPath: "alerting.alert_relabel_configs")
        } throws: { error in
            "\(error)".hasPrefix("prometheus.yml:12: alerting.alert_relabel_configs[1]: ")
        }
    }
}
