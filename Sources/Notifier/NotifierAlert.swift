import PromModel

/// An alert as the rule engine hands it to the notifier (Prometheus `notifier.Alert`).
public struct NotifierAlert: Sendable, Equatable {
    /// Identify the alert; must include `alertname`.
    public var labels: Labels
    /// Extra information that does not identify the alert (rendered templates).
    public var annotations: Labels
    /// When the alert started firing, in milliseconds since the epoch; 0 = unset (Alertmanager
    /// then takes the time it received the alert).
    public var startsAt: Int64
    /// When the alert ends (resolved, or the end of its validity), in milliseconds since the
    /// epoch; 0 = unset.
    public var endsAt: Int64
    /// A link back to the expression that produced the alert; empty = none.
    public var generatorURL: String

    public init(
        labels: Labels, annotations: Labels = Labels(), startsAt: Int64, endsAt: Int64 = 0, generatorURL: String = ""
    ) {
        self.labels = labels
        self.annotations = annotations
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.generatorURL = generatorURL
    }
}

/// The body of `POST /api/v2/alerts`: Alertmanager's `PostableAlerts`
/// (https://github.com/prometheus/alertmanager/blob/main/api/v2/openapi.yaml).
enum AlertPayload {
    /// `alerts` as a JSON array. Times are RFC 3339 in UTC with milliseconds, as Prometheus
    /// sends them (go-openapi's `strfmt.DateTime`); `startsAt`, `endsAt` and `generatorURL`
    /// are left out when unset.
    static func encode(_ alerts: [NotifierAlert]) -> [UInt8] {
        var out = "["
        for (i, a) in alerts.enumerated() {
            if i > 0 { out += "," }
            out += "{\"labels\":"
            object(a.labels, into: &out)
            out += ",\"annotations\":"
            object(a.annotations, into: &out)
            if a.startsAt != 0 { out += ",\"startsAt\":\"\(JSONText.rfc3339(ms: a.startsAt, trimFraction: false))\"" }
            if a.endsAt != 0 { out += ",\"endsAt\":\"\(JSONText.rfc3339(ms: a.endsAt, trimFraction: false))\"" }
            if !a.generatorURL.isEmpty { out += ",\"generatorURL\":" + JSONText.quoted(a.generatorURL) }
            out += "}"
        }
        out += "]"
        return Array(out.utf8)
    }

    private static func object(_ labels: Labels, into out: inout String) {
        out += "{"
        for (i, l) in labels.enumerated() {
            if i > 0 { out += "," }
            out += JSONText.quoted(l.name) + ":" + JSONText.quoted(l.value)
        }
        out += "}"
    }
}
