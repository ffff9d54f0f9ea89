import Relabel
import Yams

/// `relabel_configs`, `metric_relabel_configs`, `write_relabel_configs` entries, with
/// Prometheus's defaults and the checks of `model/relabel` `Config.Validate` except regex
/// syntax (compiled and checked by the Relabel module).
/// https://prometheus.io/docs/prometheus/latest/configuration/configuration/#relabel_config
enum RelabelDecoder {
    static let keys = ["source_labels", "separator", "regex", "modulus", "target_label", "replacement", "action"]
    static let actions = [
        "replace", "keep", "drop", "keepequal", "dropequal", "hashmod", "labelmap", "labeldrop", "labelkeep",
        "lowercase", "uppercase",
    ]

    static func decodeList(_ fields: Fields, _ key: String) throws(ConfigError) -> [RelabelRuleConfig] {
        var rules: [RelabelRuleConfig] = []
        for item in try fields.sequence(key) ?? [] {
            guard !item.node.isNull else {
                let what =
                    switch key {
                    case "relabel_configs": "empty or null target relabeling rule"
                    case "metric_relabel_configs": "empty or null metric relabeling rule"
                    case "write_relabel_configs": "empty or null relabeling rule in remote write config"
                    default: "empty or null relabeling rule"
                    }
                throw fields.context.error(item.node, item.path, what)
            }
            rules.append(try decode(Fields(item.node, path: item.path, context: fields.context, known: keys)))
        }
        return rules
    }

    static func decode(_ fields: Fields) throws(ConfigError) -> RelabelRuleConfig {
        var rule = RelabelRuleConfig()
        rule.location = fields.context.location(fields.node)
        if let labels = try fields.stringList("source_labels") {
            for (index, name) in labels.enumerated() where !LabelName.isValid(name) {
                throw fields.context.error(
                    fields.value("source_labels"), "\(fields.keyPath("source_labels"))[\(index)]",
                    "\(quoted(name)) is not a valid label name")
            }
            rule.sourceLabels = labels
        }
        // An explicitly empty separator/replacement is kept (Prometheus distinguishes "" from unset).
        if fields.keyNode("separator") != nil { rule.separator = try fields.string("separator") ?? "" }
        if let regex = try fields.string("regex") {
            // Compiled here too, so a bad regex is reported before the other checks, as Prometheus
            // (which compiles it while reading the YAML) does.
            do {
                _ = try Regex(regex)
            } catch {
                throw fields.error("regex", error.message)
            }
            rule.regex = regex
        }
        if fields.keyNode("replacement") != nil { rule.replacement = try fields.string("replacement") ?? "" }
        rule.targetLabel = try fields.string("target_label") ?? ""
        if let modulus = try fields.string("modulus") {
            guard let value = UInt64(modulus.replacingUnderscores) else {
                throw fields.error("modulus", "\(quoted(modulus)) is not a non-negative integer")
            }
            rule.modulus = value
        }
        if fields.keyNode("action") != nil, (try fields.string("action") ?? "").isEmpty {
            throw fields.error("action", "relabel action cannot be empty")
        }
        if let action = try fields.string("action") {
            let lowered = action.lowercased()  // Prometheus lowercases the action
            guard actions.contains(lowered) else {
                var message =
                    "unknown relabel action \(quoted(action)); expected one of \(actions.joined(separator: ", "))"
                if let guess = closestMatch(to: lowered, in: actions) { message += " (did you mean \(quoted(guess))?)" }
                throw fields.error("action", message)
            }
            rule.action = lowered
        }
        try validate(rule, fields)
        return rule
    }

    /// Prometheus's `relabel.Config.Validate` (the checks and messages live in Relabel's
    /// `RelabelRule.validate`), reported at the key the error is about.
    private static func validate(_ rule: RelabelRuleConfig, _ fields: Fields) throws(ConfigError) {
        do {
            try RelabelRule.validate(
                action: rule.action, sourceLabels: rule.sourceLabels, separator: rule.separator, regex: rule.regex,
                modulus: rule.modulus, targetLabel: rule.targetLabel, replacement: rule.replacement)
        } catch {
            switch error.kind {
            case .zeroModulus: throw fields.missing("modulus", error.message)
            case .missingTargetLabel: throw fields.missing("target_label", error.message)
            case .invalidTargetLabel: throw fields.error("target_label", error.message)
            case .invalidReplacement: throw fields.error("replacement", error.message)
            default: throw fields.error("action", error.message)
            }
        }
    }
}
