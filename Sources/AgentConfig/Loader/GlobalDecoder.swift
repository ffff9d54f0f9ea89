import PromModel
import Yams

/// `global:` — defaults inherited by every job.
enum GlobalDecoder {
    static let keys = [
        "scrape_interval", "scrape_timeout", "evaluation_interval", "external_labels", "scrape_protocols",
        "sample_limit", "label_limit", "label_name_length_limit", "label_value_length_limit", "target_limit",
        "body_size_limit", "query_log_file", "rule_query_offset", "keep_dropped_targets",
    ]
    static let unsupported: [String: String] = [
        "scrape_failure_log_file": "promsls does not support scrape_failure_log_file",
        "metric_name_validation_scheme": "promsls does not support metric_name_validation_scheme (legacy names only)",
        "metric_name_escaping_scheme": "promsls does not support metric_name_escaping_scheme",
        "always_scrape_classic_histograms": "promsls does not support native histograms",
        "convert_classic_histograms_to_nhcb": "promsls does not support native histograms",
    ]

    static func decode(_ fields: Fields) throws(ConfigError) -> GlobalConfig {
        var global = GlobalConfig()
        // Prometheus: an unset timeout is 10s, or the interval when the interval is shorter.
        let interval = try fields.duration("scrape_interval")
        if let interval, interval > .zero { global.scrapeInterval = interval }
        if let timeout = try fields.duration("scrape_timeout"), timeout > .zero {
            guard timeout <= global.scrapeInterval else {
                throw fields.error(
                    "scrape_timeout",
                    "global scrape timeout (\(formatPrometheusDuration(timeout))) greater than scrape interval (\(formatPrometheusDuration(global.scrapeInterval)))"
                )
            }
            global.scrapeTimeout = timeout
        } else {
            global.scrapeTimeout = min(GlobalConfig().scrapeTimeout, global.scrapeInterval)
        }
        if let evaluation = try fields.duration("evaluation_interval"), evaluation > .zero {
            global.evaluationInterval = evaluation
        }
        _ = try fields.duration("rule_query_offset")
        _ = try fields.string("query_log_file")
        global.keepDroppedTargets = try fields.int("keep_dropped_targets") ?? 0
        if let labels = try fields.stringMap("external_labels") {
            global.externalLabels = try LabelChecks.labels(labels, fields: fields, key: "external_labels")
        }
        if let protocols = try ScrapeDecoder.scrapeProtocols(fields) { global.scrapeProtocols = protocols }
        global.sampleLimit = try fields.int("sample_limit") ?? 0
        global.labelLimit = try fields.int("label_limit") ?? 0
        global.labelNameLengthLimit = try fields.int("label_name_length_limit") ?? 0
        global.labelValueLengthLimit = try fields.int("label_value_length_limit") ?? 0
        global.targetLimit = try fields.int("target_limit") ?? 0
        global.bodySizeLimitBytes = try fields.byteSize("body_size_limit") ?? 0
        return global
    }
}

/// Label name checks (Prometheus's legacy validation: `[a-zA-Z_][a-zA-Z0-9_]*`).
enum LabelChecks {
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first else { return false }
        func isLetter(_ c: UInt8) -> Bool { (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F }
        return isLetter(first) && name.utf8.allSatisfy { isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    /// A label set from a `labels:`-style mapping; names checked, `__name__` refused.
    static func labels(
        _ pairs: [(key: String, value: String, node: Node)], fields: Fields, key: String
    ) throws(ConfigError) -> Labels {
        var list: [Label] = []
        for pair in pairs {
            guard isValidName(pair.key), pair.key != Labels.metricName else {
                throw fields.context.error(
                    pair.node, child(fields.keyPath(key), pair.key), "\(quoted(pair.key)) is not a valid label name")
            }
            list.append(Label(pair.key, pair.value))
        }
        return Labels(list)
    }
}
