import AgentConfig

/// Where rule expressions are evaluated: a Prometheus-compatible instant-query endpoint and
/// how to reach it. Chosen from the config by `QueryTarget.select(_:)`.
public struct QueryTarget: Sendable, Equatable {
    /// What chose it, for the start-up log and `/rules`.
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        /// The `sls:` section's Metricstore.
        case sls(project: String, metricstore: String)
        /// The `rule_query:` section.
        case ruleQuery
        /// The only `remote_write` entry ending in `/api/v1/write`, queried at its sibling.
        case remoteWrite(name: String)

        public var description: String {
            switch self {
            case .sls(let p, let m): "the sls: Metricstore \(p)/\(m)"
            case .ruleQuery: "rule_query"
            case .remoteWrite(let n): "remote_write \(quoted(n)) (its sibling /api/v1/query)"
            }
        }
    }

    /// The full instant-query URL (`…/api/v1/query`).
    public var queryURL: String
    public var source: Source
    public var httpClient: HTTPClientConfig
    public var headers: [String: String]
    /// Per-query timeout.
    public var timeout: Duration
    /// The `sls:` entry's run-time credentials (the executable turns them into a Basic
    /// authorization per request); nil: `httpClient`'s own auth.
    public var slsCredentials: SLSCredentialsConfig?

    /// Where the rules of `config` are queried, first match wins: `sls:`, `rule_query:`, the
    /// one `remote_write` entry whose URL ends in `/api/v1/write`.
    /// - Returns: the target, or the reason there is none (naming what to add).
    public static func select(_ config: Config) -> Result<QueryTarget, NoQueryTarget> {
        if let sls = config.sls, let entry = config.remoteWrite.first(where: { $0.url == sls.url }),
            let url = sibling(of: entry.url)
        {
            return .success(
                QueryTarget(
                    queryURL: url, source: .sls(project: sls.project, metricstore: sls.metricstore),
                    httpClient: entry.httpClient, headers: entry.headers, timeout: entry.remoteTimeout,
                    slsCredentials: entry.slsCredentials))
        }
        if let q = config.ruleQuery {
            return .success(
                QueryTarget(
                    queryURL: queryURL(root: q.url), source: .ruleQuery, httpClient: q.httpClient, headers: q.headers,
                    timeout: q.timeout, slsCredentials: nil))
        }
        let candidates = config.remoteWrite.filter { sibling(of: $0.url) != nil }
        if candidates.count == 1, let entry = candidates.first, let url = sibling(of: entry.url) {
            return .success(
                QueryTarget(
                    queryURL: url, source: .remoteWrite(name: entry.name.isEmpty ? entry.url : entry.name),
                    httpClient: entry.httpClient, headers: entry.headers, timeout: entry.remoteTimeout,
                    slsCredentials: entry.slsCredentials))
        }
        if candidates.count > 1 {
            return .failure(
                NoQueryTarget(
                    reason:
                        "no query API for rules: \(candidates.count) remote_write entries end in /api/v1/write; add a rule_query: section naming the one to query"
                ))
        }
        return .failure(
            NoQueryTarget(
                reason:
                    "no query API for rules: add an sls: section, a rule_query: section with the url of a Prometheus-compatible API, or a remote_write entry ending in /api/v1/write"
            ))
    }

    /// `…/api/v1/write[?params]` → `…/api/v1/query[?params]`: URL parameters (a tenant, an
    /// account) stay; nil for other URLs.
    static func sibling(of writeURL: String) -> String? {
        var url = writeURL
        if let f = url.firstIndex(of: "#") { url = String(url[..<f]) }
        var params = ""
        if let q = url.firstIndex(of: "?") {
            params = String(url[q...])
            url = String(url[..<q])
        }
        while url.hasSuffix("/") { url.removeLast() }
        guard url.hasSuffix("/api/v1/write") else { return nil }
        return String(url.dropLast("write".count)) + "query" + (params == "?" ? "" : params)
    }

    /// A `rule_query.url` (the API root, or already the query endpoint) → the query URL.
    static func queryURL(root: String) -> String {
        var url = root
        while url.hasSuffix("/") { url.removeLast() }
        if url.hasSuffix("/api/v1/query") { return url }
        return url + "/api/v1/query"
    }
}

/// Why rules have no query API: every rule reports it as its health error.
public struct NoQueryTarget: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
