import PromModel
import Relabel
import Yams

/// `global:` — defaults inherited by every job.
enum GlobalDecoder {
    static let keys = [
        "scrape_interval", "scrape_timeout", "evaluation_interval", "external_labels", "scrape_protocols",
        "sample_limit", "label_limit", "label_name_length_limit", "label_value_length_limit", "target_limit",
        "body_size_limit", "query_log_file", "rule_query_offset", "keep_dropped_targets", "extra_scrape_metrics",
        "scrape_failure_log_file", "metric_name_validation_scheme", "metric_name_escaping_scheme",
        "always_scrape_classic_histograms",
    ]
    /// Accepted with a warning: they mean nothing for promsls.
    static let meaningless: [String: String] = HistogramKeys.meaningless

    static func decode(_ fields: Fields) throws(ConfigError) -> GlobalConfig {
        var global = try decodeValues(fields)
        global.extraScrapeMetrics = try fields.bool("extra_scrape_metrics")
        global.scrapeFailureLogFile = try fields.string("scrape_failure_log_file").flatMap {
            $0.isEmpty ? nil : fields.context.resolve(path: $0)
        }
        global.metricNameValidationScheme = try NameSchemes.check(fields, inheritedValidation: nil)
        _ = try fields.bool("always_scrape_classic_histograms")
        return global
    }

    private static func decodeValues(_ fields: Fields) throws(ConfigError) -> GlobalConfig {
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
        global.ruleQueryOffset = try fields.duration("rule_query_offset")
        _ = try fields.string("query_log_file")
        global.keepDroppedTargets = try fields.int("keep_dropped_targets") ?? 0
        if let labels = try fields.stringMap("external_labels", labels: true) {
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

/// Label sets in the config, names checked by `LabelName.isValid` (Prometheus's legacy
/// validation: `[a-zA-Z_][a-zA-Z0-9_]*`).
enum LabelChecks {
    /// A label set from a `labels:`-style mapping; names checked, `__name__` refused.
    static func labels(
        _ pairs: [(key: String, value: String, node: Node)], fields: Fields, key: String
    ) throws(ConfigError) -> Labels {
        var list: [Label] = []
        for pair in pairs {
            guard LabelName.isValid(pair.key), pair.key != Labels.metricName else {
                throw fields.context.error(
                    pair.node, child(fields.keyPath(key), pair.key), "\(quoted(pair.key)) is not a valid label name")
            }
            list.append(Label(pair.key, pair.value))
        }
        return Labels(list)
    }
}

/// Native-histogram keys: promsls scrapes and sends classic histograms, the only kind SLS
/// Metricstore stores, so these are accepted with a warning that says so.
enum HistogramKeys {
    static let meaningless: [String: String] = {
        let why =
            "promsls scrapes and sends classic histograms only (the only kind SLS Metricstore stores); this setting has no effect"
        var table: [String: String] = [:]
        for key in [
            "scrape_native_histograms", "convert_classic_histograms_to_nhcb",
        ] {
            table[key] = why
        }
        return table
    }()
}

/// `metric_name_validation_scheme` and `metric_name_escaping_scheme` (global and per job),
/// checked as Prometheus's `ScrapeConfig.Validate`. promsls validates names with the legacy
/// rules: `legacy` is what it does; `utf8` is accepted with a warning.
enum NameSchemes {
    static let escapings = ["allow-utf-8", "underscores", "dots", "values"]

    /// - Parameter inheritedValidation: the global scheme for a job (nil for global itself).
    /// - Returns: the effective validation scheme.
    @discardableResult
    static func check(_ fields: Fields, inheritedValidation: String?) throws(ConfigError) -> String {
        var validation = inheritedValidation ?? "utf8"
        if let scheme = try fields.string("metric_name_validation_scheme"), !scheme.isEmpty {
            guard scheme == "legacy" || scheme == "utf8" else {
                throw fields.error("metric_name_validation_scheme", "unrecognized ValidationScheme: \(quoted(scheme))")
            }
            validation = scheme
            if scheme == "utf8" {
                fields.context.warn(
                    fields.keyNode("metric_name_validation_scheme")!, fields.keyPath("metric_name_validation_scheme"),
                    "promsls checks metric and label names in the config with the legacy rules ([a-zA-Z_:][a-zA-Z0-9_:]*); utf8 is treated as legacy"
                )
            }
        }
        if let escaping = try fields.string("metric_name_escaping_scheme"), !escaping.isEmpty {
            guard escapings.contains(escaping) else {
                throw fields.error(
                    "metric_name_escaping_scheme",
                    "unknown name escaping method specified, must be one of 'allow-utf-8', 'underscores', 'dots', or 'values', got \(quoted(escaping))"
                )
            }
            if escaping == "allow-utf-8", validation != "utf8" {
                throw fields.error(
                    "metric_name_escaping_scheme",
                    "utf8 metric names requested but validation scheme is not set to UTF8")
            }
        }
        return validation
    }
}
