/// Why a scrape failed: the `reason` label of `promsls_target_scrape_failures_total` and what
/// picks the `prometheus_target_scrapes_exceeded_*` counter. The label strings are stable
/// (dashboards and alerts match them); add a case rather than change one.
public enum ScrapeFailureReason: String, Sendable, CaseIterable {
    /// The scrape timeout passed (while fetching or parsing): Prometheus's
    /// `context deadline exceeded`.
    case timeout
    /// The target could not be reached (refused, reset, DNS, TLS).
    case connection
    /// The target answered with a status other than 200.
    case httpStatus = "http_status"
    /// The body was larger than `body_size_limit`.
    case bodySizeLimit = "body_size_limit"
    /// The pool has more targets than `target_limit`: every target of it fails.
    case targetLimit = "target_limit"
    /// The body is not valid text 0.0.4 / OpenMetrics.
    case parse
    /// More samples than `sample_limit` after metric relabeling.
    case sampleLimit = "sample_limit"
    /// A series with more labels than `label_limit`.
    case labelLimit = "label_limit"
    /// A label name longer than `label_name_length_limit`.
    case labelNameLengthLimit = "label_name_length_limit"
    /// A label value longer than `label_value_length_limit`.
    case labelValueLengthLimit = "label_value_length_limit"
    /// Storage refused the samples.
    case append

    /// The metric-label value.
    public var label: String { rawValue }

    /// True for the limits Prometheus counts in `prometheus_target_scrapes_exceeded_label_limits_total`.
    var isLabelLimit: Bool {
        self == .labelLimit || self == .labelNameLengthLimit || self == .labelValueLengthLimit
    }
}
