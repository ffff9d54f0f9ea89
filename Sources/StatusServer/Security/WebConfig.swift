import Foundation
import NIOSSL
import Yams

/// `--web.config.file`, Prometheus's exporter-toolkit format:
/// https://prometheus.io/docs/prometheus/latest/configuration/https/
///
/// ```yaml
/// tls_server_config:
///   cert_file: server.crt
///   key_file: server.key
///   client_auth_type: RequireAndVerifyClientCert   # optional
///   client_ca_file: ca.crt
///   min_version: TLS12
/// http_server_config:
///   headers: {Strict-Transport-Security: max-age=31536000}
/// basic_auth_users:
///   alice: $2y$10$…   # bcrypt
/// ```
/// Relative paths are relative to the web config file. Unknown keys are errors.
public struct WebConfig: Sendable {
    public struct TLS: Sendable {
        public var certFile: String
        public var keyFile: String
        public var clientAuthType = "NoClientCert"
        public var clientCAFile: String?
        public var minVersion: String?
        public var maxVersion: String?
    }

    public var tls: TLS?
    /// User name → bcrypt hash.
    public var basicAuthUsers: [String: String] = [:]
    /// Extra response headers (`http_server_config.headers`).
    public var headers: [(String, String)] = []

    public init() {}

    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
        init(_ file: String, _ message: String) { description = "\(file): \(message)" }
    }

    /// Headers Prometheus allows in `http_server_config.headers`.
    static let allowedHeaders: Set<String> = [
        "Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options", "X-XSS-Protection",
        "Content-Security-Policy",
    ]
    static let tlsVersions: [String: TLSVersion] = [
        "TLS10": .tlsv1, "TLS11": .tlsv11, "TLS12": .tlsv12, "TLS13": .tlsv13,
    ]

    /// Reads and validates the file (certificates are loaded by `tlsConfiguration()`).
    /// - Throws: `LoadError` naming the file and the key for unknown keys, bad values, a
    ///   missing cert or key file, or a user whose hash is not bcrypt.
    public static func load(file: String) throws -> WebConfig {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw LoadError(file, "cannot read file")
        }
        return try parse(text, file: file)
    }

    public static func parse(_ text: String, file: String) throws -> WebConfig {
        let base = URL(fileURLWithPath: file).deletingLastPathComponent().path
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : base + "/" + p }
        let root: Node
        do {
            guard let n = try Yams.compose(yaml: text) else { return WebConfig() }
            root = n
        } catch {
            throw LoadError(file, "invalid YAML: \(error)")
        }
        guard let top = root.mapping else { throw LoadError(file, "expected a mapping at the top level") }
        var cfg = WebConfig()
        func str(_ n: Node, _ key: String) throws -> String {
            guard let s = n.scalar?.string else { throw LoadError(file, "\(key): expected a string") }
            return s
        }
        for (k, v) in top {
            let key = k.string ?? ""
            switch key {
            case "tls_server_config":
                guard let m = v.mapping else { throw LoadError(file, "tls_server_config: expected a mapping") }
                var tls = TLS(certFile: "", keyFile: "")
                for (tk, tv) in m {
                    let name = tk.string ?? ""
                    let path = "tls_server_config.\(name)"
                    switch name {
                    case "cert_file": tls.certFile = resolve(try str(tv, path))
                    case "key_file": tls.keyFile = resolve(try str(tv, path))
                    case "client_ca_file": tls.clientCAFile = resolve(try str(tv, path))
                    case "client_auth_type": tls.clientAuthType = try str(tv, path)
                    case "min_version": tls.minVersion = try str(tv, path)
                    case "max_version": tls.maxVersion = try str(tv, path)
                    case "cipher_suites", "curve_preferences", "prefer_server_cipher_suites", "client_allowed_sans",
                        "cert", "key", "client_ca":
                        throw LoadError(file, "\(path): not supported by promsls")
                    default: throw LoadError(file, "\(path): unknown key")
                    }
                }
                if tls.certFile.isEmpty && tls.keyFile.isEmpty && tls.clientCAFile == nil { continue }
                guard !tls.certFile.isEmpty else { throw LoadError(file, "tls_server_config: missing cert_file") }
                guard !tls.keyFile.isEmpty else { throw LoadError(file, "tls_server_config: missing key_file") }
                for v in [tls.minVersion, tls.maxVersion].compactMap({ $0 }) where tlsVersions[v] == nil {
                    throw LoadError(file, "tls_server_config: unknown TLS version: \(v)")
                }
                switch tls.clientAuthType {
                case "NoClientCert", "VerifyClientCertIfGiven", "RequireAndVerifyClientCert": break
                case "RequestClientCert", "RequireAnyClientCert":
                    throw LoadError(
                        file, "tls_server_config.client_auth_type: \(tls.clientAuthType) is not supported by promsls")
                default:
                    throw LoadError(
                        file, "tls_server_config.client_auth_type: invalid ClientAuth \"\(tls.clientAuthType)\"")
                }
                if tls.clientAuthType != "NoClientCert" && tls.clientCAFile == nil {
                    throw LoadError(
                        file,
                        "tls_server_config: client_ca_file is required with client_auth_type \(tls.clientAuthType)")
                }
                cfg.tls = tls
            case "basic_auth_users":
                guard let m = v.mapping else { throw LoadError(file, "basic_auth_users: expected a mapping") }
                for (uk, uv) in m {
                    let user = uk.string ?? ""
                    let hash = try str(uv, "basic_auth_users.\(user)")
                    // Never echo the hash in the error.
                    guard Bcrypt.isHash(hash) else {
                        throw LoadError(file, "basic_auth_users.\(user): not a bcrypt hash")
                    }
                    cfg.basicAuthUsers[user] = hash
                }
            case "http_server_config":
                guard let m = v.mapping else { throw LoadError(file, "http_server_config: expected a mapping") }
                for (hk, hv) in m {
                    switch hk.string ?? "" {
                    case "http2": _ = try str(hv, "http_server_config.http2")  // promsls serves HTTP/1.1
                    case "headers":
                        guard let hm = hv.mapping else {
                            throw LoadError(file, "http_server_config.headers: expected a mapping")
                        }
                        for (name, value) in hm {
                            let n = name.string ?? ""
                            guard allowedHeaders.contains(n) else {
                                throw LoadError(file, "http_server_config.headers: header \"\(n)\" is not allowed")
                            }
                            cfg.headers.append((n, try str(value, "http_server_config.headers.\(n)")))
                        }
                    default: throw LoadError(file, "http_server_config.\(hk.string ?? ""): unknown key")
                    }
                }
            default:
                throw LoadError(file, "\(key): unknown key")
            }
        }
        return cfg
    }

    /// The NIOSSL server configuration for `tls`, or nil without TLS.
    /// - Throws: when a certificate, key or CA file cannot be read.
    public func tlsConfiguration() throws -> TLSConfiguration? {
        guard let tls else { return nil }
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(tls.certFile)
            key = try NIOSSLPrivateKey(file: tls.keyFile, format: .pem)
        } catch {
            throw LoadError(tls.certFile, "cannot load TLS certificate or key (\(tls.keyFile)): \(error)")
        }
        var c = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        c.minimumTLSVersion = tls.minVersion.flatMap { Self.tlsVersions[$0] } ?? .tlsv12
        if let max = tls.maxVersion.flatMap({ Self.tlsVersions[$0] }) { c.maximumTLSVersion = max }
        if let ca = tls.clientCAFile {
            do {
                c.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
            } catch {
                throw LoadError(ca, "cannot load client CA: \(error)")
            }
        }
        switch tls.clientAuthType {
        case "RequireAndVerifyClientCert": c.certificateVerification = .noHostnameVerification
        case "VerifyClientCertIfGiven": c.certificateVerification = .optionalVerification
        default: c.certificateVerification = .none
        }
        return c
    }
}
