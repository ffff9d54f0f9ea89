/// Media types of the `scrape_protocols` names, as Prometheus's `config.ScrapeProtocolsHeaders`.
private let scrapeProtocolHeaders: [String: String] = [
    "OpenMetricsText1.0.0": "application/openmetrics-text;version=1.0.0",
    "OpenMetricsText0.0.1": "application/openmetrics-text;version=0.0.1",
    "PrometheusText1.0.0": "text/plain;version=1.0.0;escaping=allow-utf-8",
    "PrometheusText0.0.4": "text/plain;version=0.0.4",
]

/// Builds the scrape `Accept` header from `scrape_protocols`, as Prometheus 3's
/// `acceptHeader`: each protocol in order with a decreasing weight starting at `q=0.6`, then
/// `*/*`. `PrometheusProto` is left out: promsls does not parse the protobuf format.
///
/// - Parameter protocols: `scrape_protocols` names (e.g. `OpenMetricsText1.0.0`).
/// - Returns: the header value, e.g.
///   `application/openmetrics-text;version=1.0.0;q=0.6,…,*/*;q=0.2`.
public func scrapeAcceptHeader(protocols: [String]) -> String {
    var weight = 6
    var parts: [String] = []
    for p in protocols {
        guard let media = scrapeProtocolHeaders[p] else { continue }
        parts.append("\(media);q=0.\(weight)")
        weight -= 1
    }
    parts.append("*/*;q=0.\(max(weight, 1))")
    return parts.joined(separator: ",")
}

extension ExpositionFormat {
    /// The format of a `fallback_scrape_protocol` name; nil for `PrometheusProto` or unknown.
    public static func from(protocolName: String) -> ExpositionFormat? {
        switch protocolName {
        case "OpenMetricsText1.0.0", "OpenMetricsText0.0.1": return .openMetrics
        case "PrometheusText0.0.4", "PrometheusText1.0.0": return .prometheusText
        default: return nil
        }
    }
}
