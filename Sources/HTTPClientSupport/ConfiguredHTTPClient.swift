import AgentConfig
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Synchronization

/// An HTTP client set up from one `HTTPClientConfig` (Prometheus common `HTTPClientConfig`),
/// the one place where scraping, remote write and `http_sd_configs` get their TLS, auth,
/// `oauth2`, `http_headers`, proxy, redirect and HTTP/2 settings.
///
/// AsyncHTTPClient fixes the proxy and the TLS server name per client, so this keeps one
/// client per (proxy, `server_name` connection) actually used, created on first use.
public final class ConfiguredHTTPClient: Sendable {
    /// Go's `http.Client` stops after 10 redirects; so does Prometheus.
    public static let maxRedirects = 10

    struct Key: Hashable {
        var proxy: HTTPClient.Configuration.Proxy?
        /// With `server_name`: the real host the connection goes to.
        var connectHost: String?
    }

    let config: HTTPClientConfig
    let base: HTTPClient.Configuration
    let proxies: ProxySelector
    let oauth2: OAuth2TokenSource?
    private let clients = LockedClients()
    /// A client given by the caller (tests): used for every request, never shut down here.
    private let external: HTTPClient?

    /// - Parameters:
    ///   - config: the `HTTPClientConfig` of a job, a `remote_write` entry or an `http_sd_configs` entry.
    ///   - tls: whether to set up TLS even without a `tls_config` (an `https` job).
    ///   - environment: where `proxy_from_environment` reads `HTTP_PROXY` and friends.
    ///   - decompression: accept gzip-compressed bodies (scraping).
    ///   - connectionsPerHost: connections kept open per `host:port` (AsyncHTTPClient's soft
    ///     limit, 8 by default). Scraping passes a large number: Prometheus gives every target
    ///     its own connection, and many targets often share one exporter address (blackbox,
    ///     SNMP exporters with `__param_target`), which a small per-host pool would queue.
    ///   - httpClient: use this client instead of building one (its settings win).
    ///   - dnsOverride: host names connected to another address (the certificate is still
    ///     checked against the name): `HTTPClientSupport.localhostOverride`.
    /// - Throws: when a `tls_config` certificate, key or CA cannot be loaded.
    public init(
        config: HTTPClientConfig, environment: [String: String] = ProcessInfo.processInfo.environment,
        connectTimeout: TimeAmount = .seconds(10), decompression: Bool = false, connectionsPerHost: Int? = nil,
        httpClient: HTTPClient? = nil, dnsOverride: [String: String] = [:]
    ) throws {
        self.config = config
        var c = HTTPClientSupport.configuration(
            tls: try HTTPClientSupport.tlsConfiguration(config.tlsConfig), connectTimeout: connectTimeout)
        c.dnsOverride = dnsOverride
        c.redirectConfiguration =
            config.followRedirects ? .follow(max: Self.maxRedirects, allowCycles: true) : .disallow
        c.httpVersion = config.enableHTTP2 ? .automatic : .http1Only
        if decompression { c.decompression = .enabled(limit: .none) }
        if let connectionsPerHost { c.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = connectionsPerHost }
        base = c
        proxies = ProxySelector(config.proxy, environment: environment)
        oauth2 = try config.oauth2.map { try OAuth2TokenSource(config: $0, environment: environment) }
        external = httpClient
        if httpClient == nil, !config.proxy.isEnabled {
            // The direct client most requests use, made now rather than within a request's deadline.
            _ = clients.client(for: Key(proxy: nil, connectHost: nil)) {
                HTTPClient(eventLoopGroupProvider: .singleton, configuration: c)
            }
        }
    }

    /// Sends `request` with the configured auth and headers, through the proxy chosen for its URL.
    /// - Throws: AsyncHTTPClient's errors, `OAuth2Error`, or `HTTPHeaderFileError`.
    public func execute(_ request: HTTPClientRequest, deadline: NIODeadline) async throws -> HTTPClientResponse {
        var request = request
        try await addHeaders(&request)
        let client = route(&request)
        return try await client.execute(request, deadline: deadline)
    }

    public func execute(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> HTTPClientResponse {
        try await execute(request, deadline: .now() + timeout)
    }

    /// The `Authorization` and `http_headers` values of the next request.
    func addHeaders(_ request: inout HTTPClientRequest) async throws {
        if let oauth2 {
            request.headers.replaceOrAdd(name: "Authorization", value: try await oauth2.authorizationHeader())
        } else if let value = try HTTPClientSupport.authorizationHeader(config) {
            request.headers.replaceOrAdd(name: "Authorization", value: value)
        }
        for (name, header) in config.httpHeaders.sorted(by: { $0.key < $1.key }) {
            request.headers.remove(name: name)
            for v in header.values { request.headers.add(name: name, value: v) }
            for v in header.secrets { request.headers.add(name: name, value: v.value) }
            for file in header.files {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw HTTPHeaderFileError(description: "unable to read header file \(file)")
                }
                let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                request.headers.add(name: name, value: value)
            }
        }
    }

    /// Picks (or creates) the client for the request's URL; with `server_name` on https the
    /// URL's host becomes the server name and the connection still goes to the real host.
    private func route(_ request: inout HTTPClientRequest) -> HTTPClient {
        if let external { return external }
        var key = Key(proxy: proxies.proxy(for: request.url), connectHost: nil)
        if let serverName = config.tlsConfig.serverName, !serverName.isEmpty, let parts = URLParts(request.url),
            parts.scheme == "https", parts.host != serverName.lowercased(),
            let range = Self.hostRange(in: request.url)
        {
            key.connectHost = parts.host
            if !request.headers.contains(name: "Host") {
                request.headers.add(name: "Host", value: String(request.url[range]))
            }
            let port = parts.port == 443 ? "" : ":\(parts.port)"
            request.url.replaceSubrange(range, with: serverName + port)
        }
        return clients.client(for: key) {
            var c = base
            c.proxy = key.proxy
            if let host = key.connectHost, let serverName = config.tlsConfig.serverName {
                c.dnsOverride = [serverName: host]
            }
            return HTTPClient(eventLoopGroupProvider: .singleton, configuration: c)
        }
    }

    /// The `host[:port]` part of a URL.
    static func hostRange(in url: String) -> Range<String.Index>? {
        guard let scheme = url.range(of: "://") else { return nil }
        let rest = url[scheme.upperBound...]
        let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? url.endIndex
        if let at = rest[..<end].lastIndex(of: "@") { return url.index(after: at)..<end }
        return scheme.upperBound..<end
    }

    /// Shuts down every client this one created, and the OAuth2 token client.
    public func shutdown() async {
        for client in clients.drain() { try? await client.shutdown() }
        await oauth2?.shutdown()
    }
}

/// An `http_headers` file that cannot be read.
public struct HTTPHeaderFileError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// The clients of a `ConfiguredHTTPClient`, behind a lock.
final class LockedClients: Sendable {
    private let clients = Mutex<[ConfiguredHTTPClient.Key: HTTPClient]>([:])

    func client(for key: ConfiguredHTTPClient.Key, make: () -> HTTPClient) -> HTTPClient {
        clients.withLock { clients in
            if let c = clients[key] { return c }
            let c = make()
            clients[key] = c
            return c
        }
    }

    func drain() -> [HTTPClient] {
        clients.withLock { clients in
            defer { clients = [:] }
            return Array(clients.values)
        }
    }
}
