import PromModel

/// `/api/v1/targets/metadata` in Prometheus's shape:
/// https://prometheus.io/docs/prometheus/latest/querying/api/#querying-target-metadata
///
/// Parameters: `match_target` (label selector on target labels), `metric` (one family; its
/// entries then omit `metric`, as Prometheus does), `limit` (stop adding entries once that
/// many were collected, checked before each target, as Prometheus does).
enum MetadataAPI {
    struct BadRequest: Error { var message: String }

    static func render(
        targets: [TargetStatus], matchTarget: String?, metric: String?, limit: String?
    ) throws(BadRequest) -> String {
        var max = -1
        if let limit, !limit.isEmpty {
            guard let n = Int(limit) else { throw BadRequest(message: "limit must be a number") }
            max = n
        }
        var matchers: [LabelMatcher] = []
        if let matchTarget, !matchTarget.isEmpty {
            do {
                matchers = try LabelMatcher.parseSelector(matchTarget)
            } catch {
                throw BadRequest(message: error.message)
            }
        }
        let metric = metric.flatMap { $0.isEmpty ? nil : $0 }
        var entries: [String] = []
        for t in targets {
            if max >= 0 && entries.count >= max { break }
            guard matchers.allSatisfy({ $0.matches(t.labels) }) else { continue }
            let target = JSON.labels(t.labels)
            if let metric {
                if let md = t.metadata[metric] { entries.append(entry(target: target, metric: nil, md)) }
            } else {
                for name in t.metadata.keys.sorted() {
                    entries.append(entry(target: target, metric: name, t.metadata[name]!))
                }
            }
        }
        return JSON.success("[" + entries.joined(separator: ",") + "]")
    }

    static func entry(target: String, metric: String?, _ md: MetricMetadata) -> String {
        var o = "{\"target\":\(target)"
        if let metric { o += ",\"metric\":\(JSON.string(metric))" }
        o +=
            ",\"type\":\(JSON.string(typeName(md.type))),\"help\":\(JSON.string(md.help)),\"unit\":\(JSON.string(md.unit))}"
        return o
    }

    /// Prometheus reports the text format's `untyped` as `unknown`.
    static func typeName(_ t: MetricType) -> String { t == .untyped ? "unknown" : t.rawValue }
}
