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
