import AgentConfig
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL

/// HTTP client settings shared by scraping and remote write: one place that turns a
/// `tls_config` / `basic_auth` / `authorization` into NIOSSL and header values.
public enum HTTPClientSupport {
    /// Builds a NIOSSL client configuration from a `tls_config`.
    /// - Throws: NIOSSL's error when `ca_file`, `cert_file` or `key_file` cannot be loaded.
    public static func tlsConfiguration(_ c: TLSConfig) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = c.caFile {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
        }
        if let cert = c.certFile, let key = c.keyFile {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        if c.insecureSkipVerify { tls.certificateVerification = .none }
        return tls
    }

    /// The `Authorization` header value for `basic_auth` or `authorization`, or nil.
    public static func authorizationHeader(_ c: HTTPClientConfig) -> String? {
        if let a = c.authorization { return "\(a.type) \(a.credentials.value)" }
        if let b = c.basicAuth {
            return "Basic " + Data("\(b.username):\(b.password.value)".utf8).base64EncodedString()
        }
        return nil
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
