import PromModel
import Rules
import Testing

@testable import StatusServer

/// `/api/v1/rules` and `/api/v1/alerts` in Prometheus's shape, with its filters.
struct RulesAPITests {
    static let groups: [RuleGroupStatus] = {
        var record = RuleDefinition(kind: .recording("job:up:sum"), expr: "sum by (job) (up)")
        record.labels = [("tier", "gold")]
        var alert = RuleDefinition(kind: .alerting("Down"), expr: "up == 0")
        alert.forDuration = .seconds(300)
        alert.annotations = [("summary", "{{ $labels.instance }} down")]
        var firing = Alert(
            labels: Labels(["alertname": "Down", "instance": "a"]), annotations: Labels(["summary": "a down"]),
            state: .firing, value: 0, activeAtMs: 1_700_000_000_500)
        firing.firedAtMs = 1_700_000_300_500
        let resolved = Alert(
            labels: Labels(["alertname": "Down", "instance": "b"]), annotations: Labels(), state: .inactive, value: 0,
            activeAtMs: 1_700_000_000_000)
        return [
            RuleGroupStatus(
                name: "g", file: "/etc/rules.yml", intervalSeconds: 60, queryOffsetSeconds: 15, limit: 0,
                rules: [
                    RuleStatus(
                        definition: record, labels: Labels(["tier": "gold"]), health: .ok, lastError: "",
                        lastEvaluationMs: 1_700_000_060_000, evaluationSeconds: 0.25, alerts: []),
                    RuleStatus(
                        definition: alert, labels: Labels(), health: .err, lastError: "HTTP 503: busy",
                        lastEvaluationMs: 0, evaluationSeconds: 0, alerts: [firing, resolved]),
                ], lastEvaluationMs: 1_700_000_060_000, evaluationSeconds: 0.5)
        ]
    }()

    @Test func rulesInPrometheusShape() {
        let body = RulesAPI.rules(Self.groups)
        #expect(body.hasPrefix(#"{"status":"success","data":{"groups":[{"name":"g","file":"/etc/rules.yml","rules":["#))
        #expect(
            body.contains(
                #"{"name":"job:up:sum","query":"sum by (job) (up)","labels":{"tier":"gold"},"health":"ok","evaluationTime":0.25,"lastEvaluation":"2023-11-14T22:14:20Z","type":"recording"}"#
            ), "\(body)")
        #expect(
            body.contains(
                #"{"state":"firing","name":"Down","query":"up == 0","duration":300,"keepFiringFor":0,"labels":{},"annotations":{"summary":"{{ $labels.instance }} down"},"alerts":[{"labels":{"alertname":"Down","instance":"a"},"annotations":{"summary":"a down"},"state":"firing","activeAt":"2023-11-14T22:13:20.5Z","value":"0e+00"}],"health":"err","lastError":"HTTP 503: busy","evaluationTime":0,"lastEvaluation":"0001-01-01T00:00:00Z","type":"alerting"}"#
            ), "\(body)")
        #expect(
            body.hasSuffix(#""interval":60,"limit":0,"evaluationTime":0.5,"lastEvaluation":"2023-11-14T22:14:20Z"}]}}"#)
        )
    }

    @Test func filters() {
        #expect(!RulesAPI.rules(Self.groups, filter: .init(type: "alert")).contains("job:up:sum"))
        #expect(!RulesAPI.rules(Self.groups, filter: .init(type: "record")).contains("\"Down\""))
        #expect(
            RulesAPI.rules(Self.groups, filter: .init(groups: ["other"]))
                == #"{"status":"success","data":{"groups":[]}}"#)
        #expect(
            RulesAPI.rules(Self.groups, filter: .init(ruleNames: ["nope"]))
                == #"{"status":"success","data":{"groups":[]}}"#)
        #expect(!RulesAPI.rules(Self.groups, filter: .init(excludeAlerts: true)).contains("\"alerts\""))
        #expect(RulesAPI.rules(Self.groups, filter: .init(files: ["/etc/rules.yml"])).contains("\"Down\""))
    }

    @Test func alertsListsPendingAndFiringOnly() {
        let body = RulesAPI.alerts(Self.groups)
        #expect(body.contains(#""instance":"a""#) && !body.contains(#""instance":"b""#))
    }

    @Test(arguments: [
        (1.0, "1e+00"), (0.0, "0e+00"), (-2.5, "-2.5e+00"), (1234.5, "1.2345e+03"), (0.00012, "1.2e-04"),
        (1e21, "1e+21"), (123456789.0, "1.23456789e+08"), (Double.nan, "NaN"), (-Double.infinity, "-Inf"),
        (Double.leastNonzeroMagnitude, "5e-324"),
    ])
    func valuesAsGoFormatsThem(value: Double, text: String) {
        #expect(goFormatE(value) == text)
    }
}
