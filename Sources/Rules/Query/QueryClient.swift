import AgentConfig
import AsyncHTTPClient
import HTTPClientSupport
import NIOCore
import PromModel

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Runs PromQL instant queries: the seam between rule evaluation and the query API.
public protocol QueryClient: Sendable {
    /// Evaluates `expr` at `timeMs` (ms since the epoch).
    /// - Throws: `QueryError` for every failure (transport, HTTP status, the API's error).
    func query(_ expr: String, atMs timeMs: Int64) async throws(QueryError) -> QueryResult
    /// Releases the client's connections; called once when a reload replaces or drops it and
    /// at shutdown. No query is made after it.
    func shutdown() async
}

extension QueryClient {
    /// Clients without connections of their own have nothing to release.
    public func shutdown() async {}
}

/// A `QueryClient` for Prometheus's HTTP API (`GET|POST /api/v1/query`), which Prometheus,
/// VictoriaMetrics and SLS Metricstores answer.
/// https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries
public final class HTTPQueryClient: QueryClient {
    public let target: QueryTarget
    let client: ConfiguredHTTPClient
    /// A per-request `Authorization` value (SLS credentials from the credential chain); nil:
    /// the HTTP client config's own auth.
    let authorization: (@Sendable () async throws -> String)?
    /// Expressions longer than this go in a POST form body rather than the URL.
    static let maxGetQueryBytes = 4096

    /// - Throws: when the TLS settings cannot be loaded.
    public init(
        target: QueryTarget, authorization: (@Sendable () async throws -> String)? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        self.target = target
        self.authorization = authorization
        client = try ConfiguredHTTPClient(
            config: target.httpClient, environment: environment,
            dnsOverride: HTTPClientSupport.localhostOverride(target.queryURL))
    }

    public func query(_ expr: String, atMs timeMs: Int64) async throws(QueryError) -> QueryResult {
        let form = "query=\(formEncode(expr))&time=\(formatSeconds(timeMs))"
        var request: HTTPClientRequest
        if form.utf8.count <= Self.maxGetQueryBytes {
            request = HTTPClientRequest(url: target.queryURL + (target.queryURL.contains("?") ? "&" : "?") + form)
            request.method = .GET
        } else {
            request = HTTPClientRequest(url: target.queryURL)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "promsls-rules")
        for (name, value) in target.headers.sorted(by: { $0.key < $1.key }) {
            request.headers.replaceOrAdd(name: name, value: value)
        }
        let timeout = TimeAmount.nanoseconds(target.timeout.totalNanoseconds)
        let status: Int
        let body: [UInt8]
        do {
            if let authorization {
                request.headers.replaceOrAdd(name: "Authorization", value: try await authorization())
            }
            let response = try await client.execute(request, timeout: timeout)
            status = Int(response.status.code)
            var buffer = try await response.body.collect(upTo: 64 << 20)
            body = buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch {
            throw QueryError(.transport, "query \(target.queryURL) failed: \(HTTPClientSupport.describe(error))")
        }
        let decoded: Result<QueryResult, QueryError> = Result { () throws(QueryError) in try QueryResult.decode(body) }
        switch decoded {
        case .success(let result):
            guard (200..<300).contains(status) else {
                throw QueryError(.http, "HTTP \(status) without an error body", status: status)
            }
            return result
        case .failure(let error) where error.kind == .server:
            // Prometheus answers bad expressions with 400 and `{"status":"error",…}`.
            throw QueryError(.server, "HTTP \(status): \(error.message)", status: status)
        case .failure(let error):
            guard (200..<300).contains(status) else {
                throw QueryError(.http, "HTTP \(status): \(QueryResult.snippet(body))", status: status)
            }
            throw error
        }
    }

    public func shutdown() async { await client.shutdown() }
}

/// A form or query value (PromModel's `percentEncoded`: RFC 3986 unreserved kept).
func formEncode(_ text: String) -> String { percentEncoded(text) }

/// Milliseconds as the API's `time` parameter: seconds with three decimals.
func formatSeconds(_ ms: Int64) -> String {
    let sign = ms < 0 ? "-" : ""
    let a = ms.magnitude
    let frac = String(a % 1000)
    return "\(sign)\(a / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
}
