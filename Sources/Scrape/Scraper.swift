import AgentConfig
import AsyncHTTPClient
import Exposition
import Foundation
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
            tls = try makeTLSConfiguration(config.httpClient.tlsConfig)
        }
        var conf = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .follow(max: 10, allowCycles: false),
            timeout: .init(connect: .seconds(10)),
            decompression: .enabled(limit: .none)
        )
        conf.connectionPool = .init(idleTimeout: .seconds(90))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: conf)
        if let ba = config.httpClient.basicAuth {
            let token = Data("\(ba.username):\(ba.password.value)".utf8).base64EncodedString()
            authHeader = "Basic \(token)"
        } else if let a = config.httpClient.authorization {
            authHeader = "\(a.type) \(a.credentials.value)"
        } else {
            authHeader = nil
        }
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
            return ScrapeResponse(body: Array(buf.readableBytesView), contentType: resp.headers.first(name: "Content-Type"))
        } catch let e as ScrapeHTTPError {
            throw e
        } catch let e as HTTPClientError where e == .deadlineExceeded || e == .readTimeout {
            throw ScrapeHTTPError(description: "context deadline exceeded (timeout \(formatSeconds(timeoutSeconds))s)", reason: "timeout")
        } catch {
            throw ScrapeHTTPError(description: "\(error)", reason: "connection")
        }
    }

    func shutdown() async {
        try? await client.shutdown()
    }
}

func formatSeconds(_ s: Double) -> String {
    s == s.rounded() ? String(Int64(s)) : String(s)
}

/// Builds a NIOSSL client configuration from a `tls_config`.
/// - Throws: when `ca_file`, `cert_file` or `key_file` cannot be loaded.
func makeTLSConfiguration(_ c: TLSConfig) throws -> TLSConfiguration {
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
