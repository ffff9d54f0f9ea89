import PromModel

extension Config {
    /// The effective configuration (defaults filled in, globals inherited, `sls:` expanded
    /// into `remote_write`) as YAML, with every secret shown as `<secret>`. Served by
    /// `/api/v1/status/config`; it loads again with `ConfigLoader` (secrets then being the
    /// literal `<secret>`).
    public func redactedYAML() -> String {
        var root: [(String, YAMLValue)] = [("global", global.yamlValue)]
        if !alerting.alertmanagers.isEmpty || !alerting.alertRelabelConfigs.isEmpty {
            root.append(("alerting", alerting.yamlValue))
        }
        if !ruleFiles.isEmpty { root.append(("rule_files", .strings(ruleFiles))) }
        if let ruleQuery { root.append(("rule_query", ruleQuery.yamlValue)) }
        if !scrapeConfigs.isEmpty { root.append(("scrape_configs", .list(scrapeConfigs.map(\.yamlValue)))) }
        if !remoteWrite.isEmpty { root.append(("remote_write", .list(remoteWrite.map(\.yamlValue)))) }
        return YAMLValue.map(root).render(indent: 0).joined(separator: "\n") + "\n"
    }
}

/// A tiny YAML tree: block mappings and lists, double-quoted strings.
enum YAMLValue {
    case raw(String)
    case map([(String, YAMLValue)])
    case list([YAMLValue])

    static func string(_ text: String) -> YAMLValue { .raw(quoted(text)) }
    static func duration(_ duration: Duration) -> YAMLValue { .raw(formatPrometheusDuration(duration)) }
    static func secret(_ secret: Secret) -> YAMLValue { .raw(quoted(secret.description)) }
    static func strings(_ list: [String]) -> YAMLValue { .list(list.map(YAMLValue.string)) }
    static func labels(_ labels: Labels) -> YAMLValue { .map(labels.map { ($0.name, .string($0.value)) }) }

    private var inline: String? {
        switch self {
        case .raw(let text): return text
        case .map(let pairs): return pairs.isEmpty ? "{}" : nil
        case .list(let items): return items.isEmpty ? "[]" : nil
        }
    }

    func render(indent: Int) -> [String] {
        let pad = String(repeating: " ", count: indent)
        switch self {
        case .raw(let text): return [pad + text]
        case .map(let pairs):
            var lines: [String] = []
            for (key, value) in pairs {
                if let inline = value.inline {
                    lines.append("\(pad)\(quotedKey(key)): \(inline)")
                } else {
                    lines.append("\(pad)\(quotedKey(key)):")
                    lines += value.render(indent: indent + 2)
                }
            }
            return lines.isEmpty ? [pad + "{}"] : lines
        case .list(let items):
            var lines: [String] = []
            for item in items {
                if let inline = item.inline {
                    lines.append("\(pad)- \(inline)")
                } else {
                    var itemLines = item.render(indent: indent + 2)
                    itemLines[0] = pad + "- " + itemLines[0].dropFirst(indent + 2)
                    lines += itemLines
                }
            }
            return lines.isEmpty ? [pad + "[]"] : lines
        }
    }

    private func quotedKey(_ key: String) -> String {
        key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") } && !key.isEmpty
            ? key : quoted(key)
    }
}

extension GlobalConfig {
    var yamlValue: YAMLValue {
        var pairs: [(String, YAMLValue)] = [
            ("scrape_interval", .duration(scrapeInterval)), ("scrape_timeout", .duration(scrapeTimeout)),
            ("evaluation_interval", .duration(evaluationInterval)),
        ]
        if let ruleQueryOffset { pairs.append(("rule_query_offset", .duration(ruleQueryOffset))) }
        if !externalLabels.isEmpty { pairs.append(("external_labels", .labels(externalLabels))) }
        pairs.append(("scrape_protocols", .strings(scrapeProtocols)))
        pairs += limitPairs(
            sampleLimit: sampleLimit, labelLimit: labelLimit, nameLength: labelNameLengthLimit,
            valueLength: labelValueLengthLimit, targetLimit: targetLimit, bodySize: bodySizeLimitBytes)
        if keepDroppedTargets > 0 { pairs.append(("keep_dropped_targets", .raw("\(keepDroppedTargets)"))) }
        if let extraScrapeMetrics { pairs.append(("extra_scrape_metrics", .raw("\(extraScrapeMetrics)"))) }
        if let scrapeFailureLogFile { pairs.append(("scrape_failure_log_file", .string(scrapeFailureLogFile))) }
        if metricNameValidationScheme == "legacy" { pairs.append(("metric_name_validation_scheme", .string("legacy"))) }
        return .map(pairs)
    }
}

private func limitPairs(
    sampleLimit: Int, labelLimit: Int, nameLength: Int, valueLength: Int, targetLimit: Int, bodySize: Int
) -> [(String, YAMLValue)] {
    var pairs: [(String, YAMLValue)] = []
    if sampleLimit > 0 { pairs.append(("sample_limit", .raw("\(sampleLimit)"))) }
    if labelLimit > 0 { pairs.append(("label_limit", .raw("\(labelLimit)"))) }
    if nameLength > 0 { pairs.append(("label_name_length_limit", .raw("\(nameLength)"))) }
    if valueLength > 0 { pairs.append(("label_value_length_limit", .raw("\(valueLength)"))) }
    if targetLimit > 0 { pairs.append(("target_limit", .raw("\(targetLimit)"))) }
    if bodySize > 0 { pairs.append(("body_size_limit", .raw("\(bodySize)B"))) }
    return pairs
}

extension ScrapeConfig {
    var yamlValue: YAMLValue {
        var pairs: [(String, YAMLValue)] = [
            ("job_name", .string(jobName)), ("scrape_interval", .duration(scrapeInterval)),
            ("scrape_timeout", .duration(scrapeTimeout)), ("metrics_path", .string(metricsPath)),
            ("scheme", .string(scheme)), ("honor_labels", .raw("\(honorLabels)")),
            ("honor_timestamps", .raw("\(honorTimestamps)")),
            ("track_timestamps_staleness", .raw("\(trackTimestampsStaleness)")),
            ("enable_compression", .raw("\(enableCompression)")), ("scrape_protocols", .strings(scrapeProtocols)),
        ]
        if let fallbackScrapeProtocol { pairs.append(("fallback_scrape_protocol", .string(fallbackScrapeProtocol))) }
        if let extraScrapeMetrics { pairs.append(("extra_scrape_metrics", .raw("\(extraScrapeMetrics)"))) }
        if let scrapeFailureLogFile { pairs.append(("scrape_failure_log_file", .string(scrapeFailureLogFile))) }
        if !params.isEmpty {
            pairs.append(("params", .map(params.sorted { $0.key < $1.key }.map { ($0.key, .strings($0.value)) })))
        }
        pairs += httpClient.yamlPairs
        pairs += limitPairs(
            sampleLimit: sampleLimit, labelLimit: labelLimit, nameLength: labelNameLengthLimit,
            valueLength: labelValueLengthLimit, targetLimit: targetLimit, bodySize: bodySizeLimitBytes)
        if keepDroppedTargets > 0 { pairs.append(("keep_dropped_targets", .raw("\(keepDroppedTargets)"))) }
        pairs += discoveryYAMLPairs(
            staticConfigs: staticConfigs, fileSDConfigs: fileSDConfigs, httpSDConfigs: httpSDConfigs,
            dnsSDConfigs: dnsSDConfigs, kubernetesSDConfigs: kubernetesSDConfigs)
        if !relabelConfigs.isEmpty { pairs.append(("relabel_configs", .list(relabelConfigs.map(\.yamlValue)))) }
        if !metricRelabelConfigs.isEmpty {
            pairs.append(("metric_relabel_configs", .list(metricRelabelConfigs.map(\.yamlValue))))
        }
        return .map(pairs)
    }
}

extension HTTPClientConfig {
    var yamlPairs: [(String, YAMLValue)] {
        var pairs: [(String, YAMLValue)] = []
        if let basicAuth {
            var auth: [(String, YAMLValue)] = [("username", .string(basicAuth.username))]
            if let file = basicAuth.passwordFile {
                auth.append(("password_file", .string(file)))
            } else {
                auth.append(("password", .secret(basicAuth.password)))
            }
            pairs.append(("basic_auth", .map(auth)))
        }
        if let authorization {
            var auth: [(String, YAMLValue)] = [("type", .string(authorization.type))]
            if let file = authorization.credentialsFile {
                auth.append(("credentials_file", .string(file)))
            } else {
                auth.append(("credentials", .secret(authorization.credentials)))
            }
            pairs.append(("authorization", .map(auth)))
        }
        if let oauth2 {
            var o: [(String, YAMLValue)] = [("client_id", .string(oauth2.clientID))]
            if let file = oauth2.clientSecretFile {
                o.append(("client_secret_file", .string(file)))
            } else {
                o.append(("client_secret", .secret(oauth2.clientSecret)))
            }
            o.append(("token_url", .string(oauth2.tokenURL)))
            if !oauth2.scopes.isEmpty { o.append(("scopes", .strings(oauth2.scopes))) }
            if !oauth2.endpointParams.isEmpty {
                o.append(
                    (
                        "endpoint_params",
                        .map(oauth2.endpointParams.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
                    ))
            }
            o.append(("tls_config", oauth2.tlsConfig.yamlValue))
            o += oauth2.proxy.yamlPairs
            pairs.append(("oauth2", .map(o)))
        }
        pairs.append(("tls_config", tlsConfig.yamlValue))
        pairs += proxy.yamlPairs
        if !httpHeaders.isEmpty {
            var headers: [(String, YAMLValue)] = []
            for (name, h) in httpHeaders.sorted(by: { $0.key < $1.key }) {
                var entry: [(String, YAMLValue)] = []
                if !h.values.isEmpty { entry.append(("values", .strings(h.values))) }
                if !h.secrets.isEmpty { entry.append(("secrets", .list(h.secrets.map(YAMLValue.secret)))) }
                if !h.files.isEmpty { entry.append(("files", .strings(h.files))) }
                headers.append((name, .map(entry)))
            }
            pairs.append(("http_headers", .map(headers)))
        }
        pairs.append(("follow_redirects", .raw("\(followRedirects)")))
        pairs.append(("enable_http2", .raw("\(enableHTTP2)")))
        return pairs
    }
}

extension TLSConfig {
    var yamlValue: YAMLValue {
        var tls: [(String, YAMLValue)] = []
        if let ca { tls.append(("ca", .string(ca))) }
        if let caFile { tls.append(("ca_file", .string(caFile))) }
        if let cert { tls.append(("cert", .string(cert))) }
        if let certFile { tls.append(("cert_file", .string(certFile))) }
        if let key { tls.append(("key", .secret(key))) }
        if let keyFile { tls.append(("key_file", .string(keyFile))) }
        if let serverName { tls.append(("server_name", .string(serverName))) }
        tls.append(("insecure_skip_verify", .raw("\(insecureSkipVerify)")))
        if let minVersion { tls.append(("min_version", .string(minVersion))) }
        if let maxVersion { tls.append(("max_version", .string(maxVersion))) }
        return .map(tls)
    }
}

extension ProxyConfig {
    var yamlPairs: [(String, YAMLValue)] {
        var pairs: [(String, YAMLValue)] = []
        if let proxyURL { pairs.append(("proxy_url", .string(proxyURL))) }
        if let noProxy { pairs.append(("no_proxy", .string(noProxy))) }
        if proxyFromEnvironment { pairs.append(("proxy_from_environment", .raw("true"))) }
        if !proxyConnectHeaders.isEmpty {
            pairs.append(
                (
                    "proxy_connect_header",
                    .map(
                        proxyConnectHeaders.sorted { $0.key < $1.key }.map {
                            ($0.key, .list($0.value.map(YAMLValue.secret)))
                        })
                ))
        }
        return pairs
    }
}

extension RelabelRuleConfig {
    var yamlValue: YAMLValue {
        var pairs: [(String, YAMLValue)] = []
        if !sourceLabels.isEmpty { pairs.append(("source_labels", .strings(sourceLabels))) }
        pairs += [("separator", .string(separator)), ("regex", .string(regex))]
        if modulus != 0 { pairs.append(("modulus", .raw("\(modulus)"))) }
        if !targetLabel.isEmpty { pairs.append(("target_label", .string(targetLabel))) }
        pairs += [("replacement", .string(replacement)), ("action", .string(action))]
        return .map(pairs)
    }
}

extension RemoteWriteConfig {
    var yamlValue: YAMLValue {
        var pairs: [(String, YAMLValue)] = [("url", .string(url))]
        if !name.isEmpty { pairs.append(("name", .string(name))) }
        pairs.append(("remote_timeout", .duration(remoteTimeout)))
        if !headers.isEmpty {
            // Header values may carry tokens: redact them too.
            pairs.append(("headers", .map(headers.keys.sorted().map { ($0, .secret(Secret(headers[$0] ?? ""))) })))
        }
        pairs += httpClient.yamlPairs
        let queue = queueConfig
        pairs.append(
            (
                "queue_config",
                .map([
                    ("capacity", .raw("\(queue.capacity)")), ("max_shards", .raw("\(queue.maxShards)")),
                    ("min_shards", .raw("\(queue.minShards)")),
                    ("max_samples_per_send", .raw("\(queue.maxSamplesPerSend)")),
                    ("batch_send_deadline", .duration(queue.batchSendDeadline)),
                    ("min_backoff", .duration(queue.minBackoff)),
                    ("max_backoff", .duration(queue.maxBackoff)),
                    ("retry_on_http_429", .raw("\(queue.retryOnHTTP429)")),
                    ("sample_age_limit", .duration(queue.sampleAgeLimit)),
                    ("max_bytes_per_send", .raw("\(queue.maxBytesPerSend)")),
                ])
            ))
        pairs.append(
            (
                "metadata_config",
                .map([
                    ("send", .raw("\(metadataConfig.send)")), ("send_interval", .duration(metadataConfig.sendInterval)),
                    ("max_samples_per_send", .raw("\(metadataConfig.maxSamplesPerSend)")),
                ])
            ))
        if !writeRelabelConfigs.isEmpty {
            pairs.append(("write_relabel_configs", .list(writeRelabelConfigs.map(\.yamlValue))))
        }
        pairs.append(("send_exemplars", .raw("\(sendExemplars)")))
        return .map(pairs)
    }
}

extension KubernetesSDConfig {
    var yamlValue: YAMLValue {
        var entry: [(String, YAMLValue)] = []
        if let apiServer { entry.append(("api_server", .string(apiServer))) }
        entry.append(("role", .string(role.rawValue)))
        if let kubeconfigFile { entry.append(("kubeconfig_file", .string(kubeconfigFile))) }
        if !namespaces.names.isEmpty || namespaces.ownNamespace {
            entry.append(
                (
                    "namespaces",
                    .map([
                        ("own_namespace", .raw("\(namespaces.ownNamespace)")), ("names", .strings(namespaces.names)),
                    ])
                ))
        }
        if !selectors.isEmpty {
            entry.append(
                (
                    "selectors",
                    .list(
                        selectors.map { s in
                            var m: [(String, YAMLValue)] = [("role", .string(s.role.rawValue))]
                            if let label = s.label { m.append(("label", .string(label))) }
                            if let field = s.field { m.append(("field", .string(field))) }
                            return .map(m)
                        })
                ))
        }
        if attachMetadata.node || attachMetadata.namespace {
            entry.append(
                (
                    "attach_metadata",
                    .map([
                        ("node", .raw("\(attachMetadata.node)")), ("namespace", .raw("\(attachMetadata.namespace)")),
                    ])
                ))
        }
        return .map(entry + httpClient.yamlPairs)
    }
}
