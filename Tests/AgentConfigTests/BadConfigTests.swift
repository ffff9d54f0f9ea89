import Foundation
import Testing

@testable import AgentConfig

/// Each bad fixture with the line its error must point at and a part of the message, as
/// Prometheus's `TestBadConfigs`.
struct BadConfigTests {
    static let cases: [(file: String, line: Int, message: String)] = [
        ("unknown-key-top.yml", 3, #"scrape_config: unknown key "scrape_config"; did you mean "scrape_configs"?"#),
        (
            "unknown-key-job.yml", 6,
            #"scrape_configs[1].scrape_intervl: unknown key "scrape_intervl"; did you mean "scrape_interval"?"#
        ),
        (
            "unknown-key-queue.yml", 5,
            #"remote_write[0].queue_config.max_shard: unknown key "max_shard"; did you mean "max_shards"?"#
        ),
        ("bad-duration.yml", 4, #"scrape_configs[1].scrape_timeout: "5x" is not a valid duration"#),
        ("duplicate-job.yml", 5, #"found multiple scrape configs with job name "node""#),
        ("timeout-gt-interval.yml", 4, "scrape timeout (10s) greater than scrape interval (5s)"),
        ("global-timeout-gt-interval.yml", 3, "global scrape timeout (6s) greater than scrape interval (5s)"),
        ("missing-job-name.yml", 3, "scrape_configs[1].job_name: job_name is empty"),
        ("missing-url.yml", 2, "remote_write[0].url: url for remote_write is empty"),
        ("password-and-file.yml", 6, "at most one of basic_auth password & password_file must be configured"),
        ("bad-action.yml", 5, #"unknown relabel action "replase""#),
        ("hashmod-no-modulus.yml", 4, "relabel configuration for hashmod requires non-zero modulus"),
        ("replace-without-target.yml", 4, "relabel configuration for replace action requires 'target_label' value"),
        ("rule-files.yml", 5, #"rule_files[1]: invalid rule file path "rules/*/alerts.yml""#),
        ("kubernetes-sd.yml", 4, #"unknown Kubernetes SD role "pods""#),
        ("bad-scheme.yml", 3, #""ftp" is not a valid scheme"#),
        ("reserved-header.yml", 5, "Content-Encoding is a reserved header. It must not be changed"),
        ("remote-url-scheme.yml", 2, "scheme must be http or https"),
        ("duplicate-remote-name.yml", 5, #"found multiple remote write configs with job name "main""#),
        ("sls-missing-metricstore.yml", 2, #"sls.metricstore: missing required key "metricstore""#),
        ("sls-missing-secret-env.yml", 6, "environment variable PROMSLS_TEST_UNSET_VARIABLE is not set"),
        ("sls-secret-twice.yml", 7, "at most one of access_key_secret, access_key_secret_env must be configured"),
        ("bad-body-size.yml", 2, #""10XB" is not a valid size"#),
        ("bad-bool.yml", 3, #""maybe" is not a boolean"#),
        ("bad-label-name.yml", 4, #""0bad" is not a valid label name"#),
        ("file-sd-bad-extension.yml", 4, "is not valid for file discovery"),
        ("dns-a-without-port.yml", 4, "a port is required in DNS-SD configs"),
        ("not-a-mapping.yml", 1, "expected a mapping, got a list"),
        ("duplicate-key.yml", 3, #"duplicate key "scrape_interval""#),
        ("invalid-yaml.yml", 4, "invalid YAML"),
    ]

    @Test(arguments: cases)
    func badConfig(file: String, line: Int, message: String) {
        let path = fixture("bad/" + file)
        do {
            let config = try ConfigLoader.load(file: path, environment: [:])
            Issue.record("\(file) loaded but should fail: \(config)")
        } catch {
            #expect(error.file == path)
            #expect(error.line == line, "\(error)")
            #expect(error.column > 0, "\(error)")
            #expect(error.description.hasPrefix("\(path):\(line):"), "\(error)")
            #expect(error.description.contains(message), "\(error)")
        }
    }

    @Test func everyBadFixtureHasACase() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: fixture("bad")).filter { $0.hasSuffix(".yml") }
        #expect(Set(files) == Set(Self.cases.map(\.file)))
    }

    @Test func missingFileNamesThePath() {
        #expect(throws: ConfigError.self) { try ConfigLoader.load(file: fixture("bad/nope.yml")) }
    }
}
