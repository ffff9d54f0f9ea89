import AgentConfig
import AsyncHTTPClient
import HTTPClientSupport
import Logging
import NIOCore
import NIOSSL
import PromModel

/// Sends one compressed WriteRequest and reports the classified result. The seam between
/// the queue and the network: tests can supply their own.
public protocol WriteSending: Sendable {
    /// POSTs one snappy-compressed WriteRequest. Never throws: failures are classified.
    func send(_ compressedBody: [UInt8]) async -> SendResult
}

/// The result of one POST: the outcome plus what a log line or counter needs.
public struct SendResult: Sendable, Equatable {
    public var outcome: SendOutcome
    /// HTTP status, nil for a transport error.
    public var statusCode: Int?
    /// `x-log-requestid` (SLS) or `x-sls-request-id`, when the server sent one.
    public var requestID: String?
    /// The first 512 bytes of the response body, lossy UTF-8.
    public var bodyPrefix: String
    /// The SLS error the body carried, if any.
    public var sls: SLSError?

    public init(
        outcome: SendOutcome, statusCode: Int?, requestID: String? = nil, bodyPrefix: String = "", sls: SLSError? = nil
    ) {
        self.outcome = outcome
        self.statusCode = statusCode
        self.requestID = requestID
        self.bodyPrefix = bodyPrefix
        self.sls = sls
    }
}

/// A remote write client error at construction time (bad TLS files, bad URL).
public struct WriteClientError: Error, CustomStringConvertible, Sendable {
    public var url: String
    public var reason: String
    public var description: String { "remote_write \(url): \(reason)" }
}

/// Remote write 1.0 HTTP client for one `remote_write` entry, over AsyncHTTPClient
/// (https://prometheus.io/docs/specs/prw/remote_write_spec/#protocol).
public final class WriteClient: WriteSending {
    public let url: String
    /// Auth (`basic_auth`, `authorization`, `oauth2`), `http_headers`, TLS and proxy of the entry.
    private let httpClient: ConfiguredHTTPClient
    private let timeout: TimeAmount
    private let retryOnHTTP429: Bool
    private let headers: [(String, String)]
    private let logger: Logger
    /// Project, Metricstore and endpoint when `url` is an SLS remote-write URL.
    private let store: SLSStore?
    /// The wait between attempts while SLS refuses the credentials: 6 × `max_backoff`.
    private let slowRetry: Duration
    /// Credentials obtained at run time (`sls:` with a credential provider or secret files).
    public let credentials: SLSCredentialProvider?

    /// Headers a user may not override (the spec's required headers and auth).
    static let reservedHeaders: Set<String> = [
        "content-encoding", "content-type", "user-agent", "x-prometheus-remote-write-version", "authorization",
        "content-length",
    ]

    /// - Parameters:
    ///   - config: the `remote_write` entry (url, headers, auth, TLS, timeout, retry_on_http_429).
    ///   - httpClient: a client to use instead of one built from `config.httpClient.tlsConfig`;
    ///     the caller then owns its shutdown.
    /// - Throws: `WriteClientError` when the CA/cert/key files cannot be loaded.
    public init(config: RemoteWriteConfig, httpClient: HTTPClient? = nil, logger: Logger) throws {
        self.url = config.url
        self.store = SLSStore(url: config.url)
        self.slowRetry = config.queueConfig.maxBackoff * 6
        self.credentials = config.slsCredentials.map { SLSCredentialProvider(config: $0, logger: logger) }
        self.timeout = .nanoseconds(config.remoteTimeout.totalNanoseconds)
        self.retryOnHTTP429 = config.queueConfig.retryOnHTTP429
        self.logger = logger
        // A redirected POST may be replayed as a GET without body: do not follow; a 3xx is
        // classified final and logged with its body.
        var client = config.httpClient
        client.followRedirects = false
        do {
            self.httpClient = try ConfiguredHTTPClient(
                config: client, httpClient: httpClient, dnsOverride: HTTPClientSupport.localhostOverride(config.url))
        } catch {
            throw WriteClientError(url: config.url, reason: "tls_config: \(error)")
        }
        var h: [(String, String)] = [
            ("Content-Encoding", "snappy"),
            ("Content-Type", "application/x-protobuf"),
            ("User-Agent", "promsls/\(promslsVersion)"),
            ("X-Prometheus-Remote-Write-Version", "0.1.0"),
        ]
        for (k, v) in config.headers.sorted(by: { $0.key < $1.key })
        where !Self.reservedHeaders.contains(k.lowercased()) {
            h.append((k, v))
        }
        headers = h
    }

    /// Shuts the HTTP clients down that this client created (not one passed to `init`).
    public func shutdown() async {
        await httpClient.shutdown()
    }

    public func send(_ compressedBody: [UInt8]) async -> SendResult {
        await send(compressedBody, authorization: nil)
    }

    /// `send` with an `Authorization` value of the caller's (`promsls check sls`).
    public func send(_ compressedBody: [UInt8], authorization: String?) async -> SendResult {
        var request = HTTPClientRequest(url: url)
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        request.method = .POST
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        request.body = .bytes(ByteBuffer(bytes: compressedBody))
        if let credentials {
            do {
                request.headers.replaceOrAdd(
                    name: "Authorization", value: try await credentials.current().basicAuthorization)
            } catch {
                let e = SLSError(
                    code: "CredentialsUnavailable", message: "\(error)", requestID: nil, kind: .credentials)
                return SendResult(
                    outcome: .recoverable(
                        reason: "no SLS credentials (\(credentials.config.provider.rawValue)): \(error)",
                        retryAfter: slowRetry),
                    statusCode: nil, sls: e)
            }
        }
        do {
            let response = try await httpClient.execute(request, timeout: timeout)
            let status = Int(response.status.code)
            // Read at most 4 KiB of the body: enough for SLS's JSON and for the log line.
            var body: [UInt8] = []
            for try await chunk in response.body {
                if body.count < 4096 { body.append(contentsOf: chunk.readableBytesView.prefix(4096 - body.count)) }
            }
            let requestID =
                response.headers.first(name: "x-log-requestid") ?? response.headers.first(name: "x-sls-request-id")
            let sls = (200..<300).contains(status) ? nil : SLSError.parse(body, requestID: requestID)
            var outcome = SendOutcome.classify(
                status: status, retryAfter: response.headers.first(name: "Retry-After"), body: body,
                retryOnHTTP429: retryOnHTTP429, nowSeconds: currentTimeMs() / 1000, sls: sls, store: store,
                serverDate: response.headers.first(name: "Date"), slowRetry: slowRetry)
            if store != nil, requestID == nil, !(200..<300).contains(status) {
                // SLS answers every request with a request id (as Alibaba's own agent checks).
                outcome = outcome.noting(
                    " (no x-log-requestid: this answer did not come from SLS but from a proxy, gateway or captive portal on the way)"
                )
            }
            return SendResult(
                outcome: outcome, statusCode: status, requestID: requestID,
                bodyPrefix: String(decoding: body.prefix(512), as: UTF8.self), sls: sls)
        } catch {
            return SendResult(outcome: SendOutcome.classify(error: error), statusCode: nil)
        }
    }
}
