import HTTPClientSupport

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What to do with a batch after one send attempt. Every retry decision of remote write is
/// taken by `SendOutcome.classify` — nowhere else.
public enum SendOutcome: Equatable, Sendable {
    /// 2xx: the batch is delivered.
    case success
    /// Send the same batch again later. `retryAfter` is the server's wish (`Retry-After`), if
    /// any; otherwise the queue's exponential backoff applies.
    case recoverable(reason: String, retryAfter: Duration?)
    /// Drop the batch: resending the same bytes cannot succeed (4xx other than the
    /// retryable ones).
    case final(reason: String)
    /// The request was too large for the server (SLS `PostBodyTooLarge`): send the batch again
    /// in two halves.
    case tooLarge(reason: String)

    public var isRecoverable: Bool { if case .recoverable = self { true } else { false } }

    /// Why it was not a success ("" for a success).
    public var reason: String {
        switch self {
        case .success: ""
        case .recoverable(let r, _), .final(let r), .tooLarge(let r): r
        }
    }

    /// The same outcome with `note` added to its reason.
    func noting(_ note: String) -> SendOutcome {
        switch self {
        case .success: self
        case .recoverable(let r, let wait): .recoverable(reason: r + note, retryAfter: wait)
        case .final(let r): .final(reason: r + note)
        case .tooLarge(let r): .tooLarge(reason: r + note)
        }
    }

    /// Classifies an HTTP answer, following Prometheus `storage/remote/client.go` plus SLS's
    /// `slsStatus.retryPolicy`
    /// (https://help.aliyun.com/en/sls/metricstore-http-api-return-value-description).
    ///
    /// - Parameters:
    ///   - status: HTTP status code.
    ///   - retryAfter: the `Retry-After` header value, if present (seconds or HTTP-date).
    ///   - body: the (start of the) response body.
    ///   - retryOnHTTP429: `queue_config.retry_on_http_429`.
    ///   - nowSeconds: the current Unix time in seconds, to turn an HTTP-date into a delay.
    ///   - sls: the SLS error the body carries (`SLSError.parse`), if any: its code decides
    ///     first (docs/sls.md); codes promsls does not know fall back to the status.
    ///   - store: project, Metricstore and endpoint of an SLS URL, named in the reasons.
    ///   - serverDate: the `Date` header, to state the clock skew on `RequestTimeTooSkewed`.
    ///   - slowRetry: the wait between attempts while SLS refuses the credentials or does not
    ///     know the store (`WriteClient`: 6 × `max_backoff`, 30 s with SLS's guidance).
    public static func classify(
        status: Int, retryAfter: String?, body: some Collection<UInt8>, retryOnHTTP429: Bool,
        nowSeconds: Int64, sls: SLSError? = nil, store: SLSStore? = nil, serverDate: String? = nil,
        slowRetry: Duration = SLSError.slowRetry
    ) -> SendOutcome {
        if !(200..<300).contains(status), let e = sls ?? SLSError.parse(body, requestID: nil),
            let outcome = classify(
                e, status: status, retryAfter: retryAfter, nowSeconds: nowSeconds, store: store,
                serverDate: serverDate, slowRetry: slowRetry)
        {
            return outcome
        }
        switch status {
        case 200..<300:
            return .success
        case 429:
            guard retryOnHTTP429 else { return .final(reason: "HTTP 429 (retry_on_http_429 is off)") }
            return .recoverable(
                reason: "HTTP 429", retryAfter: retryAfter.flatMap { parseRetryAfter($0, nowSeconds: nowSeconds) })
        case 400..<500:
            return .final(reason: "HTTP \(status)")
        case 500..<600:
            return .recoverable(
                reason: "HTTP \(status)", retryAfter: retryAfter.flatMap { parseRetryAfter($0, nowSeconds: nowSeconds) }
            )
        default:
            // 1xx/3xx reaching us (redirects are followed by the client) or nonsense codes:
            // Prometheus treats anything not 2xx and not 5xx/429 as non-recoverable.
            return .final(reason: "HTTP \(status)")
        }
    }

    /// The action for an SLS error code (docs/sls.md); nil for codes left to the HTTP status.
    static func classify(
        _ e: SLSError, status: Int, retryAfter: String?, nowSeconds: Int64, store: SLSStore?, serverDate: String?,
        slowRetry: Duration
    ) -> SendOutcome? {
        let what =
            "HTTP \(status) SLS \(e.code.isEmpty ? "error" : e.code)"
            + (e.message.isEmpty ? "" : ": \(e.message.prefix(200))")
        let wait = retryAfter.flatMap { parseRetryAfter($0, nowSeconds: nowSeconds) }
        switch e.kind {
        case .retry:
            return .recoverable(reason: what, retryAfter: wait)
        case .credentials:
            return .recoverable(
                reason: what
                    + " (the AccessKey or STS token is refused: wrong, lacking write permission on the project, or expired; retrying every \(slowRetry))",
                retryAfter: max(wait ?? .zero, slowRetry))
        case .missingStore:
            let names =
                store.map {
                    " (project \"\($0.project)\", metricstore \"\($0.metricstore)\", endpoint \($0.endpoint): check sls.project, sls.metricstore and the region of sls.endpoint; retrying every \(slowRetry))"
                } ?? ""
            return .recoverable(reason: what + names, retryAfter: max(wait ?? .zero, slowRetry))
        case .tooLarge:
            return .tooLarge(reason: what)
        case .clockSkew:
            var skew = ""
            if let d = serverDate.flatMap({ HTTPDate.parse(Substring($0)) }) {
                skew = "; this host's clock is \(nowSeconds - d) s ahead of SLS's (Date: \(serverDate!)): check NTP"
            }
            return .recoverable(reason: what + skew, retryAfter: wait)
        case .timestamps:
            return .final(reason: what + " (sample timestamps outside what SLS accepts)")
        case .other:
            // The Metricstore's own retry advice (`slsStatus.retryPolicy`), where it gives one;
            // else the HTTP status decides.
            guard let p = e.retryPolicy, p == "Continuous" || p == "Once" else { return nil }
            return .recoverable(reason: what + " (retryPolicy \(p))", retryAfter: wait)
        }
    }

    /// A transport failure (connect refused, reset, TLS, timeout): always recoverable.
    public static func classify(error: any Error) -> SendOutcome {
        .recoverable(reason: "network: \(HTTPClientSupport.describe(error).prefix(200))", retryAfter: nil)
    }

    /// `Retry-After` as a delay: delta-seconds or an IMF-fixdate HTTP-date
    /// (RFC 9110 §10.2.3). nil when unparseable; zero when the date is in the past.
    public static func parseRetryAfter(_ value: String, nowSeconds: Int64) -> Duration? {
        let v = value.trimmingSpaces
        if let s = Int64(v) { return s >= 0 ? .seconds(s) : nil }
        guard let t = HTTPDate.parse(v) else { return nil }
        return .seconds(max(0, t - nowSeconds))
    }
}

extension String {
    var trimmingSpaces: Substring {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return s
    }
}

/// IMF-fixdate parsing (`Sun, 06 Nov 1994 08:49:37 GMT`) without Foundation's formatters.
enum HTTPDate {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Unix seconds, or nil when `s` is not an IMF-fixdate.
    static func parse(_ s: Substring) -> Int64? {
        let parts = s.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT",
            let day = Int64(parts[1]), let mi = months.firstIndex(of: String(parts[2])),
            let year = Int64(parts[3])
        else { return nil }
        let hms = parts[4].split(separator: ":")
        guard hms.count == 3, let h = Int64(hms[0]), let m = Int64(hms[1]), let sec = Int64(hms[2]),
            (1...31).contains(day), (0...23).contains(h), (0...59).contains(m), (0...60).contains(sec)
        else { return nil }
        return daysFromCivil(year, Int64(mi + 1), day) * 86400 + h * 3600 + m * 60 + sec
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}
