/// Metric family types of the text format and OpenMetrics.
/// See https://prometheus.io/docs/instrumenting/exposition_formats/ and the OpenMetrics spec.
public enum MetricType: String, Sendable, Hashable, CaseIterable {
    case counter, gauge, histogram, summary, untyped
    case unknown, info, stateset, gaugehistogram
}

/// Per-family metadata as sent in remote write's `metadata` field.
public struct MetricMetadata: Hashable, Sendable {
    public var familyName: String
    public var type: MetricType
    public var help: String
    public var unit: String

    public init(familyName: String, type: MetricType, help: String = "", unit: String = "") {
        self.familyName = familyName
        self.type = type
        self.help = help
        self.unit = unit
    }
}
