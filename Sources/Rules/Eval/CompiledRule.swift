import PromModel

/// A rule ready to evaluate: its labels merged with its group's, alerting templates parsed.
struct CompiledRule: Sendable {
    struct Field: Sendable {
        var name: String
        var value: String
        /// Parsed once at load for alerting rules; nil for recording rules' labels.
        var template: AlertTemplate?
    }

    let definition: RuleDefinition
    let labels: [Field]
    let annotations: [Field]

    var name: String { definition.name }

    /// - Throws: `RuleFileError`-worded text if a template does not parse (the loader has
    ///   checked them already, so this happens only for groups built by hand).
    init(_ rule: RuleDefinition, groupLabels: Labels) throws(TemplateError) {
        definition = rule
        var merged: [(String, String)] = groupLabels.map { ($0.name, $0.value) }
        for (n, v) in rule.labels {
            if let i = merged.firstIndex(where: { $0.0 == n }) { merged[i].1 = v } else { merged.append((n, v)) }
        }
        let templateName = "__alert_" + rule.name
        let alerting = rule.isAlerting
        labels = try merged.map { (n, v) throws(TemplateError) in
            Field(name: n, value: v, template: alerting ? try AlertTemplate(v, name: templateName) : nil)
        }
        annotations = try rule.annotations.map { (n, v) throws(TemplateError) in
            Field(name: n, value: v, template: try AlertTemplate(v, name: templateName))
        }
    }

    /// Labels whose value has no template action, usable as `ALERTS_FOR_STATE` matchers.
    var staticLabels: [(String, String)] {
        labels.filter { !$0.value.contains("{{") }.map { ($0.name, $0.value) }
    }
}

/// Why a rule evaluation failed (besides the query itself).
struct RuleEvalError: Error, Sendable, CustomStringConvertible {
    var description: String
}

enum RecordingRuleEval {
    /// The samples a recording rule writes for one query result (Prometheus
    /// `RecordingRule.Eval`): `__name__` set to `record`, the rule's labels set (an empty value
    /// removes the label), at the samples' own timestamps.
    /// - Throws: when two results end with the same labels, or over `limit` series.
    static func samples(_ vector: [QuerySample], record: String, labels: [CompiledRule.Field], limit: Int)
        throws(RuleEvalError) -> [QuerySample]
    {
        var out: [QuerySample] = []
        out.reserveCapacity(vector.count)
        var seen: Set<Labels> = []
        for s in vector {
            var b = LabelsBuilder(s.labels)
            b.set(Labels.metricName, record)
            for l in labels { b.set(l.name, l.value) }
            let ls = b.labels()
            guard seen.insert(ls).inserted else {
                throw RuleEvalError(
                    description: "vector contains metrics with the same labelset after applying rule labels")
            }
            out.append(QuerySample(labels: ls, value: s.value, timestampMs: s.timestampMs))
        }
        if limit > 0 && out.count > limit {
            throw RuleEvalError(description: "exceeded limit \(limit) with \(out.count) series")
        }
        return out
    }
}
