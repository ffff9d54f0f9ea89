import AgentConfig
import Logging
import PromModel
import Relabel

/// One `alerting.alertmanagers` entry as the notifier runs it (Prometheus `alertmanagerSet`):
/// its settings, compiled rules, HTTP client, and the Alertmanagers currently known.
struct AlertmanagerSet: Sendable {
    /// `config-N`, N being the entry's index: its discovery job name.
    let name: String
    let config: AlertmanagerConfig
    /// `relabel_configs`, applied to discovered Alertmanagers.
    let relabel: RelabelRules?
    /// `alert_relabel_configs` of this set, applied to alerts sent to it.
    let alertRelabel: RelabelRules?
    /// `basic_auth`, `authorization`, `oauth2`, TLS, proxy and headers of the set.
    let client: LazyHTTPClient
    /// The pseudo scrape job its discovery runs as (only the SD configs matter).
    let discoveryJob: ScrapeConfig
    /// From `static_configs`: `__address__` and the group's labels.
    let staticLabelSets: [Labels]
    var active: [Alertmanager] = []
    var dropped: [Alertmanager] = []

    /// Compiles the set's rules and checks its HTTP client settings.
    /// - Throws: `NotifierConfigError` for a relabel rule that does not compile or a TLS file
    ///   that cannot be loaded.
    init(index: Int, config: AlertmanagerConfig) throws(NotifierConfigError) {
        name = AlertmanagerDiscovery.setName(index)
        self.config = config
        let keyPath = "alerting.alertmanagers[\(index)]"
        relabel = try RuleCompiler.compile(config.relabelConfigs, keyPath: keyPath + ".relabel_configs")
        alertRelabel = try RuleCompiler.compile(
            config.alertRelabelConfigs, keyPath: keyPath + ".alert_relabel_configs")
        do {
            client = try LazyHTTPClient(config: config.httpClient)
        } catch {
            throw NotifierConfigError(location: "", keyPath: keyPath + ".tls_config", message: "\(error)")
        }
        discoveryJob = AlertmanagerDiscovery.job(index: index, config)
        staticLabelSets = AlertmanagerResolution.staticLabelSets(config.staticConfigs)
    }

    /// Recomputes the Alertmanagers from the static and the discovered label sets.
    mutating func resolve(discovered: [Labels], logger: Logger) {
        let r = AlertmanagerResolution(
            discovered: staticLabelSets + discovered, scheme: config.scheme, pathPrefix: config.pathPrefix,
            relabel: relabel)
        for (labels, reason) in r.invalid {
            logger.error(
                "cannot use discovered Alertmanager",
                metadata: ["config": "\(name)", "labels": "\(labels)", "err": "\(reason)"])
        }
        active = r.active
        dropped = r.dropped
    }
}
