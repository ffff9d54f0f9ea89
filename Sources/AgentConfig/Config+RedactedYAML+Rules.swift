// The redacted YAML of the discoveries (shared by jobs and Alertmanager sets), `alerting`
// and `rule_query`.

/// The service discoveries of a job or an Alertmanager set.
func discoveryYAMLPairs(
    staticConfigs: [StaticConfig], fileSDConfigs: [FileSDConfig], httpSDConfigs: [HTTPSDConfig],
    dnsSDConfigs: [DNSSDConfig], kubernetesSDConfigs: [KubernetesSDConfig]
) -> [(String, YAMLValue)] {
    var pairs: [(String, YAMLValue)] = []
    if !staticConfigs.isEmpty {
        pairs.append(
            (
                "static_configs",
                .list(
                    staticConfigs.map { group in
                        var entry: [(String, YAMLValue)] = [("targets", .strings(group.targets))]
                        if !group.labels.isEmpty { entry.append(("labels", .labels(group.labels))) }
                        return .map(entry)
                    })
            ))
    }
    if !fileSDConfigs.isEmpty {
        pairs.append(
            (
                "file_sd_configs",
                .list(
                    fileSDConfigs.map {
                        .map([("files", .strings($0.files)), ("refresh_interval", .duration($0.refreshInterval))])
                    })
            ))
    }
    if !httpSDConfigs.isEmpty {
        pairs.append(
            (
                "http_sd_configs",
                .list(
                    httpSDConfigs.map {
                        .map(
                            [("url", .string($0.url)), ("refresh_interval", .duration($0.refreshInterval))]
                                + $0.httpClient.yamlPairs)
                    })
            ))
    }
    if !dnsSDConfigs.isEmpty {
        pairs.append(
            (
                "dns_sd_configs",
                .list(
                    dnsSDConfigs.map { dns in
                        var entry: [(String, YAMLValue)] = [
                            ("names", .strings(dns.names)), ("type", .string(dns.type)),
                        ]
                        if dns.port != 0 { entry.append(("port", .raw("\(dns.port)"))) }
                        entry.append(("refresh_interval", .duration(dns.refreshInterval)))
                        return .map(entry)
                    })
            ))
    }
    if !kubernetesSDConfigs.isEmpty {
        pairs.append(("kubernetes_sd_configs", .list(kubernetesSDConfigs.map(\.yamlValue))))
    }
    return pairs
}

extension AlertingConfig {
    var yamlValue: YAMLValue {
        var pairs: [(String, YAMLValue)] = []
        if !alertRelabelConfigs.isEmpty {
            pairs.append(("alert_relabel_configs", .list(alertRelabelConfigs.map(\.yamlValue))))
        }
        pairs.append(("alertmanagers", .list(alertmanagers.map(\.yamlValue))))
        return .map(pairs)
    }
}

extension AlertmanagerConfig {
    var yamlValue: YAMLValue {
        var pairs: [(String, YAMLValue)] = [
            ("scheme", .string(scheme)), ("path_prefix", .string(pathPrefix)), ("timeout", .duration(timeout)),
            ("api_version", .string(apiVersion)),
        ]
        pairs += httpClient.yamlPairs
        pairs += discoveryYAMLPairs(
            staticConfigs: staticConfigs, fileSDConfigs: fileSDConfigs, httpSDConfigs: httpSDConfigs,
            dnsSDConfigs: dnsSDConfigs, kubernetesSDConfigs: kubernetesSDConfigs)
        if !relabelConfigs.isEmpty { pairs.append(("relabel_configs", .list(relabelConfigs.map(\.yamlValue)))) }
        if !alertRelabelConfigs.isEmpty {
            pairs.append(("alert_relabel_configs", .list(alertRelabelConfigs.map(\.yamlValue))))
        }
        return .map(pairs)
    }
}

extension RuleQueryConfig {
    var yamlValue: YAMLValue {
        var pairs: [(String, YAMLValue)] = [("url", .string(url)), ("timeout", .duration(timeout))]
        if !headers.isEmpty {
            // Header values may carry credentials: names only.
            pairs.append(("headers", .map(headers.keys.sorted().map { ($0, .raw(quoted("<secret>"))) })))
        }
        return .map(pairs + httpClient.yamlPairs)
    }
}
