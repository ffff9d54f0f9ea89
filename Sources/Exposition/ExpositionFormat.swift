/// The text exposition formats promsls parses.
///
/// See https://prometheus.io/docs/instrumenting/exposition_formats/ (text 0.0.4) and the
/// OpenMetrics 1.0 specification (https://prometheus.io/docs/specs/om/open_metrics_spec/).
public enum ExpositionFormat: Sendable, Equatable {
    /// Prometheus text format 0.0.4 (`text/plain; version=0.0.4`).
    case prometheusText
    /// OpenMetrics 1.0 text (`application/openmetrics-text; version=1.0.0`).
    case openMetrics

    /// Picks the format from a Content-Type header value: `application/openmetrics-text...` →
    /// `.openMetrics`, `text/plain...` → `.prometheusText`, anything else or nil → nil.
    ///
    /// The media type is compared case-insensitively and its parameters (`version`, `charset`)
    /// are ignored, as Prometheus 3 does (`model/textparse/interface.go`). A nil result means
    /// "unsupported": the caller decides on a fallback (see corpus case content-type-missing).
    public static func from(contentType: String?) -> ExpositionFormat? {
        guard let contentType else { return nil }
        var media = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }[...]
        while let f = media.first, f == 0x20 || f == 0x09 { media = media.dropFirst() }
        while let l = media.last, l == 0x20 || l == 0x09 { media = media.dropLast() }
        if asciiCaseInsensitiveEquals(media, "application/openmetrics-text") { return .openMetrics }
        if asciiCaseInsensitiveEquals(media, "text/plain") { return .prometheusText }
        return nil
    }
}

/// The Accept header Prometheus 3 sends by default (its `acceptHeader` with the default
/// `scrape_protocols`, minus the protobuf and text 1.0.0 entries promsls does not parse):
/// OpenMetrics 1.0.0, then 0.0.1, then text 0.0.4, then anything.
public let defaultScrapeAcceptHeader =
    "application/openmetrics-text;version=1.0.0;q=0.6,"
    + "application/openmetrics-text;version=0.0.1;q=0.5,"
    + "text/plain;version=0.0.4;q=0.4,"
    + "*/*;q=0.3"

/// What `ExpositionParser.next()` found.
public enum ExpositionEntry: Sendable, Equatable {
    /// A sample line; read it with `seriesBytes`, `labels()`, `value`, `timestampMs`.
    case series
    /// `# TYPE`; read `metadataName` and `metricType`.
    case type
    /// `# HELP`; read `metadataName` and `helpText`.
    case help
    /// `# UNIT` (OpenMetrics only); read `metadataName` and `unitText`.
    case unit
    /// A free-form comment line (text 0.0.4 only).
    case comment
}

private func asciiCaseInsensitiveEquals(_ a: Substring.UTF8View, _ b: String) -> Bool {
    guard a.count == b.utf8.count else { return false }
    for (x, y) in zip(a, b.utf8) {
        let lx = (x >= 0x41 && x <= 0x5A) ? x | 0x20 : x
        if lx != y { return false }
    }
    return true
}
