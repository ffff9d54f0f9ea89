import AgentConfig
import HTTPClientSupport

/// The HTTP client of an Alertmanager set, made on its first request. Only the send loop
/// (inside `run()`) sends, and `run()` shuts every made client down before it returns, so a
/// manager that is built but never run (a config check, a failed start) owns no client that
/// would need shutting down.
final class LazyHTTPClient: Sendable {
    let config: HTTPClientConfig
    private let made = Locked<ConfiguredHTTPClient?>(nil)

    /// Checks what can fail when the client is made (TLS and OAuth2 TLS files), so a bad
    /// config is refused at load time, as Prometheus refuses it in `ApplyConfig`.
    /// - Throws: NIOSSL's error for a certificate, key or CA that cannot be loaded.
    init(config: HTTPClientConfig) throws {
        _ = try HTTPClientSupport.tlsConfiguration(config.tlsConfig)
        if let oauth2 = config.oauth2 { _ = try HTTPClientSupport.tlsConfiguration(oauth2.tlsConfig) }
        self.config = config
    }

    /// The client, made now if needed.
    /// - Throws: when the TLS files can no longer be loaded.
    func client() throws -> ConfiguredHTTPClient {
        try made.withLock { c in
            if let c { return c }
            let new = try ConfiguredHTTPClient(config: config)
            c = new
            return new
        }
    }

    /// Shuts the client down if one was made; the next request would make a new one.
    func shutdown() async {
        let client = made.withLock { c in
            defer { c = nil }
            return c
        }
        await client?.shutdown()
    }
}
