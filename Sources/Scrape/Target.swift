import AgentConfig
import PromModel

/// A function that rewrites a label set or drops it (nil): compiled relabel rules.
public typealias LabelsTransform = @Sendable (Labels) -> Labels?

/// A scrape job as the scrape manager runs it: the config plus its compiled relabel rules.
public struct ScrapeJob: Sendable {
    public var config: ScrapeConfig
    /// `relabel_configs`, applied to discovered target labels.
    public var targetRelabel: LabelsTransform?
    /// `metric_relabel_configs`, applied to every scraped sample's labels.
    public var metricRelabel: LabelsTransform?
    /// Also write `scrape_timeout_seconds`, `scrape_sample_limit`, `scrape_body_size_bytes`
    /// (Prometheus's `--enable-feature=extra-scrape-metrics`).
    public var extraScrapeMetrics: Bool

    public init(
        config: ScrapeConfig, targetRelabel: LabelsTransform? = nil, metricRelabel: LabelsTransform? = nil,
        extraScrapeMetrics: Bool = false
    ) {
        self.config = config
        self.targetRelabel = targetRelabel
        self.metricRelabel = metricRelabel
        self.extraScrapeMetrics = extraScrapeMetrics
    }
}

/// One target of a scrape pool: where to scrape and which labels to attach.
///
/// Built the way Prometheus's `scrape.PopulateLabels` does:
/// https://prometheus.io/docs/prometheus/latest/configuration/configuration/#relabel_config
public struct Target: Sendable, Hashable {
    /// Labels as discovered, with the `__` labels the job adds, before relabeling.
    public var discoveredLabels: Labels
    /// Labels attached to every sample (no `__` labels), including `job` and `instance`.
    public var labels: Labels
    /// The full scrape URL (scheme, address, path, query).
    public var url: String
    public var intervalSeconds: Double
    public var timeoutSeconds: Double

    /// A stable identity: same labels and URL mean the same target (deduplication, reloads).
    public var identity: UInt64 { labels.stableHash ^ Labels([Label("__url__", url)]).stableHash }
}

/// Why a discovered label set did not become a target.
public enum TargetDropReason: Error, Sendable, Equatable {
    case relabeling
    case emptyAddress
    case invalidAddress(String)
}

/// Builds targets from a job's discovered target groups.
public enum TargetBuilder {
    /// Populates the job's `__` labels on one discovered label set, applies `relabel_configs`,
    /// defaults `instance` to `__address__`, and removes labels starting with `__`.
    ///
    /// - Returns: the target, or the reason it was dropped.
    public static func build(
        discovered: Labels, job: ScrapeJob
    ) -> Result<Target, TargetDropReason> {
        let cfg = job.config
        var b = LabelsBuilder(discovered)
        func setDefault(_ name: String, _ value: String) {
            if b.get(name) == nil { b.set(name, value) }
        }
        setDefault("job", cfg.jobName)
        setDefault("__scheme__", cfg.scheme)
        setDefault("__metrics_path__", cfg.metricsPath)
        setDefault("__scrape_interval__", formatPrometheusDuration(cfg.scrapeInterval))
        setDefault("__scrape_timeout__", formatPrometheusDuration(cfg.scrapeTimeout))
        for (name, values) in cfg.params.sorted(by: { $0.key < $1.key }) {
            if let first = values.first { setDefault("__param_\(name)", first) }
        }
        let preRelabel = b.labels()
        var relabeled = preRelabel
        if let relabel = job.targetRelabel {
            guard let out = relabel(preRelabel) else { return .failure(.relabeling) }
            relabeled = out
        }
        guard let address = relabeled["__address__"], !address.isEmpty else {
            return .failure(.emptyAddress)
        }
        if address.contains("/") {
            return .failure(.invalidAddress("\"\(address)\" is not a valid host:port address"))
        }
        let scheme = relabeled["__scheme__"] ?? cfg.scheme
        let path = relabeled["__metrics_path__"] ?? cfg.metricsPath
        let interval = relabeled["__scrape_interval__"].flatMap(parseDurationSeconds) ?? cfg.scrapeInterval.totalSeconds
        let timeout = relabeled["__scrape_timeout__"].flatMap(parseDurationSeconds) ?? cfg.scrapeTimeout.totalSeconds

        // URL query: config params, overridden by __param_ labels (first value each).
        var query: [(String, String)] = []
        var seen = Set<String>()
        for l in relabeled where l.name.hasPrefix("__param_") {
            let name = String(l.name.dropFirst("__param_".count))
            query.append((name, l.value))
            seen.insert(name)
        }
        for (name, values) in cfg.params.sorted(by: { $0.key < $1.key }) where !seen.contains(name) {
            for v in values.dropFirst() { query.append((name, v)) }
        }
        for (name, values) in cfg.params.sorted(by: { $0.key < $1.key }) where seen.contains(name) {
            for v in values.dropFirst() { query.append((name, v)) }
        }

        var out = LabelsBuilder(relabeled)
        if out.get("instance") == nil { out.set("instance", address) }
        out.removeAll { $0.name.hasPrefix("__") }

        var url = "\(scheme)://\(address)\(path.hasPrefix("/") ? path : "/" + path)"
        if !query.isEmpty {
            url +=
                (url.contains("?") ? "&" : "?")
                + query.map { "\(percentEncode($0.0))=\(percentEncode($0.1))" }.joined(separator: "&")
        }
        return .success(
            Target(
                discoveredLabels: preRelabel, labels: out.labels(), url: url,
                intervalSeconds: interval, timeoutSeconds: timeout
            ))
    }

    /// Expands a job's static configs into discovered label sets (`__address__` plus the
    /// group's labels).
    public static func staticLabelSets(_ cfg: ScrapeConfig) -> [Labels] {
        var out: [Labels] = []
        for sc in cfg.staticConfigs {
            for t in sc.targets {
                var b = LabelsBuilder(sc.labels)
                b.set("__address__", t)
                out.append(b.labels())
            }
        }
        return out
    }

    /// Parses Prometheus's duration syntax into seconds; nil when invalid.
    static func parseDurationSeconds(_ s: String) -> Double? {
        parsePrometheusDuration(s)?.totalSeconds
    }

    static func percentEncode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(Character(Unicode.Scalar(b)))
            default:
                out += "%" + String(b, radix: 16, uppercase: true).leftPad(2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
