import Foundation
import PromModel
import Testing

@testable import AgentConfig

struct GoodConfigTests {
    @Test func everyGoodFixtureLoads() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: fixture("good")).filter { $0.hasSuffix(".yml") }
        #expect(files.count >= 5)
        for file in files {
            #expect(throws: Never.self, "\(file)") {
                try ConfigLoader.load(file: fixture("good/" + file), environment: ["TEST_SLS_ACCESS_KEY_ID": "id"])
            }
        }
    }

    /// Every shipped config under `configs/`, `examples/` and `packaging/` loads, so none goes stale.
    @Test func shippedConfigsLoad() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let environment = ["SLS_ACCESS_KEY_ID": "id", "SLS_ACCESS_KEY_SECRET": "secret"]
        for directory in ["configs", "examples", "packaging"] {
            let path = root.appendingPathComponent(directory).path
            guard let enumerator = FileManager.default.enumerator(atPath: path) else { continue }
            for case let file as String in enumerator where file.hasSuffix("yml") || file.hasSuffix("yaml") {
                // Kubernetes manifests in examples/ are not promsls configs.
                let text = (try? String(contentsOfFile: path + "/" + file, encoding: .utf8)) ?? ""
                guard !text.contains("apiVersion:") else { continue }
                #expect(throws: Never.self, "\(directory)/\(file)") {
                    try ConfigLoader.load(file: path + "/" + file, environment: environment)
                }
            }
        }
    }

    @Test func defaults() throws {
        let config = try ConfigLoader.load(file: fixture("good/defaults.yml"), environment: [:])
        #expect(config.global.scrapeInterval == .seconds(60))
        #expect(config.global.scrapeTimeout == .seconds(10))
        #expect(config.global.externalLabels.isEmpty)
        #expect(config.warnings.isEmpty)

        let job = config.scrapeConfigs[0]
        #expect(job.jobName == "minimal")
        #expect(job.scrapeInterval == .seconds(60))
        #expect(job.scrapeTimeout == .seconds(10))
        #expect(job.metricsPath == "/metrics")
        #expect(job.scheme == "http")
        #expect(job.honorLabels == false)
        #expect(job.honorTimestamps == true)
        #expect(job.enableCompression == true)
        #expect(job.trackTimestampsStaleness == false)
        #expect(job.scrapeProtocols == GlobalConfig.defaultScrapeProtocols)
        #expect(job.fallbackScrapeProtocol == nil)
        #expect(job.sampleLimit == 0 && job.bodySizeLimitBytes == 0)
        #expect(job.staticConfigs == [StaticConfig(targets: ["localhost:9100"])])

        // Only the interval is set and it is below the global timeout: timeout = interval.
        let short = config.scrapeConfigs[1]
        #expect(short.scrapeInterval == .seconds(5))
        #expect(short.scrapeTimeout == .seconds(5))

        let remote = config.remoteWrite[0]
        #expect(remote.url == "http://127.0.0.1:9201/api/v1/write")
        #expect(remote.name == "")
        #expect(remote.remoteTimeout == .seconds(30))
        let queue = remote.queueConfig
        #expect(queue.capacity == 10000)
        #expect(queue.maxShards == 50)
        #expect(queue.minShards == 1)
        #expect(queue.maxSamplesPerSend == 2000)
        #expect(queue.batchSendDeadline == .seconds(5))
        #expect(queue.minBackoff == .milliseconds(30))
        #expect(queue.maxBackoff == .seconds(5))
        #expect(queue.sampleAgeLimit == .zero)
        #expect(queue.maxBytesPerSend == 8 << 20)
        #expect(remote.metadataConfig == MetadataConfig())
        #expect(remote.sendExemplars == false)
        // Prometheus's DefaultRemoteWriteHTTPClientConfig: HTTP/2 off.
        var client = HTTPClientConfig()
        client.enableHTTP2 = false
        #expect(remote.httpClient == client)
    }

    @Test func realisticPrometheusYML() throws {
        let config = try ConfigLoader.load(file: fixture("good/prometheus.yml"), environment: [:])
        #expect(config.global.scrapeInterval == .seconds(15))
        #expect(config.global.scrapeTimeout == .seconds(10))
        #expect(config.global.evaluationInterval == .seconds(15))
        #expect(config.global.externalLabels == Labels(["cluster": "prod-hz", "replica": "a"]))
        #expect(config.scrapeConfigs.map(\.jobName) == ["prometheus", "node", "blackbox", "secure-app", "discovered"])

        let prometheus = config.scrapeConfigs[0]
        #expect(prometheus.scrapeInterval == .seconds(15))
        #expect(prometheus.scrapeTimeout == .seconds(10))

        let node = config.scrapeConfigs[1]
        #expect(node.scrapeInterval == .seconds(30))
        #expect(node.scrapeTimeout == .seconds(10))
        #expect(node.staticConfigs.count == 2)
        #expect(node.staticConfigs[0].targets == ["10.0.0.1:9100", "10.0.0.2:9100"])
        #expect(node.staticConfigs[0].labels == Labels(["env": "prod", "team": "infra"]))
        #expect(node.relabelConfigs.count == 3)
        let first = node.relabelConfigs[0]
        #expect(first.sourceLabels == ["__address__"])
        #expect(first.regex == #"([^:]+):\d+"#)
        #expect(first.targetLabel == "host")
        #expect(first.replacement == "${1}")
        #expect(first.action == "replace")
        #expect(first.separator == ";")
        #expect(first.location == fixture("good/prometheus.yml") + ":24")
        #expect(node.relabelConfigs[1].action == "hashmod" && node.relabelConfigs[1].modulus == 4)
        #expect(node.relabelConfigs[2].action == "keep" && node.relabelConfigs[2].regex == "0")
        #expect(node.metricRelabelConfigs.map(\.action) == ["drop", "labeldrop"])
        #expect(node.metricRelabelConfigs[1].regex == "pod_template_hash")

        let blackbox = config.scrapeConfigs[2]
        #expect(blackbox.metricsPath == "/probe")
        #expect(blackbox.scrapeTimeout == .seconds(5))
        #expect(blackbox.params == ["module": ["http_2xx"]])
        #expect(blackbox.staticConfigs[0].targets == ["https://example.com"])
        #expect(
            blackbox.relabelConfigs[1].regex == "(.*)" && blackbox.relabelConfigs[1].replacement == "127.0.0.1:9115")

        let secure = config.scrapeConfigs[3]
        #expect(secure.scheme == "https")
        #expect(secure.scrapeInterval == .seconds(5))
        #expect(secure.scrapeTimeout == .seconds(5))
        #expect(secure.honorLabels == true)
        #expect(secure.honorTimestamps == false)
        #expect(secure.sampleLimit == 10000)
        #expect(secure.bodySizeLimitBytes == 10 << 20)
        #expect(secure.httpClient.basicAuth?.username == "scraper")
        #expect(secure.httpClient.basicAuth?.password.value == "s3cr3t")
        #expect(secure.httpClient.basicAuth?.passwordFile == fixture("good/../secrets/password.txt"))
        #expect(secure.httpClient.tlsConfig.caFile == "/etc/ssl/ca.pem")
        #expect(secure.httpClient.tlsConfig.serverName == "app.internal")
        #expect(secure.httpClient.tlsConfig.insecureSkipVerify == false)
        #expect(
            secure.fileSDConfigs == [FileSDConfig(files: ["/etc/promsls/targets/*.json", fixture("good/extra.yml")])])
        #expect(secure.fileSDConfigs[0].refreshInterval == .seconds(300))
        #expect(secure.enableCompression == false)
        #expect(secure.scrapeProtocols == ["PrometheusText0.0.4"])
        #expect(secure.fallbackScrapeProtocol == "PrometheusText0.0.4")

        let discovered = config.scrapeConfigs[4]
        #expect(discovered.httpClient.authorization?.type == "Bearer")
        #expect(discovered.httpClient.authorization?.credentials.value == "bearer-token-value")
        #expect(discovered.httpSDConfigs.count == 1)
        #expect(discovered.httpSDConfigs[0].url == "http://sd.internal:8080/targets")
        #expect(discovered.httpSDConfigs[0].refreshInterval == .seconds(120))
        #expect(
            discovered.dnsSDConfigs == [
                DNSSDConfig(names: ["_metrics._tcp.example.com"]),
                DNSSDConfig(names: ["db.example.com"], type: "A", port: 9187),
            ])
        #expect(discovered.dnsSDConfigs[0].refreshInterval == .seconds(30))

        #expect(config.remoteWrite.count == 1)
        let remote = config.remoteWrite[0]
        #expect(remote.name == "sls")
        #expect(
            remote.httpClient.basicAuth
                == BasicAuth(username: "LTAI5tExampleKeyID", password: Secret("ExampleKeySecret")))
        let queue = remote.queueConfig
        #expect(queue.batchSendDeadline == .seconds(20))
        #expect(queue.capacity == 20480)
        #expect(queue.maxBackoff == .seconds(5))
        #expect(queue.maxSamplesPerSend == 2048)
        #expect(queue.minBackoff == .milliseconds(100))
        #expect(queue.minShards == 100)
        #expect(queue.maxShards == 100, "max_shards rises to the documented min_shards")
        #expect(remote.writeRelabelConfigs.map(\.action) == ["keep"])
    }

    @Test func limitsInheritedFromGlobal() throws {
        let config = try ConfigLoader.load(file: fixture("good/limits-inherited.yml"), environment: [:])
        let inherits = config.scrapeConfigs[0]
        let overrides = config.scrapeConfigs[1]
        #expect(inherits.scrapeInterval == .seconds(20) && inherits.scrapeTimeout == .seconds(15))
        #expect(inherits.sampleLimit == 5000)
        #expect(inherits.labelLimit == 30)
        #expect(inherits.labelNameLengthLimit == 200)
        #expect(inherits.labelValueLengthLimit == 2048)
        #expect(inherits.targetLimit == 100)
        #expect(inherits.bodySizeLimitBytes == 512 << 10)
        #expect(inherits.scrapeProtocols == ["OpenMetricsText1.0.0", "PrometheusText0.0.4"])
        #expect(overrides.sampleLimit == 100)
        #expect(overrides.labelLimit == 30)
        #expect(overrides.bodySizeLimitBytes == 1 << 30)
        // The interval is below the global timeout: Prometheus lowers the timeout to it.
        #expect(overrides.scrapeInterval == .seconds(10) && overrides.scrapeTimeout == .seconds(10))
    }

    @Test func emptyConfigIsDefaults() throws {
        let config = try ConfigLoader.load(yaml: "", environment: [:])
        #expect(config == Config())
    }

    @Test func unsupportedKeysRefusedOrIgnoredWithWarnings() throws {
        let path = fixture("unsupported/prometheus-full.yml")
        #expect(throws: ConfigError.self) { try ConfigLoader.load(file: path, environment: [:]) }
        let config = try ConfigLoader.load(file: path, environment: [:], ignoreUnsupported: true)
        #expect(config.scrapeConfigs.map(\.jobName) == ["pods", "node"])
        #expect(config.warnings.count == 1)
        #expect(config.warnings[0].contains("scrape_configs[0].consul_sd_configs"))
        // Rules and alerting are evaluated and sent (issue 14), not skipped.
        #expect(config.ruleFiles == [(path as NSString).deletingLastPathComponent + "/rules/*.yml"])
        #expect(config.alerting.alertmanagers.map { $0.staticConfigs.map(\.targets) } == [[["alertmanager:9093"]]])
    }

    @Test func dollarValuesAreNeverExpanded() throws {
        let config = try ConfigLoader.load(
            yaml: """
                global:
                  external_labels:
                    region: ${REGION}
                scrape_configs:
                  - job_name: x
                    basic_auth:
                      username: ${USER}
                      password: $PASSWORD
                """, environment: ["REGION": "cn", "USER": "u", "PASSWORD": "p"])
        #expect(config.global.externalLabels["region"] == "${REGION}")
        #expect(
            config.scrapeConfigs[0].httpClient.basicAuth
                == BasicAuth(username: "${USER}", password: Secret("$PASSWORD")))
    }

    @Test func mergeKeysAndNumericStrings() throws {
        let config = try ConfigLoader.load(
            yaml: """
                scrape_configs:
                  - &base
                    job_name: a
                    scrape_interval: 30s
                    metric_relabel_configs:
                      - source_labels: [code]
                        regex: 200
                        action: keep
                  - <<: *base
                    job_name: b
                """, environment: [:])
        #expect(config.scrapeConfigs.map(\.jobName) == ["a", "b"])
        #expect(config.scrapeConfigs[1].scrapeInterval == .seconds(30))
        #expect(config.scrapeConfigs[0].metricRelabelConfigs[0].regex == "200")
    }

    @Test func inlineErrors() {
        #expect(
            loadError("global: {scrape_interval: 1m, scrape_timeot: 5s}")?.description
                == #"test.yml:1:31: global.scrape_timeot: unknown key "scrape_timeot"; did you mean "scrape_timeout"?"#)
        #expect(
            loadError("scrape_configs: [{job_name: a, scrape_interval: 1m30}]")?.message.contains(
                "not a valid duration") == true)
        #expect(
            loadError("remote_write: [{url: 'https://x/', queue_config: {capacity: -1}}]")?.message
                == "remote write queue capacity must be positive")
        #expect(loadError("remote_write: [{url: 'https://x/', queue_config: {min_shards: 5, max_shards: 2}}]") != nil)
        #expect(
            loadError(
                "scrape_configs: [{job_name: a, relabel_configs: [{action: labeldrop, regex: x, target_label: y}]}]")?
                .message == "labeldrop action requires only 'regex', and no other fields")
        #expect(loadError("scrape_configs: [{job_name: a, relabel_configs: [{action: Keep}]}]") == nil)
        #expect(
            loadError("scrape_configs: [{job_name: a, basic_auth: {username: u}, authorization: {credentials: c}}]")
                != nil)
        #expect(loadError("scrape_configs: [{job_name: a, authorization: {type: Basic, credentials: c}}]") != nil)
        #expect(loadError("scrape_configs: [{job_name: a, scrape_protocols: [Bogus]}]") != nil)
        #expect(loadError("remote_write: [{url: 'https://x/', sigv4: {region: x}}]")?.message.contains("sigv4") == true)
    }
}

struct DuplicateKeyTests {
    @Test func pointsAtTheRepeatedKey() {
        let error = loadError("scrape_configs:\n  - job_name: a\n    scheme: http\n\n    job_name: b\n")
        #expect(error?.line == 5 && error?.column == 5, "\(String(describing: error))")
        #expect(error?.message == #"duplicate key "job_name" in mapping"#)
    }

    /// libyaml counts CR and CRLF as line breaks; the lookup split on LF alone, so a file with
    /// CR line ends put Yams's line past the last one found and trapped (fuzz crash 87974b1e).
    @Test func countsLinesAsYAMLDoesWithCRAndCRLF() {
        for newline in ["\r", "\r\n"] {
            let yaml = ["scrape_configs:", "  - job_name: a", "    scheme: http", "", "    job_name: b", ""]
                .joined(separator: newline)
            let error = loadError(yaml)
            #expect(error?.line == 5 && error?.column == 5, "\(String(describing: error))")
            #expect(error?.message == #"duplicate key "job_name" in mapping"#)
        }
        let crash = "\r\r\rKKKKbel: instan\r\r\rKKKKbel: instance\n"
        #expect(loadError(crash)?.message.contains("duplicate key") == true)
    }
}
