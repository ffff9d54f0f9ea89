import PromModel

/// One parsed sample line.
public struct ParsedSample: Sendable, Equatable {
    public var labels: Labels
    public var value: Double
    /// Explicit timestamp in milliseconds, nil when the line has none.
    public var timestampMs: Int64?

    public init(labels: Labels, value: Double, timestampMs: Int64? = nil) {
        self.labels = labels
        self.value = value
        self.timestampMs = timestampMs
    }

    /// Values compare by bit pattern, so NaN equals NaN and StaleNaN differs from NaN.
    public static func == (a: ParsedSample, b: ParsedSample) -> Bool {
        a.labels == b.labels && a.value.bitPattern == b.value.bitPattern && a.timestampMs == b.timestampMs
    }
}

/// Parses a whole body.
/// - Returns: the samples in body order, and one `MetricMetadata` per family named by a TYPE,
///   HELP or UNIT line, in order of first appearance (the last line of each kind wins, as in
///   Prometheus's scrape cache; a family without TYPE has type `.unknown`).
/// - Throws: `ExpositionError` for the first malformed line; nothing of the body is returned.
public func parseExposition(_ body: [UInt8], format: ExpositionFormat) throws(ExpositionError) -> (
    samples: [ParsedSample], metadata: [MetricMetadata]
) {
    var parser = ExpositionParser(body: body, format: format)
    var samples: [ParsedSample] = []
    var metadata: [MetricMetadata] = []
    var index: [String: Int] = [:]
    func family(_ name: String) -> Int {
        if let i = index[name] { return i }
        metadata.append(MetricMetadata(familyName: name, type: .unknown))
        index[name] = metadata.count - 1
        return metadata.count - 1
    }
    while let entry = try parser.next() {
        switch entry {
        case .series:
            samples.append(ParsedSample(labels: parser.labels(), value: parser.value, timestampMs: parser.timestampMs))
        case .type:
            metadata[family(parser.metadataName)].type = parser.metricType
        case .help:
            metadata[family(parser.metadataName)].help = parser.helpText
        case .unit:
            metadata[family(parser.metadataName)].unit = parser.unitText
        case .comment:
            break
        }
    }
    return (samples, metadata)
}

/// Renders samples as text format 0.0.4 lines (`name{a="1",b="2"} value [timestampMs]`), one
/// per sample, in order. Values use Go's shortest `'g'` form (`+Inf`, `-Inf`, `NaN`); names
/// that are not legacy-valid are written quoted inside the braces (`{"my.metric",a="1"}`).
public func renderText(samples: [ParsedSample]) -> String {
    var out = ""
    for s in samples {
        let name = s.labels.name ?? ""
        var parts: [String] = []
        let legacyName = isLegacyName(name, metric: true)
        if !legacyName { parts.append("\"" + Labels.escape(name) + "\"") }
        for l in s.labels where l.name != Labels.metricName {
            let n = isLegacyName(l.name, metric: false) ? l.name : "\"" + Labels.escape(l.name) + "\""
            parts.append(n + "=\"" + Labels.escape(l.value) + "\"")
        }
        if legacyName { out += name }
        if !parts.isEmpty { out += "{" + parts.joined(separator: ",") + "}" }
        out += " " + formatGoFloatG(s.value)
        if let ts = s.timestampMs { out += " \(ts)" }
        out += "\n"
    }
    return out
}

private func isLegacyName(_ s: String, metric: Bool) -> Bool {
    guard let first = s.utf8.first, metric ? isMetricNameStart(first) : isLetterOrUnderscore(first) else {
        return false
    }
    return s.utf8.allSatisfy { metric ? isMetricNameChar($0) : isLabelNameChar($0) }
}
