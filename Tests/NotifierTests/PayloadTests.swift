import PromModel
import Testing

@testable import Notifier

@Suite struct PayloadTests {
    private func json(_ alerts: [NotifierAlert]) -> String {
        String(decoding: AlertPayload.encode(alerts), as: UTF8.self)
    }

    @Test func encodesAsAlertmanagerPostableAlerts() {
        let a = NotifierAlert(
            labels: Labels(["alertname": "HighLatency", "severity": "page"]),
            annotations: Labels(["summary": "p99 \"high\"\nfor 5m"]), startsAt: 1_767_323_045_006,
            endsAt: 1_767_323_345_000, generatorURL: "http://promsls:9090/graph?g0.expr=up&g0.tab=1")
        #expect(
            json([a])
                == #"[{"labels":{"alertname":"HighLatency","severity":"page"},"annotations":{"summary":"p99 \"high\"\nfor 5m"},"startsAt":"2026-01-02T03:04:05.006Z","endsAt":"2026-01-02T03:09:05.000Z","generatorURL":"http://promsls:9090/graph?g0.expr=up&g0.tab=1"}]"#
        )
    }

    /// Times always carry three fraction digits (go-openapi's `strfmt.DateTime`), unset ones
    /// are left out.
    @Test(arguments: [
        (
            Int64(1_767_323_045_000), Int64(0), "",
            #"{"labels":{"alertname":"A"},"annotations":{},"startsAt":"2026-01-02T03:04:05.000Z"}"#
        ),
        (0, 0, "", #"{"labels":{"alertname":"A"},"annotations":{}}"#),
        (
            1, 999, "g",
            #"{"labels":{"alertname":"A"},"annotations":{},"startsAt":"1970-01-01T00:00:00.001Z","endsAt":"1970-01-01T00:00:00.999Z","generatorURL":"g"}"#
        ),
    ])
    func omitsUnsetFields(startsAt: Int64, endsAt: Int64, generatorURL: String, expected: String) {
        let a = NotifierAlert(
            labels: Labels(["alertname": "A"]), startsAt: startsAt, endsAt: endsAt, generatorURL: generatorURL)
        #expect(json([a]) == "[\(expected)]")
    }

    @Test func encodesSeveralAndNone() {
        #expect(json([]) == "[]")
        let two = json(makeAlerts(2))
        #expect(two.hasPrefix(#"[{"labels":{"alertname":"Test","i":"0"}"#))
        #expect(two.contains(#"},{"labels":{"alertname":"Test","i":"1"}"#))
    }

    @Test func escapesControlCharactersAndKeepsUnicode() {
        let a = NotifierAlert(
            labels: Labels(["alertname": "Ünïcode ✓"]), annotations: Labels(["d": "tab\there\u{1}"]), startsAt: 0)
        #expect(json([a]) == #"[{"labels":{"alertname":"Ünïcode ✓"},"annotations":{"d":"tab\there\u0001"}}]"#)
    }
}
