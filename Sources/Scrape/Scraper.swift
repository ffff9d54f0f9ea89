import AgentConfig
import AsyncHTTPClient
import Exposition
import Foundation
import HTTPClientSupport
import NIOCore
import NIOHTTP1
import NIOSSL
import PromModel

/// What one HTTP scrape returned.
struct ScrapeResponse {
    var body: [UInt8]
    var contentType: String?
}

/// Why an HTTP scrape failed.
struct ScrapeHTTPError: Error, CustomStringConvertible {
    var description: String
    /// Short reason for metric labels: `timeout`, `connection`, `http_status`, `body_size_limit`.
    var reason: String
}

/// Performs HTTP GETs of targets of one scrape pool, as Prometheus's `targetScraper`.
final class Scraper: Sendable {
    let client: HTTPClient
    let authHeader: String?
    let bodySizeLimit: Int

    /// - Throws: when the TLS files of the job cannot be read.
    init(config: ScrapeConfig) throws {
        var tls: TLSConfiguration? = nil
        if config.scheme == "https" || config.httpClient.tlsConfig != TLSConfig() {
            tls = try HTTPClientSupport.tlsConfiguration(config.httpClient.tlsConfig)
        }
        var conf = HTTPClientSupport.configuration(tls: tls)
        conf.redirectConfiguration = .follow(max: 10, allowCycles: false)
        conf.decompression = .enabled(limit: .none)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: conf)
        authHeader = HTTPClientSupport.authorizationHeader(config.httpClient)
        bodySizeLimit = config.bodySizeLimitBytes > 0 ? config.bodySizeLimitBytes : Int.max
    }

    /// GETs `url` with Prometheus's scrape headers, within `timeoutSeconds`.
    /// - Throws: `ScrapeHTTPError` on connection failure, timeout, non-200 status, or a body
    ///   larger than `body_size_limit` (checked while reading).
    func scrape(url: String, timeoutSeconds: Double, accept: String) async throws -> ScrapeResponse {
        var req = HTTPClientRequest(url: url)
        req.method = .GET
        req.headers.add(name: "Accept", value: accept)
        req.headers.add(name: "Accept-Encoding", value: "gzip")
        req.headers.add(name: "User-Agent", value: "promsls/\(promslsVersion)")
        req.headers.add(name: "X-Prometheus-Scrape-Timeout-Seconds", value: formatSeconds(timeoutSeconds))
        if let authHeader { req.headers.add(name: "Authorization", value: authHeader) }
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeoutSeconds * 1e9))
        do {
            let resp = try await client.execute(req, deadline: deadline)
            guard resp.status == .ok else {
                throw ScrapeHTTPError(description: "server returned HTTP status \(resp.status)", reason: "http_status")
            }
            let buf: ByteBuffer
            do {
                buf = try await resp.body.collect(upTo: bodySizeLimit)
            } catch is NIOTooManyBytesError {
                throw ScrapeHTTPError(
                    description: "body size limit exceeded (limit: \(bodySizeLimit) bytes)", reason: "body_size_limit")
            }
            return ScrapeResponse(
                body: Array(buf.readableBytesView), contentType: resp.headers.first(name: "Content-Type"))
        } catch let e as ScrapeHTTPError {
            throw e
        } catch let e as HTTPClientError where e == .deadlineExceeded || e == .readTimeout {
            throw ScrapeHTTPError(
                description: "context deadline exceeded (timeout \(formatSeconds(timeoutSeconds))s)", reason: "timeout")
        } catch {
            throw ScrapeHTTPError(
                description: "Get \"\(url)\": \(HTTPClientSupport.describe(error))", reason: "connection")
        }
    }

    func shutdown() async {
        try? await client.shutdown()
    }
}

func formatSeconds(_ s: Double) -> String {
    s == s.rounded() ? String(Int64(s)) : String(s)
}
