import AgentConfig
import Foundation
import PromModel
import Prometheus
import TestSupport
import Testing

@testable import RemoteWrite

/// Issue 18: the credential chain against loopback fakes of the ECS metadata service, STS and
/// a credentials URI (Tests/Fakes), cross-checked with Alibaba's own Python client. Time is the
/// provider's injected clock: no test waits for credentials to expire.
@Suite(.serialized, .offThePool) struct SLSCredentialTests {
    final class Clock: @unchecked Sendable {
        private let lock = NSLockLite()
        private var offsetMs: Int64 = 0
        func advance(toUnixMs t: Int64) { lock.withLock { offsetMs = t - currentTimeMs() } }
        var now: @Sendable () -> Int64 { { [self] in currentTimeMs() + lock.withLock { offsetMs } } }
    }

    static func ecs(_ fake: AlibabaFake, role: String? = nil, disableV1: Bool = false) -> SLSCredentialsConfig {
        var c = SLSCredentialsConfig(provider: .ecsRAMRole)
        c.metadataEndpoint = fake.base
        c.roleName = role
        c.disableIMDSv1 = disableV1
        return c
    }

    static let env = ["PROMSLS_FORBID_CLOUD_ENDPOINTS": "1"]

    @Test func ecsRAMRoleWithIMDSv2LikeAlibabasClient() async throws {
        let fake = try AlibabaFake(["--require-imdsv2"])
        defer { fake.stop() }
        let provider = SLSCredentialProvider(
            config: Self.ecs(fake, disableV1: true), logger: testLogger, environment: Self.env)
        let c = try await provider.current()
        #expect(c.accessKeyID == "STS.test-1" && c.accessKeySecret == "secret-1" && c.securityToken == "token-1")
        #expect(c.basicAuthorization == "Basic " + Data("STS.test-1:secret-1$token-1".utf8).base64EncodedString())
        // Cached: a second call asks nothing.
        #expect(try await provider.current() == c)
        let log = try await fake.log()
        #expect(
            log.map { "\($0["method"]!) \($0["path"]!)" } == [
                "PUT /latest/api/token", "GET /latest/meta-data/ram/security-credentials/",
                "GET /latest/meta-data/ram/security-credentials/promsls-test-role",
            ])
        let headers = log.map { $0["headers"] as? [String: String] ?? [:] }
        #expect(headers[0]["x-aliyun-ecs-metadata-token-ttl-seconds"] == "21600")
        #expect(headers[1]["x-aliyun-ecs-metadata-token"] != nil && headers[2]["x-aliyun-ecs-metadata-token"] != nil)

        // Alibaba's client against a fresh fake: the same paths and headers, the same credentials.
        let fresh = try AlibabaFake(["--require-imdsv2"])
        defer { fresh.stop() }
        let theirs = try fresh.crossCheck(["--provider", "ecs", "--disable-imds-v1"])
        #expect(theirs["access_key_id"] == c.accessKeyID)
        #expect(theirs["access_key_secret"] == c.accessKeySecret && theirs["security_token"] == c.securityToken)
        let theirLog = try await fresh.log()
        #expect(
            Set(theirLog.map { "\($0["method"]!) \($0["path"]!)" })
                == Set(log.map { "\($0["method"]!) \($0["path"]!)" }))
        #expect(
            theirLog.filter { $0["method"] as? String == "GET" }
                .allSatisfy { ($0["headers"] as? [String: String])?["x-aliyun-ecs-metadata-token"] != nil })
    }

    // Credentials that expire are refreshed before they do (no send fails for it); when the
    // service is gone the last valid ones serve until they expire, then a clear error.
    @Test func rotatingCredentialsAreRefreshedAndExpiredOnesNeverUsed() async throws {
        let fake = try AlibabaFake(["--expire-seconds", "900"])
        let clock = Clock()
        let provider = SLSCredentialProvider(
            config: Self.ecs(fake, role: "promsls-test-role"), logger: testLogger, environment: Self.env,
            nowMs: clock.now)
        let first = try await provider.current()
        let expiry = try #require(first.expirationMs)
        #expect(first.accessKeyID == "STS.test-1")
        // 5 minutes before expiry (a third of a 15-minute life): refreshed.
        clock.advance(toUnixMs: expiry - 299_000)
        let second = try await provider.current()
        #expect(second.accessKeyID == "STS.test-2")
        #expect(try await fake.issued().count == 2)
        // The service goes away: the current credentials serve until they expire…
        fake.stop()
        clock.advance(toUnixMs: try #require(second.refreshAtMs) + 1_000)
        #expect(try await provider.current() == second)
        // …and are never used after.
        clock.advance(toUnixMs: try #require(second.expirationMs) + 1)
        await #expect {
            _ = try await provider.current()
        } throws: { error in
            "\(error)".hasPrefix("credentials expired at ") && "\(error)".contains("could not be refreshed")
        }
        #expect(await provider.refreshFailures == 2)
    }

    @Test func oidcRoleARNAndCredentialsURILikeAlibabasClient() async throws {
        let fake = try AlibabaFake(["--oidc-token", "eyJ.header.sig"])
        defer { fake.stop() }
        let tokenFile = FileManager.default.temporaryDirectory.appendingPathComponent("oidc-\(UUID())").path
        try Data("eyJ.header.sig".utf8).write(to: URL(fileURLWithPath: tokenFile))
        defer { try? FileManager.default.removeItem(atPath: tokenFile) }
        var oidc = SLSCredentialsConfig(provider: .oidcRoleARN)
        oidc.roleARN = "acs:ram::1234567890123456:role/promsls"
        oidc.oidcProviderARN = "acs:ram::1234567890123456:oidc-provider/ack-rrsa-c1"
        oidc.oidcTokenFile = tokenFile
        oidc.stsEndpoint = fake.base
        let c = try await SLSCredentialProvider(config: oidc, logger: testLogger, environment: Self.env).current()
        #expect(c.accessKeyID == "STS.test-1" && c.securityToken == "token-1")
        let sent = try #require(try await fake.log().last)
        let form = sent["form"] as? [String: String] ?? [:]
        let query = sent["query"] as? [String: String] ?? [:]
        #expect(
            query["Action"] == "AssumeRoleWithOIDC" && query["Version"] == "2015-04-01" && query["Format"] == "JSON")
        #expect(form["RoleArn"] == oidc.roleARN && form["OIDCProviderArn"] == oidc.oidcProviderARN)
        #expect(form["OIDCToken"] == "eyJ.header.sig" && form["DurationSeconds"] == "3600")

        let fresh = try AlibabaFake(["--oidc-token", "eyJ.header.sig"])
        defer { fresh.stop() }
        let theirs = try fresh.crossCheck([
            "--provider", "oidc", "--token-file", tokenFile, "--role-arn", oidc.roleARN!, "--oidc-provider-arn",
            oidc.oidcProviderARN!,
        ])
        #expect(theirs["access_key_id"] == c.accessKeyID && theirs["security_token"] == c.securityToken)
        let their = try #require(try await fresh.log().last)
        let theirParams = (their["query"] as? [String: String] ?? [:]).merging(
            their["form"] as? [String: String] ?? [:]
        ) { a, _ in a }
        for key in ["Action", "Version", "Format", "RoleArn", "OIDCProviderArn", "OIDCToken", "DurationSeconds"] {
            #expect(theirParams[key] == query.merging(form) { a, _ in a }[key], "\(key)")
        }

        var uri = SLSCredentialsConfig(provider: .credentialsURI)
        uri.credentialsURI = fake.base + "/credentials"
        let u = try await SLSCredentialProvider(config: uri, logger: testLogger, environment: Self.env).current()
        #expect(u.accessKeyID == "STS.test-2")
        let theirURI = try fresh.crossCheck(["--provider", "uri"])
        #expect(theirURI["access_key_id"] == "STS.test-2" && theirURI["access_key_secret"] == u.accessKeySecret)
    }

    @Test func expirationTimesInAlibabasForm() {
        #expect(SLSCredentialProvider.iso8601(1_700_000_000_123) == "2023-11-14T22:13:20Z")
        #expect(SLSCredentialProvider.parseISO8601("2023-11-14T22:13:20Z") == 1_700_000_000_000)
        #expect(SLSCredentialProvider.parseISO8601("2023-11-14T22:13:20.5Z") == nil)
        #expect(SLSCredentialProvider.parseISO8601("2023-13-14T22:13:20Z") == nil)
    }

    // Under the test suite the default endpoints are refused, never contacted; a secret file
    // is read at every use (a rotated one is used at once, a missing one is an error).
    @Test func defaultEndpointsAreRefusedAndSecretFilesReadWhenUsed() async throws {
        var ecs = SLSCredentialsConfig(provider: .ecsRAMRole)
        ecs.roleName = "r"
        await #expect {
            _ = try await SLSCredentialProvider(config: ecs, logger: testLogger, environment: Self.env).current()
        } throws: { "\($0)".contains("refusing to contact http://100.100.100.200") }
        await #expect {
            _ = try await SLSCredentialProvider(
                config: SLSCredentialsConfig(provider: .oidcRoleARN), logger: testLogger, environment: Self.env
            ).current()
        } throws: { "\($0)".contains("refusing to contact https://sts.aliyuncs.com") }

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sls-secret-\(UUID())").path
        var keys = SLSCredentialsConfig(provider: .staticKeys)
        keys.accessKeyID = .value(Secret("LTAIid"))
        keys.accessKeySecret = .file(file)
        let provider = SLSCredentialProvider(config: keys, logger: testLogger, environment: Self.env)
        await #expect { _ = try await provider.current() } throws: {
            "\($0)" == "cannot read the access_key_secret file \(file)"
        }
        try Data("first\n".utf8).write(to: URL(fileURLWithPath: file))
        #expect(try await provider.current().accessKeySecret == "first")
        try Data("rotated\n".utf8).write(to: URL(fileURLWithPath: file))
        #expect(try await provider.current().accessKeySecret == "rotated")
        try? FileManager.default.removeItem(atPath: file)
    }

    // End to end: a queue whose entry takes its credentials from the ECS role sends them as
    // SLS's basic auth; without any, the send is refused loudly and retried, nothing lost.
    @Test(.timeLimit(.minutes(1))) func writesCarryTheRoleCredentials() async throws {
        let fake = try AlibabaFake()
        let rx = TestReceiver { _ in (200, [], "") }
        try await rx.withServer { url in
            var c = fastConfig(url: url, name: "role", maxSamples: 100)
            c.slsCredentials = Self.ecs(fake)
            let client = try WriteClient(config: c, logger: testLogger)
            let reg = PrometheusCollectorRegistry()
            let qm = QueueManager(config: c, client: client, registry: reg, logger: testLogger)
            try await withRunning(qm) { await qm.enqueue(makeSamples(3)) }
            await client.shutdown()
        }
        fake.stop()
        #expect(rx.deliveredSamples == makeSamples(3))
        #expect(
            rx.received.first?.headers["authorization"]
                == "Basic " + Data("STS.test-1:secret-1$token-1".utf8).base64EncodedString())
    }
}
