/// What one HTTP scrape returned.
struct ScrapeResponse: Sendable {
    var body: [UInt8]
    var contentType: String?
}

/// Why an HTTP scrape failed.
struct ScrapeHTTPError: Error, CustomStringConvertible {
    var description: String
    /// Why, as a metric label: `timeout`, `connection`, `http_status`, `body_size_limit`.
    var reason: ScrapeFailureReason
}

/// The fetch of one scrape, as Prometheus's `scraper` interface (`scrape/scrape.go`): the
/// scrape loop asks for a target's body and does everything else (parsing, relabeling,
/// report series, staleness) itself. `HTTPScraper` is the production conformer; tests hand
/// the loop an in-memory one that answers with the bodies and errors they choose.
protocol Scraper: Sendable {
    /// GETs `url` with Prometheus's scrape headers (`Accept: accept`,
    /// `X-Prometheus-Scrape-Timeout-Seconds`), bounded by `timeoutSeconds` as a whole.
    /// - Throws: `ScrapeHTTPError` on connection failure, timeout, a non-200 status or a body
    ///   over `body_size_limit`.
    func scrape(url: String, timeoutSeconds: Double, accept: String) async throws -> ScrapeResponse

    /// Releases connections; called once when the scrape pool stops.
    func shutdown() async
}

/// `s` seconds as Prometheus prints them in headers and errors: `10`, `0.5`.
func formatSeconds(_ s: Double) -> String {
    s == s.rounded() ? String(Int64(s)) : String(s)
}
