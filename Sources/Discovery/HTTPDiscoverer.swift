import AgentConfig
import AsyncHTTPClient
import HTTPClientSupport
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import PromModel

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Why an HTTP SD refresh failed.
public struct HTTPSDError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// `http_sd_configs`: target groups from an HTTP endpoint in Prometheus's HTTP SD format,
/// every `refresh_interval`, as Prometheus's `discovery/http`:
/// https://prometheus.io/docs/prometheus/latest/http_sd/
///
/// A refresh fails on a connection error, a status other than 200, a Content-Type other
/// than `application/json`, or a body that is not a list of target groups; the last good
/// groups are then kept and the failure is counted in `prometheus_sd_http_failures_total`.
public final class HTTPDiscoverer: Discoverer {
    public static let metaURL = "__meta_url"
    /// The largest body accepted.
    static let maxBodyBytes = 64 << 20

    let config: HTTPSDConfig
    let client: ConfiguredHTTPClient
    let metrics: DiscoveryMetrics
    let logger: Logger
    let clock: any Clock<Duration>

    /// - Parameter clock: what `refresh_interval` is waited on.
    /// - Throws: when the TLS files of the config cannot be loaded.
    public init(
        config: HTTPSDConfig, metrics: DiscoveryMetrics, logger: Logger, clock: any Clock<Duration> = ContinuousClock()
    ) throws {
        self.config = config
        self.clock = clock
        self.metrics = metrics
        var l = logger
        l[metadataKey: "url"] = "\(config.url)"
        self.logger = l
        client = try ConfiguredHTTPClient(config: config.httpClient)
    }

    /// Refreshes until cancelled, then shuts its HTTP client down (run it once).
    public func run(send: @escaping @Sendable ([TargetGroup]) async -> Void) async {
        let loop = RefreshLoop(
            mechanism: "http", interval: config.refreshInterval, clock: clock, metrics: metrics, logger: logger
        ) { [self] in
            do {
                return try await self.refresh()
            } catch {
                if !(error is CancellationError) { self.metrics.httpFailures.increment() }
                throw error
            }
        }
        await loop.run(send: send)
        await client.shutdown()
    }

    /// One GET of the endpoint.
    /// - Throws: `HTTPSDError` describing what went wrong.
    func refresh() async throws -> [TargetGroup] {
        var req = HTTPClientRequest(url: config.url)
        req.headers.add(name: "Accept", value: "application/json")
        req.headers.add(name: "User-Agent", value: "promsls/\(promslsVersion)")
        req.headers.add(
            name: "X-Prometheus-Refresh-Interval-Seconds", value: "\(Int(config.refreshInterval.totalSeconds))")
        let timeout = min(config.refreshInterval, .seconds(60))
        let resp: HTTPClientResponse
        do {
            resp = try await client.execute(req, timeout: .nanoseconds(Int64(timeout.totalSeconds * 1e9)))
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw HTTPSDError(description: "GET \(config.url): \(HTTPClientSupport.describe(error))")
        }
        guard resp.status == .ok else {
            throw HTTPSDError(description: "server returned HTTP status \(resp.status)")
        }
        let contentType = resp.headers.first(name: "Content-Type") ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingSpaces().lowercased() } ?? ""
        guard mediaType == "application/json" else {
            throw HTTPSDError(description: "unsupported content type \"\(contentType)\"")
        }
        let body: ByteBuffer
        do {
            body = try await resp.body.collect(upTo: Self.maxBodyBytes)
        } catch {
            throw HTTPSDError(description: "reading the body: \(error)")
        }
        do {
            let groups = try TargetGroupParser.parse(
                String(buffer: body), sourcePrefix: config.url, strict: false,
                extraLabels: Labels([Label(Self.metaURL, config.url)]))
            return groups
        } catch {
            throw HTTPSDError(description: "invalid target groups: \(error)")
        }
    }

}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
