#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An SLS error answer: its code, message and request id, and what promsls does about it.
/// docs/sls.md has the table of codes and actions with their sources.
public struct SLSError: Sendable, Equatable {
    /// What a code means for the batch that got it.
    public enum Kind: String, Sendable {
        /// Throttled or a server-side failure: retried with the queue's backoff.
        case retry
        /// The credentials are refused (possibly rotating): retried every `slowRetry`, loudly.
        case credentials
        /// The project or Metricstore does not exist: retried every `slowRetry`, loudly.
        case missingStore
        /// The request is too large: the batch is split in two and each half sent.
        case tooLarge
        /// The request time is off: retried with backoff, the skew logged.
        case clockSkew
        /// Sample timestamps SLS refuses: dropped, counted.
        case timestamps
        /// Any other code: classified by the HTTP status as for any remote_write endpoint.
        case other
    }

    public var code: String
    public var message: String
    /// `x-log-requestid` (or `x-sls-request-id`); nil when the answer carried none.
    public var requestID: String?
    public var kind: Kind
    /// `slsStatus.retryPolicy` (`Continuous`, `Once`, `None`), when the body gives one.
    public var retryPolicy: String? = nil

    /// How long a batch waits between attempts when the credentials are refused or the store
    /// does not exist, with SLS's queue defaults (6 × `max_backoff` 5s): a fix (a rotated key,
    /// a created Metricstore) is picked up within it.
    public static let slowRetry: Duration = .seconds(30)

    static let kinds: [String: Kind] = [
        "WriteQuotaExceed": .retry, "ShardWriteQuotaExceed": .retry, "ExceedQuota": .retry,
        "ProjectQuotaExceed": .retry, "ServerBusy": .retry, "InternalServerError": .retry, "RequestError": .retry,
        "Unauthorized": .credentials, "SignatureNotMatch": .credentials, "InvalidAccessKeyId": .credentials,
        "SecurityTokenExpired": .credentials, "InvalidSecurityToken": .credentials,
        "ProjectNotExist": .missingStore, "MetricStoreNotExist": .missingStore, "LogStoreNotExist": .missingStore,
        "PostBodyTooLarge": .tooLarge,
        "RequestTimeTooSkewed": .clockSkew, "RequestTimeExpired": .clockSkew,
        "InvalidTimeRange": .timestamps, "InvalidTimestamp": .timestamps, "PostBodyInvalid": .timestamps,
    ]

    /// The SLS error in a response body: `{"errorCode": …, "errorMessage": …}` (the SLS API's
    /// form) or `{"slsStatus": {"errorCode": …, "errorMessages": […]}}` (the Metricstore's
    /// Prometheus API). nil when the body is neither.
    public static func parse(_ body: some Collection<UInt8>, requestID: String?) -> SLSError? {
        guard body.first(where: { $0 != 0x20 && $0 != 0x0a }) == UInt8(ascii: "{"),
            let b = try? JSONDecoder().decode(Body.self, from: Data(body))
        else { return nil }
        let code = b.errorCode ?? b.slsStatus?.errorCode ?? ""
        let policy = b.slsStatus?.retryPolicy
        guard !code.isEmpty || policy != nil else { return nil }
        let message = b.errorMessage ?? b.slsStatus?.errorMessages?.joined(separator: "; ") ?? b.error ?? ""
        return SLSError(
            code: code, message: message, requestID: requestID, kind: kinds[code] ?? .other, retryPolicy: policy)
    }

    private struct Body: Decodable {
        struct SLSStatus: Decodable {
            var errorCode: String?
            var errorMessages: [String]?
            var retryPolicy: String?
        }
        var errorCode: String?
        var errorMessage: String?
        var error: String?
        var slsStatus: SLSStatus?
    }
}

/// Project, Metricstore and region endpoint of an SLS remote-write URL
/// (`https://{project}.{endpoint}/prometheus/{project}/{metricstore}/api/v1/write`), for
/// error messages in the user's terms.
public struct SLSStore: Sendable, Equatable {
    public var project: String
    public var metricstore: String
    public var endpoint: String

    public init?(url: String) {
        let parts = url.split(separator: "/", omittingEmptySubsequences: true)
        // ["https:", host, "prometheus", project, metricstore, "api", "v1", "write"]
        guard parts.count >= 8, parts[2] == "prometheus", parts[5] == "api" else { return nil }
        let host = parts[1]
        let project = String(parts[3])
        guard host.hasPrefix(project + ".") else { return nil }
        self.project = project
        self.metricstore = String(parts[4])
        self.endpoint = String(host.dropFirst(project.count + 1))
    }
}
