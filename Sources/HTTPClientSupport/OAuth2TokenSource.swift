import AgentConfig
import AsyncHTTPClient
import Foundation
import NIOCore

/// Why no OAuth2 token could be had. The description never holds the secret or a token.
public struct OAuth2Error: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// OAuth2 client credentials grant (RFC 6749 section 4.4), as golang.org/x/oauth2's
/// `clientcredentials` that Prometheus uses: the token is fetched once, reused until 10 s
/// before it expires, then fetched again. `client_secret_file` is read before every request;
/// when its content changes the cached token is dropped, as Prometheus does.
public actor OAuth2TokenSource {
    struct Token {
        var header: String
        /// nil: no `expires_in`, valid until the secret changes.
        var expiresAt: ContinuousClock.Instant?
        var secret: String
    }

    /// Go's `oauth2.expiryDelta`: a token is renewed this long before it expires.
    static let expiryMargin: Duration = .seconds(10)

    let config: OAuth2Config
    let client: ConfiguredHTTPClient
    private var token: Token?
    private var pending: Task<Token, any Error>?
    /// Token requests made (for tests and debugging; the token itself is never kept elsewhere).
    public private(set) var fetches = 0

    /// - Throws: when the token endpoint's `tls_config` cannot be loaded.
    public init(config: OAuth2Config, environment: [String: String]) throws {
        self.config = config
        var endpoint = HTTPClientConfig()
        endpoint.tlsConfig = config.tlsConfig
        endpoint.proxy = config.proxy
        client = try ConfiguredHTTPClient(config: endpoint, environment: environment)
    }

    /// The `Authorization` header value (`Bearer <token>`).
    /// - Throws: `OAuth2Error` when the endpoint cannot be reached or answers without a token.
    public func authorizationHeader() async throws -> String {
        let secret = try currentSecret()
        if let token, token.secret == secret, token.expiresAt.map({ ContinuousClock.now < $0 }) ?? true {
            return token.header
        }
        if let pending { return try await pending.value.header }
        let task = Task { try await self.fetch(secret: secret) }
        pending = task
        defer { pending = nil }
        let fresh = try await task.value
        token = fresh
        return fresh.header
    }

    public func shutdown() async { await client.shutdown() }

    private func currentSecret() throws -> String {
        guard let file = config.clientSecretFile else { return config.clientSecret.value }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw OAuth2Error(description: "oauth2: cannot read client_secret_file \(file)")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func fetch(secret: String) async throws -> Token {
        fetches += 1
        var form = [("grant_type", "client_credentials")]
        if !config.scopes.isEmpty { form.append(("scope", config.scopes.joined(separator: " "))) }
        for (k, v) in config.endpointParams.sorted(by: { $0.key < $1.key }) { form.append((k, v)) }
        var request = HTTPClientRequest(url: config.tokenURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        let credentials = "\(Self.formEncode(config.clientID)):\(Self.formEncode(secret))"
        request.headers.add(name: "Authorization", value: "Basic " + Data(credentials.utf8).base64EncodedString())
        request.body = .bytes(
            ByteBuffer(string: form.map { "\(Self.formEncode($0.0))=\(Self.formEncode($0.1))" }.joined(separator: "&")))
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(request, timeout: .seconds(30))
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw OAuth2Error(
                description: "oauth2: cannot fetch token from \(config.tokenURL): \(HTTPClientSupport.describe(error))")
        }
        guard (200..<300).contains(Int(response.status.code)) else {
            throw OAuth2Error(
                description:
                    "oauth2: cannot fetch token from \(config.tokenURL): server returned HTTP status \(response.status)"
            )
        }
        struct Answer: Decodable {
            var access_token: String?
            var token_type: String?
            var expires_in: Double?
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(body.readableBytesView)),
            let accessToken = answer.access_token, !accessToken.isEmpty
        else {
            throw OAuth2Error(description: "oauth2: server response from \(config.tokenURL) is missing access_token")
        }
        var type = answer.token_type ?? "Bearer"
        // As golang.org/x/oauth2 `Token.Type`: "bearer", "mac", "basic" are canonicalised.
        switch type.lowercased() {
        case "bearer", "": type = "Bearer"
        case "mac": type = "MAC"
        case "basic": type = "Basic"
        default: break
        }
        // As golang.org/x/oauth2: the lifetime counts from when the answer was read.
        let received = ContinuousClock.now
        let expiresAt = answer.expires_in.flatMap { seconds -> ContinuousClock.Instant? in
            seconds > 0 ? received + .milliseconds(Int64(seconds * 1000)) - Self.expiryMargin : nil
        }
        return Token(header: "\(type) \(accessToken)", expiresAt: expiresAt, secret: secret)
    }

    /// `application/x-www-form-urlencoded` encoding (Go's `url.QueryEscape`).
    static func formEncode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: " "): out += "+"
            default: out += String(format: "%%%02X", b)
            }
        }
        return out
    }
}
