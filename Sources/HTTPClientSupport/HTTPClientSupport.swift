import AgentConfig
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL

/// HTTP client settings shared by scraping and remote write: one place that turns a
/// `tls_config` / `basic_auth` / `authorization` into NIOSSL and header values.
public enum HTTPClientSupport {
    /// Builds a NIOSSL client configuration from a `tls_config`: CA, client certificate and
    /// key from files or inline PEM, `insecure_skip_verify`, and `min_version` (Prometheus's
    /// default TLS 1.2) / `max_version`.
    /// - Throws: NIOSSL's error when a certificate, key or CA cannot be loaded.
    public static func tlsConfiguration(_ c: TLSConfig) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = c.ca {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.utf8)))
        } else if let ca = c.caFile {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
        }
        if let cert = c.cert {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(cert.utf8)).map { .certificate($0) }
        } else if let cert = c.certFile {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
        }
        if let key = c.key {
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.value.utf8), format: .pem))
        } else if let key = c.keyFile {
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        if c.insecureSkipVerify { tls.certificateVerification = .none }
        tls.minimumTLSVersion = tlsVersion(c.minVersion) ?? .tlsv12
        tls.maximumTLSVersion = tlsVersion(c.maxVersion)
        return tls
    }

    static func tlsVersion(_ name: String?) -> TLSVersion? {
        switch name {
        case "TLS10": return .tlsv1
        case "TLS11": return .tlsv11
        case "TLS12": return .tlsv12
        case "TLS13": return .tlsv13
        default: return nil
        }
    }

    /// The `Authorization` header value for `basic_auth` or `authorization`, or nil.
    /// The `Authorization` value of `c` for the next request. `password_file`,
    /// `credentials_file` and `bearer_token_file` are read now, as Prometheus reads them for
    /// every request: a rotated secret is used without a reload.
    /// - Throws: `HTTPHeaderFileError` when such a file cannot be read or is empty (the request
    ///   fails with that reason, counted as any failed scrape or send).
    public static func authorizationHeader(_ c: HTTPClientConfig) throws -> String? {
        if let a = c.authorization {
            return
                "\(a.type) \(try a.credentialsFile.map { try readSecret($0, "credentials_file") } ?? a.credentials.value)"
        }
        if let b = c.basicAuth {
            let password = try b.passwordFile.map { try readSecret($0, "password_file") } ?? b.password.value
            return "Basic " + Data("\(b.username):\(password)".utf8).base64EncodedString()
        }
        return nil
    }

    /// `*.localhost` names of `url` mapped to 127.0.0.1: RFC 6761 §6.3 reserves them for
    /// loopback and says resolvers should answer so, which glibc without nss-myhostname does
    /// not. An `sls:` endpoint of `localhost:8443` (a gateway or a test fake on this host) then
    /// works with the `{project}.{endpoint}` host name every SLS URL has.
    public static func localhostOverride(_ url: String) -> [String: String] {
        guard let host = URLParts(url)?.host, host.hasSuffix(".localhost") else { return [:] }
        return [host: "127.0.0.1"]
    }

    /// A secret file's content, trimmed.
    static func readSecret(_ path: String, _ key: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HTTPHeaderFileError(description: "unable to read \(key) \(path)")
        }
        let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw HTTPHeaderFileError(description: "\(key) \(path) is empty") }
        return value
    }

    /// Client settings for promsls: a failed connection fails the request at once (AHC would
    /// otherwise keep re-dialling until the request deadline, hiding the error and delaying
    /// retries by up to `remote_timeout`).
    public static func configuration(tls: TLSConfiguration?, connectTimeout: TimeAmount = .seconds(10))
        -> HTTPClient.Configuration
    {
        var c = HTTPClient.Configuration(tlsConfiguration: tls, timeout: .init(connect: connectTimeout))
        c.connectionPool.retryConnectionEstablishment = false
        c.connectionPool.idleTimeout = .seconds(90)
        return c
    }

    /// A short, Prometheus-like description of a transport error
    /// (`connect: connection refused` rather than NIO's nested description).
    public static func describe(_ error: any Error) -> String {
        if let e = error as? HTTPClientError {
            if e == .deadlineExceeded || e == .readTimeout { return "context deadline exceeded" }
            if e == .connectTimeout { return "connect: i/o timeout" }
            if e == .remoteConnectionClosed { return "connection closed by the server" }
            if e == .proxyAuthenticationRequired { return "proxyconnect: Proxy Authentication Required" }
            if e == .redirectLimitReached || e == .redirectCycleDetected {
                return "stopped after \(ConfiguredHTTPClient.maxRedirects) redirects"
            }
        }
        if let e = error as? NIOSSLExtraError, e == .failedToValidateHostname {
            return "tls: certificate is not valid for the server name (set tls_config.server_name?)"
        }
        if let e = error as? NIOSSLError, case .handshakeFailed(let inner) = e {
            let text = "\(inner)"
            if text.contains("PROTOCOL_VERSION") { return "tls: protocol version not supported" }
            if text.contains("CERTIFICATE_VERIFY_FAILED") { return "tls: failed to verify certificate" }
            if text.contains("CERTIFICATE_REQUIRED") || text.contains("HANDSHAKE_FAILURE") {
                return "tls: handshake failure"
            }
            return "tls: handshake failed: \(text)"
        }
        if let e = error as? IOError { return "connect: " + String(cString: strerror(e.errnoCode)).lowercased() }
        let text = "\(error)"
        if let r = text.range(of: "errno: ") {
            let digits = text[r.upperBound...].prefix { $0.isNumber }
            if let n = Int32(digits) { return "connect: " + String(cString: strerror(n)).lowercased() }
        }
        return text
    }
}
