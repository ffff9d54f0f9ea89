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
        // A secret file is read when used (issue 18): the credentials go with the queue, not
        // into the HTTP client's basic auth.
        #expect(config.remoteWrite[0].httpClient.basicAuth == nil)
        let creds = try #require(config.remoteWrite[0].slsCredentials)
        #expect(creds.provider == .staticKeys)
        #expect(creds.accessKeyID == .value(Secret("id-from-env")))
        #expect(creds.accessKeySecret == .file(fixture("good/../secrets/sls-secret.txt")))
        #expect(config.warnings.isEmpty)
    }

    // Issue 18: the credential chain. The first configured source wins; sls.credentials picks
    // one; a missing secret file loads with a warning (sending fails until it is there).
    @Test func credentialChainAndProviders() throws {
        let noKeys = "project: p\nendpoint: cn-beijing.log.aliyuncs.com\nmetricstore: m"
        let env = try load(
            noKeys, environment: ["ALIBABA_CLOUD_ACCESS_KEY_ID": "eid", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "es"])
        #expect(env.sls?.credentials.provider == .environment)
        #expect(env.remoteWrite[0].httpClient.basicAuth == BasicAuth(username: "eid", password: Secret("es")))
        let oidc = try load(
            noKeys,
            environment: [
                "ALIBABA_CLOUD_ROLE_ARN": "acs:ram::1:role/r",
                "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": "acs:ram::1:oidc-provider/p",
                "ALIBABA_CLOUD_OIDC_TOKEN_FILE": "/var/run/token",
                "ALIBABA_CLOUD_CREDENTIALS_URI": "http://127.0.0.1:1/c",
            ])
        let o = try #require(oidc.remoteWrite[0].slsCredentials)
        #expect(o.provider == .oidcRoleARN && o.chosenBy == "ALIBABA_CLOUD_ROLE_ARN")
        #expect(
            o.roleARN == "acs:ram::1:role/r" && o.oidcTokenFile == "/var/run/token"
                && o.stsEndpoint == "https://sts.aliyuncs.com")
        let uri = try load(noKeys, environment: ["ALIBABA_CLOUD_CREDENTIALS_URI": "http://127.0.0.1:1/c"])
        #expect(uri.remoteWrite[0].slsCredentials?.provider == .credentialsURI)
        #expect(uri.remoteWrite[0].slsCredentials?.credentialsURI == "http://127.0.0.1:1/c")
        let ecs = try load(
            noKeys
                + "\ncredentials: {provider: ecs_ram_role, metadata_endpoint: 'http://127.0.0.1:8', disable_imdsv1: true}"
        )
        let e = try #require(ecs.remoteWrite[0].slsCredentials)
        #expect(
            e.provider == .ecsRAMRole && e.roleName == nil && e.metadataEndpoint == "http://127.0.0.1:8"
                && e.disableIMDSv1)
        #expect(ecs.remoteWrite[0].httpClient.basicAuth == nil)
        let missing = loadError("sls: {project: p, endpoint: e.log.aliyuncs.com, metricstore: m}")
        #expect(missing?.keyPath == "sls.access_key_id")
        #expect(missing?.message.contains("ALIBABA_CLOUD_CREDENTIALS_URI") == true)
        let unknown = loadError(
            "sls: {project: p, endpoint: e.log.aliyuncs.com, metricstore: m, credentials: {provider: cli}}")
        #expect(unknown?.keyPath == "sls.credentials.provider")
        let noFile = try load(noKeys + "\naccess_key_id: i\naccess_key_secret_file: /nonexistent/secret")
        #expect(noFile.warnings.count == 1 && noFile.warnings[0].contains("read when used"), "\(noFile.warnings)")
        // A port on the endpoint, and a tls_config for a private gateway's CA.
        let port = try load(
            base.replacingOccurrences(of: "cn-hangzhou.log.aliyuncs.com", with: "sls.localhost:8443")
                + "\ntls_config: {ca_file: /etc/ssl/ca.pem}")
        #expect(
            port.remoteWrite[0].url
                == "https://my-project.sls.localhost:8443/prometheus/my-project/my-store/api/v1/write")
        #expect(port.remoteWrite[0].httpClient.tlsConfig.caFile == "/etc/ssl/ca.pem")
        #expect(
            loadError(
                "sls: {project: p, endpoint: 'e.com:http', metricstore: m, access_key_id: i, access_key_secret: s}")?
                .keyPath == "sls.endpoint")
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
        #expect(remote.slsCredentials?.accessKeyID == .value(Secret("env-id")))
        #expect(remote.slsCredentials?.accessKeySecret == .file(fixture("good/../secrets/sls-secret.txt")))
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
