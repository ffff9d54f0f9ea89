import Yams

/// `alerting:` (Prometheus `AlertingConfig`): `alert_relabel_configs` and the
/// `alertmanagers` to send alerts to.
enum AlertingDecoder {
    static let keys = ["alert_relabel_configs", "alertmanagers"]
    static let managerKeys =
        [
            "scheme", "path_prefix", "timeout", "api_version", "static_configs", "file_sd_configs", "http_sd_configs",
            "dns_sd_configs", "kubernetes_sd_configs", "relabel_configs", "alert_relabel_configs",
        ] + HTTPClientDecoder.keys
    static let managerUnsupported: [String: String] = {
        var table = HTTPClientDecoder.unsupported
        for key in ["sigv4"] {
            table[key] = "promsls does not support \(key) authentication (the Alertmanager would refuse every request)"
        }
        return table
    }()

    static func decode(_ fields: Fields) throws(ConfigError) -> AlertingConfig {
        var alerting = AlertingConfig()
        alerting.alertRelabelConfigs = try RelabelDecoder.decodeList(fields, "alert_relabel_configs")
        for item in try fields.sequence("alertmanagers") ?? [] {
            guard !item.node.isNull else {
                throw fields.context.error(item.node, item.path, "empty or null alertmanager config")
            }
            let manager = try Fields(
                item.node, path: item.path, context: fields.context, known: managerKeys,
                unsupported: managerUnsupported, discoveries: true)
            alerting.alertmanagers.append(try decodeManager(manager))
        }
        return alerting
    }

    private static func decodeManager(_ fields: Fields) throws(ConfigError) -> AlertmanagerConfig {
        var manager = AlertmanagerConfig()
        if let scheme = try fields.string("scheme") {
            guard scheme == "http" || scheme == "https" else {
                throw fields.error("scheme", "\(quoted(scheme)) is not a valid scheme (use http or https)")
            }
            manager.scheme = scheme
        }
        if let prefix = try fields.string("path_prefix"), !prefix.isEmpty { manager.pathPrefix = prefix }
        if let timeout = try fields.duration("timeout"), timeout > .zero { manager.timeout = timeout }
        if let version = try fields.string("api_version"), !version.isEmpty {
            switch version {
            case "v2": break
            case "v1":
                // Prometheus 2 spoke v1 too; Alertmanager 0.27 removed it and Prometheus 3 refuses it.
                if let node = fields.value("api_version") {
                    fields.context.warn(
                        node, fields.keyPath("api_version"),
                        "Alertmanager's v1 API was removed in Alertmanager 0.27; promsls sends alerts with v2")
                }
            default:
                throw fields.error(
                    "api_version", "expected Alertmanager api version to be one of [v2] but got \(version)")
            }
        }
        manager.httpClient = try HTTPClientDecoder.decode(fields)
        manager.staticConfigs = try ScrapeDecoder.staticConfigs(fields)
        manager.fileSDConfigs = try DiscoveryDecoder.fileSD(fields)
        manager.httpSDConfigs = try DiscoveryDecoder.httpSD(fields)
        manager.dnsSDConfigs = try DiscoveryDecoder.dnsSD(fields)
        manager.kubernetesSDConfigs = try KubernetesSDDecoder.decode(fields)
        manager.relabelConfigs = try RelabelDecoder.decodeList(fields, "relabel_configs")
        manager.alertRelabelConfigs = try RelabelDecoder.decodeList(fields, "alert_relabel_configs")
        return manager
    }
}
