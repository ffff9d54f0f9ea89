import Testing

@testable import AgentConfig

struct RedactedYAMLTests {
    @Test func hidesSecretsAndLoadsAgain() throws {
        let environment = ["TEST_SLS_ACCESS_KEY_ID": "env-id"]
        for file in ["good/prometheus.yml", "good/sls.yml", "good/defaults.yml", "good/limits-inherited.yml"] {
            let config = try ConfigLoader.load(file: fixture(file), environment: environment)
            let yaml = config.redactedYAML()
            for secret in ["ExampleKeySecret", "s3cr3t", "bearer-token-value", "sls-secret-from-file"] {
                #expect(!yaml.contains(secret), "\(file) leaks \(secret)")
            }
            let again = try ConfigLoader.load(yaml: yaml, sourcePath: fixture(file), environment: environment)
            #expect(again.scrapeConfigs.count == config.scrapeConfigs.count)
            #expect(again.remoteWrite.map(\.url) == config.remoteWrite.map(\.url))
            #expect(again.remoteWrite.map(\.queueConfig) == config.remoteWrite.map(\.queueConfig))
            #expect(again.global == config.global)
            for (a, b) in zip(again.scrapeConfigs, config.scrapeConfigs) {
                var a = a
                // Rule locations differ (the rendered document has other lines).
                a.relabelConfigs = zip(a.relabelConfigs, b.relabelConfigs).map {
                    var r = $0
                    r.location = $1.location
                    return r
                }
                a.metricRelabelConfigs = zip(a.metricRelabelConfigs, b.metricRelabelConfigs).map {
                    var r = $0
                    r.location = $1.location
                    return r
                }
                #expect(a == b)
            }
        }
    }

    /// `/config` shows the rule side too (a new user found it missing): rule files, the query
    /// API without its secrets, and the Alertmanagers; the rendered document loads back.
    @Test func showsRulesQueryAndAlerting() throws {
        let config = try ConfigLoader.load(
            yaml: """
                global: {evaluation_interval: 30s, rule_query_offset: 5s}
                rule_files: [/etc/rules/*.yml]
                rule_query:
                  url: http://prom:9090
                  headers: {X-Scope-OrgID: tenant-secret}
                  basic_auth: {username: u, password: query-pw}
                alerting:
                  alert_relabel_configs: [{source_labels: [dc], target_label: region}]
                  alertmanagers:
                    - scheme: https
                      path_prefix: /am
                      static_configs: [{targets: ["am:9093"]}]
                      file_sd_configs: [{files: [/etc/am/*.json]}]
                """, environment: [:])
        let yaml = config.redactedYAML()
        for text in [
            "rule_query_offset: 5s", "rule_files:", "\"/etc/rules/*.yml\"", "url: \"http://prom:9090\"",
            "X-Scope-OrgID: \"<secret>\"", "alertmanagers:", "path_prefix: \"/am\"", "\"am:9093\"",
            "\"/etc/am/*.json\"", "alert_relabel_configs:",
        ] {
            #expect(yaml.contains(text), "missing \(text) in\n\(yaml)")
        }
        #expect(!yaml.contains("tenant-secret") && !yaml.contains("query-pw"))
        let again = try ConfigLoader.load(yaml: yaml, environment: [:])
        #expect(again.ruleFiles == config.ruleFiles && again.global == config.global)
        #expect(again.alerting.alertmanagers.map(\.pathPrefix) == ["/am"])
        #expect(again.ruleQuery?.url == "http://prom:9090")
    }

    @Test func secretPlaceholder() throws {
        let config = try ConfigLoader.load(
            yaml:
                "remote_write: [{url: 'https://x/w', headers: {X-Token: abc}, basic_auth: {username: u, password: pw}}]",
            environment: [:])
        let yaml = config.redactedYAML()
        #expect(yaml.contains("password: \"<secret>\""))
        #expect(!yaml.contains("pw\"") && !yaml.contains("abc"))
    }
}
