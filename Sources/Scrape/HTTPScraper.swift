import AgentConfig
import AsyncHTTPClient
import Exposition
import Foundation
import HTTPClientSupport
import NIOCore
import NIOHTTP1
import NIOSSL
import PromModel

/// Performs HTTP GETs of targets of one scrape pool with AsyncHTTPClient, as Prometheus's
/// `targetScraper`: the production `Scraper`.
final class HTTPScraper: Scraper {
    let client: ConfiguredHTTPClient
    let bodySizeLimit: Int
    let enableCompression: Bool
    /// What times the whole request (`scrape_timeout`); `ContinuousClock` in production.
    let clock: any Clock<Duration>

    /// - Parameter clock: the clock the scrape timeout is measured on.
    /// - Throws: when the TLS files of the job cannot be read.
    init(
        config: ScrapeConfig, environment: [String: String] = ProcessInfo.processInfo.environment,
        clock: any Clock<Duration> = ContinuousClock()
    ) throws {
        client = try ConfiguredHTTPClient(
            config: config.httpClient, environment: environment, decompression: true,
            connectionsPerHost: Self.connectionsPerHost)
        bodySizeLimit = config.bodySizeLimitBytes > 0 ? config.bodySizeLimitBytes : Int.max
        enableCompression = config.enableCompression
        self.clock = clock
    }

    /// Connections a scrape pool keeps per `host:port`: in effect one per target, as Prometheus
    /// (whose scrape pool gives each target its own), so 2,000 targets behind one exporter are
    /// scraped in parallel rather than 8 at a time.
    static let connectionsPerHost = 1 << 16

    /// GETs `url` with Prometheus's scrape headers. `timeoutSeconds` bounds the whole request:
    /// connecting, the response head and the body; at the deadline the request is cancelled.
    /// - Throws: `ScrapeHTTPError` on connection failure, timeout (`context deadline exceeded`),
    ///   non-200 status, or a body larger than `body_size_limit` (checked while reading).
    func scrape(url: String, timeoutSeconds: Double, accept: String) async throws -> ScrapeResponse {
        let timeout = Duration.nanoseconds(Int64(timeoutSeconds * 1e9))
        // AsyncHTTPClient's deadline covers the response head only; a target that trickles its
        // body would hold the scrape open past the timeout. Race the request against the clock.
        let result: ScrapeResponse? = try await withThrowingTaskGroup(of: ScrapeResponse?.self) { group in
            group.addTask { try await self.fetch(url: url, timeoutSeconds: timeoutSeconds, accept: accept) }
            group.addTask { [clock] in
                try await clock.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        guard let result else {
            throw ScrapeHTTPError(
                description: "context deadline exceeded (timeout \(formatSeconds(timeoutSeconds))s)", reason: .timeout)
        }
        return result
    }

    private func fetch(url: String, timeoutSeconds: Double, accept: String) async throws -> ScrapeResponse {
        var req = HTTPClientRequest(url: url)
        req.method = .GET
        req.headers.add(name: "Accept", value: accept)
        // Prometheus asks for gzip unless `enable_compression: false`, then for no encoding.
        req.headers.add(name: "Accept-Encoding", value: enableCompression ? "gzip" : "identity")
        req.headers.add(name: "User-Agent", value: "promsls/\(promslsVersion)")
        req.headers.add(name: "X-Prometheus-Scrape-Timeout-Seconds", value: formatSeconds(timeoutSeconds))
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeoutSeconds * 1e9))
        do {
            let resp = try await client.execute(req, deadline: deadline)
            guard resp.status == .ok else {
                throw ScrapeHTTPError(description: "server returned HTTP status \(resp.status)", reason: .httpStatus)
            }
            let buf: ByteBuffer
            do {
                buf = try await resp.body.collect(upTo: bodySizeLimit)
            } catch is NIOTooManyBytesError {
                throw ScrapeHTTPError(
                    description: "body size limit exceeded (limit: \(bodySizeLimit) bytes)", reason: .bodySizeLimit)
            }
            return ScrapeResponse(
                body: Array(buf.readableBytesView), contentType: resp.headers.first(name: "Content-Type"))
        } catch let e as ScrapeHTTPError {
            throw e
        } catch let e as HTTPClientError where e == .deadlineExceeded || e == .readTimeout {
            throw ScrapeHTTPError(
                description: "context deadline exceeded (timeout \(formatSeconds(timeoutSeconds))s)", reason: .timeout)
        } catch let e as OAuth2Error {
            throw ScrapeHTTPError(description: "Get \"\(url)\": \(e.description)", reason: .connection)
        } catch {
            throw ScrapeHTTPError(
                description: "Get \"\(url)\": \(HTTPClientSupport.describe(error))", reason: .connection)
        }
    }

    func shutdown() async {
        await client.shutdown()
    }
}
