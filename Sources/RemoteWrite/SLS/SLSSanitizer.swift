import AgentConfig
import Logging
import PromModel
import Prometheus

/// Makes label sets fit an SLS Metricstore's data model (`SLSDataModel`) before an `sls:`
/// entry sends them: characters outside the metric-name and label-name charsets become `_`
/// (as Prometheus's `strutil.SanitizeFullLabelName`, a leading digit too), and `|` in label
/// values is replaced. Applied where write relabeling is, once per series and WAL segment.
///
/// Counts each changed series in `promsls_sls_series_sanitized_total{reason}` (reasons
/// `metric_name`, `label_name`, `label_value_pipe`, `label_name_collision`; a series is counted
/// again in each WAL segment it is read from) and logs the first change of each metric name.
public final class SLSSanitizer: Sendable {
    public enum Reason: String, CaseIterable, Sendable {
        case metricName = "metric_name"
        case labelName = "label_name"
        case labelValuePipe = "label_value_pipe"
        /// Two names that became one: the later label (in name order) is kept.
        case labelNameCollision = "label_name_collision"
    }

    let model: SLSDataModel
    let counters: [Reason: Counter]
    private let logger: Logger
    private let lock = NSLockLite()
    /// Metric names already logged (bounded: at most `maxLogged`).
    private nonisolated(unsafe) var logged: Set<String> = []
    static let maxLogged = 1_000

    public init(model: SLSDataModel, registry: PrometheusCollectorRegistry, remoteName: String, logger: Logger) {
        self.model = model
        self.logger = logger
        var c: [Reason: Counter] = [:]
        for r in Reason.allCases {
            c[r] = registry.makeCounter(
                descriptor: .init(
                    metricName: "promsls_sls_series_sanitized_total", unitName: "",
                    helpText:
                        "Series changed to fit the SLS Metricstore data model before sending, by reason (counted in each WAL segment they are read from)."
                ), labels: [("remote_name", remoteName), ("reason", r.rawValue)])
        }
        counters = c
    }

    /// `relabel` followed by the data model, as one write-relabel function.
    public func after(_ relabel: WriteRelabel?) -> WriteRelabel {
        { [self] labels in
            guard let l = relabel.map({ $0(labels) }) ?? labels else { return nil }
            return self.apply(l)
        }
    }

    /// `labels` fitted to the data model (the same value when nothing had to change).
    public func apply(_ labels: Labels) -> Labels {
        guard !labels.allSatisfy({ Self.fits($0, model) }) else { return labels }
        var reasons: Set<Reason> = []
        var out: [Label] = []
        out.reserveCapacity(labels.count)
        var names: Set<String> = []
        for l in labels {
            var name = l.name
            var value = l.value
            if name == Labels.metricName {
                if !Self.isValidName(value, metric: true) {
                    value = Self.sanitize(value, metric: true)
                    reasons.insert(.metricName)
                }
            } else if !Self.isValidName(name, metric: false) {
                name = Self.sanitize(name, metric: false)
                reasons.insert(.labelName)
            }
            if let r = model.pipeReplacement, value.utf8.contains(UInt8(ascii: "|")) {
                value = value.split(separator: "|", omittingEmptySubsequences: false).joined(separator: r)
                reasons.insert(.labelValuePipe)
            }
            if !names.insert(name).inserted { reasons.insert(.labelNameCollision) }
            out.append(Label(name, value))
        }
        for r in reasons { counters[r]?.increment() }
        let fitted = Labels(out)
        let metric = labels.name ?? ""
        let first = lock.withLock { logged.count < Self.maxLogged && logged.insert(metric).inserted }
        if first {
            logger.warning(
                "SLS: series changed to fit the Metricstore data model (logged once per metric name)",
                metadata: [
                    "metric": "\(metric)", "reasons": "\(reasons.map(\.rawValue).sorted().joined(separator: ","))",
                    "sent_as": "\(fitted)",
                ])
        }
        return fitted
    }

    static func fits(_ l: Label, _ model: SLSDataModel) -> Bool {
        if model.pipeReplacement != nil && l.value.utf8.contains(UInt8(ascii: "|")) { return false }
        return l.name == Labels.metricName ? isValidName(l.value, metric: true) : isValidName(l.name, metric: false)
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*` (metric) or `[a-zA-Z_][a-zA-Z0-9_]*` (label).
    static func isValidName(_ s: String, metric: Bool) -> Bool {
        var first = true
        for b in s.utf8 {
            guard Self.allowed(b, first: first, metric: metric) else { return false }
            first = false
        }
        return !first
    }

    static func sanitize(_ s: String, metric: Bool) -> String {
        guard !s.isEmpty else { return "_" }
        var out = ""
        out.reserveCapacity(s.utf8.count)
        var first = true
        for ch in s.unicodeScalars {
            let ok = ch.isASCII && allowed(UInt8(ch.value), first: first, metric: metric)
            out.unicodeScalars.append(ok ? ch : "_")
            first = false
        }
        return out
    }

    @inline(__always) static func allowed(_ b: UInt8, first: Bool, metric: Bool) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"): true
        case UInt8(ascii: "0")...UInt8(ascii: "9"): !first
        case UInt8(ascii: ":"): metric
        default: false
        }
    }
}
