import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import StatusServer

/// `--web.config.file`: parsing, bcrypt, basic auth on every route.
@Suite struct WebConfigTests {
    /// bcrypt (cost 4) of "hunter2", made with libxcrypt's crypt_r.
    static let hash = "$2b$04$HPxvboOb0nHBvvoOouHBHece6r8vxEzYguFu8TZVb6bXRQcK3ym4S"

    @Test func bcryptVerifies() {
        #expect(Bcrypt.verify(password: "hunter2", hash: Self.hash))
        #expect(!Bcrypt.verify(password: "hunter3", hash: Self.hash))
        #expect(!Bcrypt.verify(password: "", hash: Self.hash))
        #expect(!Bcrypt.verify(password: "hunter2", hash: "plain"))
        // $2y$ (htpasswd) is the same algorithm.
        #expect(Bcrypt.verify(password: "hunter2", hash: "$2y$" + Self.hash.dropFirst(4)))
    }

    static func auth(_ user: String, _ password: String) -> HTTPFields {
        [.authorization: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
    }

    @Test func basicAuthOnEveryRoute() async throws {
        var web = WebConfig()
        web.basicAuthUsers = ["alice": Self.hash]
        web.headers = [("X-Frame-Options", "deny")]
        try await withRouter(try options(webConfig: web)) { client in
            for uri in ["/targets", "/metrics", "/api/v1/targets", "/-/healthy", "/config"] {
                let none = try await get(client, uri)
                #expect(none.status == .unauthorized, "\(uri)")
                #expect(none.headers[.wwwAuthenticate] == "Basic")
                let r1 = try await get(client, uri, headers: Self.auth("alice", "wrong"))
                #expect(r1.status == .unauthorized)
                let r2 = try await get(client, uri, headers: Self.auth("bob", "hunter2"))
                #expect(r2.status == .unauthorized)
                let ok = try await get(client, uri, headers: Self.auth("alice", "hunter2"))
                #expect(ok.status == .ok, "\(uri)")
                #expect(ok.headers[HTTPField.Name("X-Frame-Options")!] == "deny")
            }
            let r3 = try await get(client, "/targets", headers: [.authorization: "Bearer x"])
            #expect(r3.status == .unauthorized)
        }
    }

    @Test func parsesPrometheusFormat() throws {
        let c = try WebConfig.parse(
            """
            tls_server_config:
              cert_file: tls.crt
              key_file: /abs/tls.key
              min_version: TLS13
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ca.crt
            http_server_config:
              headers:
                Strict-Transport-Security: max-age=31536000
            basic_auth_users:
              alice: \(Self.hash)
            """, file: "/etc/promsls/web.yml")
        #expect(c.tls?.certFile == "/etc/promsls/tls.crt")
        #expect(c.tls?.keyFile == "/abs/tls.key")
        #expect(c.tls?.clientCAFile == "/etc/promsls/ca.crt")
        #expect(c.tls?.minVersion == "TLS13")
        #expect(c.basicAuthUsers == ["alice": Self.hash])
        #expect(c.headers.map(\.0) == ["Strict-Transport-Security"])
        #expect(try WebConfig.parse("", file: "w.yml").tls == nil)
    }

    @Test(arguments: [
        ("bogus: 1", "bogus: unknown key"),
        ("tls_server_config: {cert_file: a.crt}", "missing key_file"),
        ("tls_server_config: {key_file: a.key}", "missing cert_file"),
        ("tls_server_config: {cert_file: a, key_file: b, min_version: TLS9}", "unknown TLS version: TLS9"),
        ("tls_server_config: {cert_file: a, key_file: b, client_auth_type: Maybe}", "invalid ClientAuth"),
        (
            "tls_server_config: {cert_file: a, key_file: b, client_auth_type: RequireAndVerifyClientCert}",
            "client_ca_file is required"
        ),
        ("tls_server_config: {cert_file: a, key_file: b, cipher_suites: [X]}", "not supported by promsls"),
        ("basic_auth_users: {alice: plaintext-S3cr3t}", "basic_auth_users.alice: not a bcrypt hash"),
        ("http_server_config: {headers: {Server: x}}", "header \"Server\" is not allowed"),
    ])
    func rejects(yaml: String, message: String) {
        do {
            _ = try WebConfig.parse(yaml, file: "web.yml")
            Issue.record("accepted: \(yaml)")
        } catch {
            let text = "\(error)"
            #expect(text.hasPrefix("web.yml: "))
            #expect(text.contains(message), "\(text)")
            #expect(!text.contains("S3cr3t"))
        }
    }

    @Test func missingCertificateFileFailsAtStartup() throws {
        var web = WebConfig()
        web.tls = .init(certFile: "/nonexistent/tls.crt", keyFile: "/nonexistent/tls.key")
        #expect(throws: WebConfig.LoadError.self) { try web.tlsConfiguration() }
    }
}

/// The `Date` header the web server sends (RFC 9110 §5.6.7 IMF-fixdate).
@Suite struct HTTPDateTests {
    @Test(arguments: [
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),  // RFC 9110's own example
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (1_709_251_199, "Thu, 29 Feb 2024 23:59:59 GMT"),
        (1_798_761_600, "Fri, 01 Jan 2027 00:00:00 GMT"),
        (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
    ])
    func formatsIMFFixdate(_ t: Int, _ expected: String) {
        #expect(HTTPDate.format(epochSeconds: t) == expected)
    }

    @Test func formatsTheCurrentSecond() {
        let text = HTTPDate().now()
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        f.timeZone = TimeZone(identifier: "GMT")
        let d = f.date(from: text)
        #expect(d.map { abs($0.timeIntervalSinceNow) < 2 } == true, "\(text)")
    }
}
