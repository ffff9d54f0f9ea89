import PromModel

/// Settings every rule group shares: Prometheus's `--rules.*` flags, the external labels and
/// URL, and the default query offset.
public struct RuleOptions: Sendable {
    /// promsls's `rule_query_offset` when the config sets none: rules query this far back of
    /// the evaluation time, so that what was scraped just before has been sent through the WAL
    /// and remote write and ingested by the query API (docs/differences.md, "Rules").
    public static let defaultQueryOffset: Duration = .seconds(15)

    /// `global.rule_query_offset`, else `defaultQueryOffset`; a group's `query_offset` wins.
    public var queryOffset: Duration = RuleOptions.defaultQueryOffset
    /// `global.evaluation_interval`; a group's `interval` wins.
    public var evaluationInterval: Duration = .seconds(60)
    /// `--rules.alert.resend-delay`: how often a still-firing alert is sent again.
    public var resendDelay: Duration = .seconds(60)
    /// `--rules.alert.for-outage-tolerance`: how long the agent may have been down for `for`
    /// state to be restored.
    public var outageTolerance: Duration = .seconds(3600)
    /// `--rules.alert.for-grace-period`: the least time left before an alert with a restored
    /// `for` state fires.
    public var forGracePeriod: Duration = .seconds(600)
    /// `global.external_labels`: `$externalLabels` in templates.
    public var externalLabels: Labels = Labels()
    /// `--web.external-url`: `$externalURL` and the alerts' generator URL.
    public var externalURL: String = ""

    public init() {}
}

/// An alert as handed to the notifier (Prometheus `notifier.Alert`). Times in ms since the
/// epoch; `endsAtMs` 0: not set.
public struct OutgoingAlert: Sendable, Equatable {
    public var labels: Labels
    public var annotations: Labels
    public var startsAtMs: Int64
    public var endsAtMs: Int64
    public var generatorURL: String
}

/// How a rule is doing (Prometheus `rules.RuleHealth`).
public enum RuleHealth: String, Sendable {
    case unknown, ok, err
}
