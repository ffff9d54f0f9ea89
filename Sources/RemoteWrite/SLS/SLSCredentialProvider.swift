import AgentConfig
import AsyncHTTPClient
import Foundation
import HTTPClientSupport
import Logging
import NIOCore
import PromModel

/// One set of Alibaba Cloud credentials: an AccessKey and, for STS credentials, a security
/// token and when it expires. Never logged.
public struct SLSCredentials: Sendable, Equatable {
    public var accessKeyID: String
    public var accessKeySecret: String
    public var securityToken: String?
    /// Unix ms; nil: does not expire.
    public var expirationMs: Int64?
    /// When they were obtained (Unix ms).
    public var obtainedMs: Int64

    /// `Authorization: Basic …` as SLS's Prometheus API takes it: the AccessKey ID as user, the
    /// secret as password, `{secret}${token}` with an STS token (a literal `$`).
    public var basicAuthorization: String {
        let password = securityToken.map { accessKeySecret + "$" + $0 } ?? accessKeySecret
        return "Basic " + Data("\(accessKeyID):\(password)".utf8).base64EncodedString()
    }

    /// When to obtain new ones: 15 minutes before they expire (as Alibaba's SDKs), or after
    /// two thirds of their life when that is shorter than 45 minutes.
    var refreshAtMs: Int64? {
        expirationMs.map { e in e - min(15 * 60_000, max(0, e - obtainedMs) / 3) }
    }
}

/// Why credentials could not be had; the message names the provider and endpoint, never a secret.
public struct SLSCredentialsError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// Obtains an `sls:` entry's credentials from the provider its config chose
/// (`SLSCredentialsConfig`), as Alibaba's credential SDKs do (aliyun/credentials-python):
/// - `static`, `environment`: the configured values; `_file` secrets read at every use;
/// - `credentials_uri`: `GET` the URI, JSON `{AccessKeyId, AccessKeySecret, SecurityToken, Expiration}`;
/// - `ecs_ram_role`: the ECS metadata service: an IMDSv2 session token (`PUT /latest/api/token`,
///   `X-aliyun-ecs-metadata-token-ttl-seconds: 21600`; without one IMDSv1 unless disabled), the role
///   name from `/latest/meta-data/ram/security-credentials/` unless configured, then its credentials;
/// - `oidc_role_arn`: STS `AssumeRoleWithOIDC` (API version 2015-04-01, anonymous) with the
///   token file read again at every refresh.
/// Temporary credentials are kept and refreshed before they expire (`refreshAtMs`); when a
/// refresh fails the last valid ones are used until they expire, then `current()` throws
/// `credentials expired`.
public actor SLSCredentialProvider {
    public let config: SLSCredentialsConfig
    private let logger: Logger
    private let environment: [String: String]
    private let nowMs: @Sendable () -> Int64
    private var cached: SLSCredentials?
    private var refreshing: Task<SLSCredentials, any Error>?
    private var lastFailureLogMs: Int64 = 0

    /// Counted refresh failures (tests, `/metrics` via the queue's error counter).
    public private(set) var refreshFailures = 0

    public init(
        config: SLSCredentialsConfig, logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        nowMs: @escaping @Sendable () -> Int64 = { currentTimeMs() }
    ) {
        self.config = config
        self.logger = logger
        self.environment = environment
        self.nowMs = nowMs
    }

    /// Credentials valid now.
    /// - Throws: `SLSCredentialsError` when none can be had (a missing secret file, the
    ///   provider unreachable or refusing, or expired ones that could not be refreshed).
    public func current() async throws -> SLSCredentials {
        switch config.provider {
        case .staticKeys, .environment:
            return try fixed()
        case .credentialsURI, .ecsRAMRole, .oidcRoleARN:
            let now = nowMs()
            if let c = cached, now < c.refreshAtMs ?? .max { return c }
            let task =
                refreshing
                ?? Task { [config] in
                    try await Self.fetch(config, environment: environment, nowMs: nowMs)
                }
            refreshing = task
            do {
                let fresh = try await task.value
                refreshing = nil
                if cached == nil {
                    logger.info(
                        "SLS credentials obtained",
                        metadata: [
                            "provider": "\(config.provider.rawValue)",
                            "expires": "\(fresh.expirationMs.map { Self.iso8601($0) } ?? "never")",
                        ])
                }
                cached = fresh
                return fresh
            } catch {
                refreshing = nil
                refreshFailures += 1
                let now = nowMs()
                if let c = cached, now < c.expirationMs ?? .max {
                    if now - lastFailureLogMs >= 60_000 {
                        lastFailureLogMs = now
                        logger.warning(
                            "SLS credentials could not be refreshed; the current ones are used until they expire",
                            metadata: [
                                "provider": "\(config.provider.rawValue)", "error": "\(error)",
                                "expires": "\(Self.iso8601(c.expirationMs!))",
                            ])
                    }
                    return c
                }
                if let c = cached, let e = c.expirationMs {
                    throw SLSCredentialsError(
                        description: "credentials expired at \(Self.iso8601(e)) and could not be refreshed: \(error)")
                }
                throw error
            }
        }
    }

    private func fixed() throws -> SLSCredentials {
        func value(_ s: SecretSource?, _ what: String) throws -> String? {
            switch s {
            case nil: return nil
            case .value(let v): return v.value
            case .file(let path):
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw SLSCredentialsError(description: "cannot read the \(what) file \(path)")
                }
                let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                guard !text.isEmpty else { throw SLSCredentialsError(description: "the \(what) file \(path) is empty") }
                return text
            }
        }
        guard let id = try value(config.accessKeyID, "access_key_id"),
            let secret = try value(config.accessKeySecret, "access_key_secret")
        else { throw SLSCredentialsError(description: "no AccessKey configured") }
        return SLSCredentials(
            accessKeyID: id, accessKeySecret: secret, securityToken: try value(config.securityToken, "sts_token"),
            expirationMs: nil, obtainedMs: nowMs())
    }

    // MARK: - Providers

    /// The client of the credential services: a refused connection fails at once (AHC's
    /// default re-dials until the deadline), 5 s to connect. Process-wide, like `HTTPClient.shared`.
    static let http = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: HTTPClientSupport.configuration(tls: nil, connectTimeout: .seconds(5)))

    static let metadataTTLHeader = "X-aliyun-ecs-metadata-token-ttl-seconds"
    static let metadataTokenHeader = "X-aliyun-ecs-metadata-token"

    static func fetch(
        _ c: SLSCredentialsConfig, environment: [String: String], nowMs: @Sendable () -> Int64
    ) async throws -> SLSCredentials {
        switch c.provider {
        case .staticKeys, .environment:
            throw SLSCredentialsError(description: "static credentials are not fetched")
        case .credentialsURI:
            let uri = c.credentialsURI ?? ""
            try refuseCloudUnderTests(uri, environment)
            let (status, body) = try await get(uri, headers: [], what: "credentials URI \(uri)")
            guard status == 200 else { throw httpError("credentials URI \(uri)", status, body) }
            return try parseCredentials(body, nested: false, what: "credentials URI \(uri)", nowMs: nowMs())
        case .ecsRAMRole:
            let base = c.metadataEndpoint.hasSuffix("/") ? String(c.metadataEndpoint.dropLast()) : c.metadataEndpoint
            try refuseCloudUnderTests(base, environment)
            let what = "the ECS metadata service \(base)"
            var headers: [(String, String)] = []
            do {
                headers.append((metadataTokenHeader, try await metadataToken(base)))
            } catch {
                if c.disableIMDSv1 {
                    throw SLSCredentialsError(
                        description: "\(what): no IMDSv2 session token (\(error)) and IMDSv1 is disabled")
                }
            }
            var role = c.roleName ?? ""
            if role.isEmpty {
                let (status, body) = try await get(
                    base + "/latest/meta-data/ram/security-credentials/", headers: headers, what: what)
                guard status == 200 else { throw httpError(what + " (role name)", status, body) }
                role = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                guard !role.isEmpty else {
                    throw SLSCredentialsError(description: "\(what): no RAM role is attached to this instance")
                }
            }
            let (status, body) = try await get(
                base + "/latest/meta-data/ram/security-credentials/" + role, headers: headers, what: what)
            guard status == 200 else {
                if status == 404 {
                    throw SLSCredentialsError(
                        description:
                            "\(what): role \(role) is not attached to this instance (HTTP 404; attach it, or fix sls.credentials.role_name)"
                    )
                }
                throw httpError("\(what) (role \(role))", status, body)
            }
            return try parseCredentials(body, nested: false, what: "\(what) (role \(role))", nowMs: nowMs())
        case .oidcRoleARN:
            let endpoint = c.stsEndpoint
            try refuseCloudUnderTests(endpoint, environment)
            let what = "STS AssumeRoleWithOIDC at \(endpoint)"
            guard let file = c.oidcTokenFile, let data = FileManager.default.contents(atPath: file) else {
                throw SLSCredentialsError(
                    description: "\(what): cannot read the OIDC token file \(c.oidcTokenFile ?? "-")")
            }
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let query = formEncode([
                ("Action", "AssumeRoleWithOIDC"), ("Format", "JSON"), ("Version", "2015-04-01"),
                ("Timestamp", iso8601(nowMs())),
            ])
            let form = formEncode([
                ("RoleArn", c.roleARN ?? ""), ("OIDCProviderArn", c.oidcProviderARN ?? ""), ("OIDCToken", token),
                ("RoleSessionName", c.roleSessionName),
                ("DurationSeconds", String(c.duration.components.seconds)),
            ])
            let url = (endpoint.hasSuffix("/") ? endpoint : endpoint + "/") + "?" + query
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.headers.add(name: "Accept", value: "application/json")
            request.body = .bytes(ByteBuffer(string: form))
            let (status, body) = try await execute(request, what: what)
            guard status == 200 else { throw httpError(what, status, body) }
            return try parseCredentials(body, nested: true, what: what, nowMs: nowMs())
        }
    }

    /// The IMDSv2 session token (valid 6 hours), or throws.
    static func metadataToken(_ base: String) async throws -> String {
        var request = HTTPClientRequest(url: base + "/latest/api/token")
        request.method = .PUT
        request.headers.add(name: metadataTTLHeader, value: "21600")
        let (status, body) = try await execute(request, what: "PUT /latest/api/token")
        guard status == 200 else { throw httpError("PUT /latest/api/token", status, body) }
        return String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func get(_ url: String, headers: [(String, String)], what: String) async throws -> (Int, [UInt8]) {
        var request = HTTPClientRequest(url: url)
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        return try await execute(request, what: what)
    }

    static func execute(_ request: HTTPClientRequest, what: String) async throws -> (Int, [UInt8]) {
        do {
            let response = try await http.execute(request, timeout: .seconds(10))
            var body: [UInt8] = []
            for try await chunk in response.body {
                if body.count < 65_536 { body.append(contentsOf: chunk.readableBytesView.prefix(65_536 - body.count)) }
            }
            return (Int(response.status.code), body)
        } catch {
            throw SLSCredentialsError(description: "\(what): \(HTTPClientSupport.describe(error))")
        }
    }

    static func httpError(_ what: String, _ status: Int, _ body: [UInt8]) -> SLSCredentialsError {
        // Error bodies (`{"Code": …, "Message": …}`) carry no secret; success bodies are never logged.
        SLSCredentialsError(
            description: "\(what): HTTP \(status): \(String(decoding: body.prefix(300), as: UTF8.self))")
    }

    private struct Body: Decodable {
        var Code: String?
        var AccessKeyId: String?
        var AccessKeySecret: String?
        var SecurityToken: String?
        var Expiration: String?
        var Credentials: Nested?
        struct Nested: Decodable {
            var AccessKeyId: String?
            var AccessKeySecret: String?
            var SecurityToken: String?
            var Expiration: String?
        }
    }

    static func parseCredentials(_ body: [UInt8], nested: Bool, what: String, nowMs: Int64) throws -> SLSCredentials {
        guard let b = try? JSONDecoder().decode(Body.self, from: Data(body)) else {
            throw SLSCredentialsError(description: "\(what): the answer is not JSON credentials")
        }
        if let code = b.Code, code != "Success" {
            throw SLSCredentialsError(description: "\(what): Code \(code)")
        }
        let id = nested ? b.Credentials?.AccessKeyId : b.AccessKeyId
        let secret = nested ? b.Credentials?.AccessKeySecret : b.AccessKeySecret
        let token = nested ? b.Credentials?.SecurityToken : b.SecurityToken
        let expiration = nested ? b.Credentials?.Expiration : b.Expiration
        guard let id, !id.isEmpty, let secret, !secret.isEmpty, let token, !token.isEmpty else {
            throw SLSCredentialsError(
                description: "\(what): the answer lacks AccessKeyId, AccessKeySecret or SecurityToken")
        }
        guard let expiration, let e = parseISO8601(expiration) else {
            throw SLSCredentialsError(description: "\(what): Expiration missing or not like 2006-01-02T15:04:05Z")
        }
        guard e > nowMs else {
            throw SLSCredentialsError(description: "\(what): the credentials it gave expired at \(expiration)")
        }
        return SLSCredentials(
            accessKeyID: id, accessKeySecret: secret, securityToken: token, expirationMs: e, obtainedMs: nowMs)
    }

    /// The test suite sets `PROMSLS_FORBID_CLOUD_ENDPOINTS=1`: the default metadata and STS
    /// endpoints are then refused instead of contacted (tests point every endpoint at fakes).
    static func refuseCloudUnderTests(_ url: String, _ environment: [String: String]) throws {
        guard environment["PROMSLS_FORBID_CLOUD_ENDPOINTS"] == "1" else { return }
        guard url.hasPrefix("http://127.0.0.1") || url.hasPrefix("https://127.0.0.1") || url.contains("localhost")
        else {
            throw SLSCredentialsError(
                description: "refusing to contact \(url) under the test suite (PROMSLS_FORBID_CLOUD_ENDPOINTS=1)")
        }
    }

    static func formEncode(_ pairs: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return pairs.map { k, v in
            "\(k)=\(v.addingPercentEncoding(withAllowedCharacters: allowed) ?? v)"
        }.joined(separator: "&")
    }

    /// `2006-01-02T15:04:05Z` (UTC, whole seconds), the form Alibaba's credential services use.
    static func parseISO8601(_ s: String) -> Int64? {
        let b = Array(s.utf8)
        guard b.count == 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
            b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b[19] == UInt8(ascii: "Z")
        else { return nil }
        func n(_ r: Range<Int>) -> Int64? { Int64(String(decoding: b[r], as: UTF8.self)) }
        guard let y = n(0..<4), let mo = n(5..<7), let d = n(8..<10), let h = n(11..<13), let mi = n(14..<16),
            let sec = n(17..<19), (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 61
        else { return nil }
        return (HTTPDate.daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) * 1000
    }

    /// `2006-01-02T15:04:05Z`: `formatMs` without the milliseconds.
    static func iso8601(_ ms: Int64) -> String {
        String(formatMs(ms - ((ms % 1000) + 1000) % 1000).dropLast(5)) + "Z"
    }
}
