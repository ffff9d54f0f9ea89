import PromModel

/// `rule_query:` (a promsls section): the Prometheus-compatible query API that evaluates the
/// rules of `rule_files`. Used when there is no `sls:` section; documented in
/// docs/differences.md.
public struct RuleQueryConfig: Sendable, Equatable {
    /// The API root, e.g. `http://prometheus:9090` or a Metricstore's
    /// `https://{project}.{endpoint}/prometheus/{project}/{metricstore}`; instant queries go
    /// to `{url}/api/v1/query`. A URL written with `/api/v1/query` at its end is accepted as is.
    public var url: String
    /// Per-query timeout (also sent as the `timeout` parameter). Default 30s.
    public var timeout: Duration = .seconds(30)
    /// Extra request headers, as written.
    public var headers: [String: String] = [:]
    public var httpClient: HTTPClientConfig = HTTPClientConfig()

    public init(url: String) { self.url = url }
}

/// `alerting:` — where alerts are sent and how they are relabeled first.
public struct AlertingConfig: Sendable, Equatable {
    /// Applied to every alert before it is sent to any Alertmanager.
    public var alertRelabelConfigs: [RelabelRuleConfig] = []
    public var alertmanagers: [AlertmanagerConfig] = []

    public init() {}
}

/// One `alerting.alertmanagers` entry (Prometheus `AlertmanagerConfig`): how to find a set of
/// Alertmanagers and how to talk to them. Alerts are POSTed to
/// `{scheme}://{__address__}{path_prefix}api/v2/alerts`.
public struct AlertmanagerConfig: Sendable, Equatable {
    public var scheme: String = "http"
    /// Prefix of the API path, "/" by default.
    public var pathPrefix: String = "/"
    /// Per-request timeout. Default 10s.
    public var timeout: Duration = .seconds(10)
    /// Only "v2" is spoken (Alertmanager removed v1 in 0.27).
    public var apiVersion: String = "v2"
    public var httpClient: HTTPClientConfig = HTTPClientConfig()
    public var staticConfigs: [StaticConfig] = []
    public var fileSDConfigs: [FileSDConfig] = []
    public var httpSDConfigs: [HTTPSDConfig] = []
    public var dnsSDConfigs: [DNSSDConfig] = []
    public var kubernetesSDConfigs: [KubernetesSDConfig] = []
    /// Applied to discovered Alertmanagers (`__address__`, `__scheme__`, `__alerts_path__`).
    public var relabelConfigs: [RelabelRuleConfig] = []
    /// Applied to alerts sent to this set only, after the global `alert_relabel_configs`.
    public var alertRelabelConfigs: [RelabelRuleConfig] = []

    public init() {}
}
