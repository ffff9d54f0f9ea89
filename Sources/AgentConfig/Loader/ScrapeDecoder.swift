import PromModel
import Yams

/// One `scrape_configs` entry, with globals inherited (Prometheus `ScrapeConfig.Validate`).
enum ScrapeDecoder {
    static let keys =
        [
            "job_name", "scrape_interval", "scrape_timeout", "metrics_path", "scheme", "params", "honor_labels",
            "honor_timestamps", "static_configs", "relabel_configs", "metric_relabel_configs", "sample_limit",
            "label_limit", "label_name_length_limit", "label_value_length_limit", "target_limit", "body_size_limit",
            "file_sd_configs", "http_sd_configs", "dns_sd_configs", "kubernetes_sd_configs", "scrape_protocols",
            "fallback_scrape_protocol",
            "track_timestamps_staleness", "enable_compression", "keep_dropped_targets", "extra_scrape_metrics",
            "scrape_failure_log_file", "metric_name_validation_scheme", "metric_name_escaping_scheme",
            "always_scrape_classic_histograms", "scrape_classic_histograms",
        ] + HTTPClientDecoder.keys

    static let unsupported: [String: String] = HTTPClientDecoder.unsupported

    /// Accepted with a warning: native-histogram settings (promsls sends classic histograms).
    static let meaningless: [String: String] = {
        var table = HistogramKeys.meaningless
        for key in ["native_histogram_bucket_limit", "native_histogram_min_bucket_factor"] {
            table[key] = HistogramKeys.meaningless["scrape_native_histograms"]
        }
        return table
    }()

    static func decode(
        _ node: Node, path: String, global: GlobalConfig, _ context: LoadContext, seenJobNames: inout Set<String>
    ) throws(ConfigError) -> ScrapeConfig {
        guard !node.isNull else { throw context.error(node, path, "empty or null scrape config section") }
        let fields = try Fields(
            node, path: path, context: context, known: keys, unsupported: unsupported, meaningless: meaningless,
            discoveries: true)
        let name = try fields.string("job_name") ?? ""
        guard !name.isEmpty else { throw fields.missing("job_name", "job_name is empty") }
        guard seenJobNames.insert(name).inserted else {
            throw fields.error("job_name", "found multiple scrape configs with job name \(quoted(name))")
        }
        var job = ScrapeConfig(jobName: name)

        // Intervals: inherit; an unset timeout is the global one, capped by this job's interval.
        let interval = try fields.duration("scrape_interval").flatMap { $0 > .zero ? $0 : nil }
        let timeout = try fields.duration("scrape_timeout").flatMap { $0 > .zero ? $0 : nil }
        job.scrapeInterval = interval ?? global.scrapeInterval
        job.scrapeTimeout = timeout ?? min(global.scrapeTimeout, job.scrapeInterval)
        if job.scrapeTimeout > job.scrapeInterval {
            throw fields.error(
                timeout != nil ? "scrape_timeout" : "scrape_interval",
                "scrape timeout (\(formatPrometheusDuration(job.scrapeTimeout))) greater than scrape interval (\(formatPrometheusDuration(job.scrapeInterval))) for scrape config with job name \(quoted(name))"
            )
        }

        if let metricsPath = try fields.string("metrics_path") {
            guard metricsPath.hasPrefix("/") else {
                throw fields.error("metrics_path", "must start with \"/\", got \(quoted(metricsPath))")
            }
            job.metricsPath = metricsPath
        }
        if let scheme = try fields.string("scheme") {
            guard scheme == "http" || scheme == "https" else {
                throw fields.error("scheme", "\(quoted(scheme)) is not a valid scheme (use http or https)")
            }
            job.scheme = scheme
        }
        job.params = try params(fields)
        job.honorLabels = try fields.bool("honor_labels") ?? false
        job.honorTimestamps = try fields.bool("honor_timestamps") ?? true
        job.trackTimestampsStaleness = try fields.bool("track_timestamps_staleness") ?? false
        job.enableCompression = try fields.bool("enable_compression") ?? true
        job.keepDroppedTargets = try fields.int("keep_dropped_targets") ?? global.keepDroppedTargets
        job.extraScrapeMetrics = try fields.bool("extra_scrape_metrics") ?? global.extraScrapeMetrics
        job.scrapeFailureLogFile =
            try fields.string("scrape_failure_log_file").flatMap { $0.isEmpty ? nil : context.resolve(path: $0) }
            ?? global.scrapeFailureLogFile
        try NameSchemes.check(fields, inheritedValidation: global.metricNameValidationScheme)
        _ = try fields.bool("always_scrape_classic_histograms")
        _ = try fields.bool("scrape_classic_histograms")

        job.staticConfigs = try staticConfigs(fields)
        job.fileSDConfigs = try DiscoveryDecoder.fileSD(fields)
        job.httpSDConfigs = try DiscoveryDecoder.httpSD(fields)
        job.dnsSDConfigs = try DiscoveryDecoder.dnsSD(fields)
        job.kubernetesSDConfigs = try KubernetesSDDecoder.decode(fields)
        job.httpClient = try HTTPClientDecoder.decode(fields)
        job.relabelConfigs = try RelabelDecoder.decodeList(fields, "relabel_configs")
        job.metricRelabelConfigs = try RelabelDecoder.decodeList(fields, "metric_relabel_configs")
        if job.relabelConfigs.isEmpty { try checkStaticTargets(fields) }

        job.sampleLimit = try fields.int("sample_limit") ?? global.sampleLimit
        job.labelLimit = try fields.int("label_limit") ?? global.labelLimit
        job.labelNameLengthLimit = try fields.int("label_name_length_limit") ?? global.labelNameLengthLimit
        job.labelValueLengthLimit = try fields.int("label_value_length_limit") ?? global.labelValueLengthLimit
        job.targetLimit = try fields.int("target_limit") ?? global.targetLimit
        job.bodySizeLimitBytes = try fields.byteSize("body_size_limit") ?? global.bodySizeLimitBytes

        job.scrapeProtocols = try scrapeProtocols(fields) ?? global.scrapeProtocols
        if let fallback = try fields.string("fallback_scrape_protocol") {
            guard GlobalConfig.knownScrapeProtocols.contains(fallback) else {
                throw fields.error("fallback_scrape_protocol", unknownProtocol(fallback))
            }
            job.fallbackScrapeProtocol = fallback
        }
        return job
    }

    /// `scrape_protocols:` — known names, no duplicates, not empty.
    static func scrapeProtocols(_ fields: Fields) throws(ConfigError) -> [String]? {
        guard let list = try fields.stringList("scrape_protocols") else { return nil }
        guard !list.isEmpty else { throw fields.error("scrape_protocols", "scrape_protocols cannot be empty") }
        var seen: Set<String> = []
        for (index, name) in list.enumerated() {
            let path = "\(fields.keyPath("scrape_protocols"))[\(index)]"
            guard GlobalConfig.knownScrapeProtocols.contains(name) else {
                throw fields.context.error(fields.value("scrape_protocols"), path, unknownProtocol(name))
            }
            guard seen.insert(name).inserted else {
                throw fields.context.error(
                    fields.value("scrape_protocols"), path, "duplicated protocol in scrape_protocols: \(name)")
            }
        }
        return list
    }

    private static func unknownProtocol(_ name: String) -> String {
        "unknown scrape protocol \(quoted(name)); supported: \(GlobalConfig.knownScrapeProtocols.sorted().joined(separator: ", "))"
    }

    /// `params:` — each name maps to a list of values (a single value is accepted too).
    private static func params(_ fields: Fields) throws(ConfigError) -> [String: [String]] {
        guard let node = fields.value("params") else { return [:] }
        let section = fields.context
        guard case .mapping(let mapping) = node else {
            throw fields.error("params", "expected a mapping of names to lists of values, got \(node.kindName)")
        }
        var params: [String: [String]] = [:]
        for (key, value) in mapping {
            let name = try section.scalar(key, fields.keyPath("params"))
            let path = child(fields.keyPath("params"), name)
            if case .sequence(let items) = value {
                var values: [String] = []
                for item in items { values.append(try section.scalar(item, path)) }
                params[name] = values
            } else {
                params[name] = [try section.scalar(value, path)]
            }
        }
        return params
    }

    /// Without `relabel_configs` a static target cannot become a `host:port`: Prometheus
    /// refuses URLs in target groups at load (`checkStaticTargets`).
    private static func checkStaticTargets(_ fields: Fields) throws(ConfigError) {
        for item in try fields.sequence("static_configs") ?? [] {
            let group = try Fields(item.node, path: item.path, context: fields.context, known: ["targets", "labels"])
            for (index, target) in (try group.stringList("targets") ?? []).enumerated() where target.contains("/") {
                throw fields.context.error(
                    group.value("targets"), "\(group.keyPath("targets"))[\(index)]",
                    "\(quoted(target)) is not a valid hostname")
            }
        }
    }

    static func staticConfigs(_ fields: Fields) throws(ConfigError) -> [StaticConfig] {
        var groups: [StaticConfig] = []
        for item in try fields.sequence("static_configs") ?? [] {
            guard !item.node.isNull else {
                throw fields.context.error(item.node, item.path, "empty or null section in static_configs")
            }
            let group = try Fields(item.node, path: item.path, context: fields.context, known: ["targets", "labels"])
            let targets = try group.stringList("targets") ?? []
            // Addresses are checked after relabeling, as Prometheus does: blackbox-style jobs
            // list URLs here and move them into `__param_target`.
            let labels = try LabelChecks.labels(
                group.stringMap("labels", labels: true) ?? [], fields: group, key: "labels")
            groups.append(StaticConfig(targets: targets, labels: labels))
        }
        return groups
    }
}
