import Foundation
import Testing

@testable import AgentConfig

struct SLSTests {
    private func load(_ body: String, environment: [String: String] = [:]) throws(ConfigError) -> Config {
        try ConfigLoader.load(
            yaml: "sls:\n" + body.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"),
            sourcePath: fixture("good/inline.yml"), environment: environment)
    }

    private let base = """
        project: my-project
        endpoint: cn-hangzhou.log.aliyuncs.com
        metricstore: my-store
        access_key_id: LTAIid
        access_key_secret: the-secret
        """

    @Test func expandsToRemoteWrite() throws {
        let config = try load(base)
        #expect(config.remoteWrite.count == 1)
        let remote = config.remoteWrite[0]
        #expect(
            remote.url == "https://my-project.cn-hangzhou.log.aliyuncs.com/prometheus/my-project/my-store/api/v1/write")
        #expect(remote.name == "sls-my-project-my-store")
        #expect(remote.httpClient.basicAuth == BasicAuth(username: "LTAIid", password: Secret("the-secret")))
        // SLS's guidance as the queue's defaults: min_backoff 100ms (Prometheus: 30ms), max_backoff 5s.
        var queue = QueueConfig()
        queue.minBackoff = .milliseconds(100)
        queue.maxBackoff = .seconds(5)
        #expect(remote.queueConfig == queue)
        #expect(remote.slsDataModel == SLSDataModel(pipeReplacement: "_"))
        #expect(config.warnings.isEmpty)
        #expect(remote.remoteTimeout == .seconds(30))
        #expect(config.sls?.project == "my-project")
        #expect(config.sls?.url == remote.url)
        #expect(config.sls?.intranet == false)
    }

    @Test func intranetEndpoint() throws {
        let config = try load(base + "\nintranet: true")
        #expect(
            config.remoteWrite[0].url
                == "https://my-project.cn-hangzhou-intranet.log.aliyuncs.com/prometheus/my-project/my-store/api/v1/write"
        )
        #expect(config.sls?.endpoint == "cn-hangzhou-intranet.log.aliyuncs.com")
        #expect(
            SLSDecoder.intranetEndpoint("cn-hangzhou-intranet.log.aliyuncs.com")
                == "cn-hangzhou-intranet.log.aliyuncs.com")
    }

    @Test func stsTokenJoinsWithLiteralDollar() throws {
        let config = try load(base + "\nsts_token_env: STS", environment: ["STS": "tok${EN}"])
        #expect(config.remoteWrite[0].httpClient.basicAuth?.password.value == "the-secret$tok${EN}")
        #expect(config.sls?.stsToken == Secret("tok${EN}"))
    }

    @Test func credentialsFromEnvironmentAndFile() throws {
        let config = try load(
            """
            project: p
            endpoint: cn-beijing.log.aliyuncs.com
            metricstore: m
            access_key_id_env: MY_KEY_ID
            access_key_secret_file: ../secrets/sls-secret.txt
            """, environment: ["MY_KEY_ID": "id-from-env"])
        #expect(
            config.remoteWrite[0].httpClient.basicAuth
                == BasicAuth(username: "id-from-env", password: Secret("sls-secret-from-file")))
    }

    @Test func optionsAndCoexistingRemoteWrite() throws {
        let config = try ConfigLoader.load(
            yaml: """
                remote_write:
                  - url: http://127.0.0.1:9201/api/v1/write
                    name: local
                sls:
                  project: p
                  endpoint: cn-hangzhou.log.aliyuncs.com
                  metricstore: m
                  access_key_id: id
                  access_key_secret: s
                  name: prod
                  remote_timeout: 10s
                  queue_config: {min_shards: 100, capacity: 20480}
                """, environment: [:])
        #expect(config.remoteWrite.map(\.name) == ["local", "prod"])
        #expect(config.remoteWrite[1].remoteTimeout == .seconds(10))
        #expect(config.remoteWrite[1].queueConfig.minShards == 100)
        #expect(config.remoteWrite[1].queueConfig.capacity == 20480)
    }

    @Test func missingCredentialsNameTheKey() {
        let error = loadError("sls: {project: p, endpoint: e.log.aliyuncs.com, metricstore: m, access_key_secret: s}")
        #expect(error?.keyPath == "sls.access_key_id")
        #expect(error?.message.contains("access_key_id_env") == true)
        let secret = loadError("sls: {project: p, endpoint: e.log.aliyuncs.com, metricstore: m, access_key_id: i}")
        #expect(secret?.keyPath == "sls.access_key_secret")
        let scheme = loadError(
            "sls: {project: p, endpoint: 'https://e.com', metricstore: m, access_key_id: i, access_key_secret: s}")
        #expect(scheme?.keyPath == "sls.endpoint")
    }

    @Test func fixtureWithIntranetAndFileSecret() throws {
        let config = try ConfigLoader.load(
            file: fixture("good/sls.yml"), environment: ["TEST_SLS_ACCESS_KEY_ID": "env-id"])
        let remote = config.remoteWrite[0]
        #expect(remote.url.hasPrefix("https://my-project.cn-hangzhou-intranet.log.aliyuncs.com/"))
        #expect(remote.httpClient.basicAuth?.username == "env-id")
        #expect(remote.httpClient.basicAuth?.password.value == "sls-secret-from-file")
        #expect(remote.remoteTimeout == .seconds(15))
    }

    // Issue 18: a queue_config below SLS's guidance loads, with one warning naming the file,
    // line and key; label_value_pipe_replacement takes a string or keep, never one with a `|`.
    @Test func queueBelowSLSGuidanceWarnsAndPipeReplacementIsValidated() throws {
        let config = try load(
            base + "\nqueue_config: {min_backoff: 30ms, max_shards: 5}\nlabel_value_pipe_replacement: keep")
        #expect(config.remoteWrite[0].queueConfig.minBackoff == .milliseconds(30))
        #expect(config.remoteWrite[0].queueConfig.maxBackoff == .seconds(5))
        #expect(config.remoteWrite[0].slsDataModel == SLSDataModel(pipeReplacement: nil))
        #expect(config.warnings.count == 1)
        #expect(
            config.warnings.first?.contains("inline.yml:7:") == true
                && config.warnings.first?.contains("sls.queue_config: min_backoff 30ms") == true,
            "\(config.warnings)")
        let kept = try load(base + "\nqueue_config: {max_shards: 5}")
        #expect(kept.warnings.isEmpty)
        #expect(kept.remoteWrite[0].queueConfig.minBackoff == .milliseconds(100))
        let error = loadError(
            "sls: {project: p, endpoint: e.log.aliyuncs.com, metricstore: m, access_key_id: i, access_key_secret: s, label_value_pipe_replacement: 'a|b'}"
        )
        #expect(error?.keyPath == "sls.label_value_pipe_replacement")
        // A plain remote_write entry keeps Prometheus's defaults and is sent untouched.
        let plain = try ConfigLoader.load(yaml: "remote_write: [{url: 'http://r/api/v1/write'}]", environment: [:])
        #expect(plain.remoteWrite[0].slsDataModel == nil)
        #expect(plain.remoteWrite[0].queueConfig == QueueConfig())
    }
}
