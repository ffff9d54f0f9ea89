import AgentConfig
import PromModel
import Relabel
import Yams

/// Reads rule files as Prometheus's `rulefmt.Parse` and `Validate` do: strict keys, durations,
/// label and annotation names, `record` names, duplicate groups, and (for alerting rules) the
/// templates of labels and annotations. `expr` is kept as written: the query API parses it.
///
/// Every error carries the file, line and column, as `promtool check rules` prints them.
public enum RuleFileParser {
    static let fileKeys: Set<String> = ["groups"]
    static let groupKeys: Set<String> = ["name", "interval", "query_offset", "limit", "labels", "rules"]
    static let ruleKeys: Set<String> = [
        "record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations",
    ]

    /// Parses one rule file's text.
    /// - Parameters:
    ///   - yaml: the file's contents.
    ///   - file: its path, for errors and `RuleGroupDefinition.file`.
    /// - Returns: the groups, in file order.
    /// - Throws: every problem found, in file order (at least one).
    public static func parse(yaml: String, file: String) throws(RuleFileErrors) -> [RuleGroupDefinition] {
        var errors: [RuleFileError] = []
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw RuleFileErrors([RuleFileError(file: file, line: 0, column: 0, message: "invalid YAML: \(error)")])
        }
        guard let root, !root.isNullValue else { return [] }
        var reader = Reader(file: file)
        let groups = reader.file(root)
        errors = reader.errors
        if !errors.isEmpty { throw RuleFileErrors(errors) }
        return groups
    }

    struct Reader {
        let file: String
        var errors: [RuleFileError] = []

        init(file: String) { self.file = file }

        mutating func fail(_ node: Node?, _ message: String) {
            errors.append(
                RuleFileError(
                    file: file, line: node?.mark?.line ?? 0, column: node?.mark?.column ?? 0, message: message))
        }

        /// The entries of a mapping, with unknown keys reported as yaml.v3's strict decoder does.
        mutating func mapping(_ node: Node, known: Set<String>, type: String) -> [String: (key: Node, value: Node)]? {
            guard case .mapping(let mapping) = node else {
                fail(node, "expected a mapping for \(type), got \(kind(node))")
                return nil
            }
            var out: [String: (key: Node, value: Node)] = [:]
            for (key, value) in mapping {
                guard let name = key.scalar?.string else {
                    fail(key, "expected a string key in \(type)")
                    continue
                }
                guard known.contains(name) else {
                    fail(key, "field \(name) not found in type \(type)")
                    continue
                }
                if out[name] != nil {
                    fail(key, "mapping key \(quoted(name)) already defined")
                    continue
                }
                out[name] = (key, value)
            }
            return out
        }

        mutating func file(_ root: Node) -> [RuleGroupDefinition] {
            guard let top = mapping(root, known: RuleFileParser.fileKeys, type: "rulefmt.RuleGroups") else { return [] }
            guard let groups = top["groups"]?.value, !groups.isNullValue else { return [] }
            guard case .sequence(let items) = groups else {
                fail(groups, "groups: expected a list of rule groups, got \(kind(groups))")
                return []
            }
            var out: [RuleGroupDefinition] = []
            var names: Set<String> = []
            for item in items {
                guard let group = self.group(item) else { continue }
                if group.name.isEmpty {
                    fail(item, "Groupname must not be empty")
                } else if !names.insert(group.name).inserted {
                    fail(nameNode(item) ?? item, "groupname: \"\(group.name)\" is repeated in the same file")
                }
                out.append(group)
            }
            return out
        }

        private func nameNode(_ item: Node) -> Node? {
            guard case .mapping(let m) = item else { return nil }
            return m.first { $0.key.scalar?.string == "name" }?.value
        }

        mutating func group(_ node: Node) -> RuleGroupDefinition? {
            guard let fields = mapping(node, known: RuleFileParser.groupKeys, type: "rulefmt.RuleGroup") else {
                return nil
            }
            let name = fields["name"].flatMap { string($0.value) } ?? ""
            var group = RuleGroupDefinition(name: name, file: file)
            group.line = fields["name"]?.value.mark?.line ?? node.mark?.line ?? 0
            group.interval = fields["interval"].flatMap { duration($0.value) }
            group.queryOffset = fields["query_offset"].flatMap { duration($0.value) }
            if let limit = fields["limit"]?.value {
                if let n = limit.scalar.flatMap({ Int($0.string) }), n >= 0 {
                    group.limit = n
                } else {
                    fail(
                        limit,
                        "limit: expected a non-negative integer, got \(quoted(limit.scalar?.string ?? kind(limit)))")
                }
            }
            if let labels = fields["labels"]?.value {
                group.labels = Labels(pairs(labels, what: "label").map { Label($0.name, $0.value) })
            }
            guard let rules = fields["rules"]?.value, !rules.isNullValue else { return group }
            guard case .sequence(let items) = rules else {
                fail(rules, "rules: expected a list of rules, got \(kind(rules))")
                return group
            }
            for (index, item) in items.enumerated() {
                if let rule = self.rule(item, group: name, index: index + 1) { group.rules.append(rule) }
            }
            return group
        }

        mutating func rule(_ node: Node, group: String, index: Int) -> RuleDefinition? {
            guard let fields = mapping(node, known: RuleFileParser.ruleKeys, type: "rulefmt.Rule") else { return nil }
            let record = fields["record"].flatMap { string($0.value) } ?? ""
            let alert = fields["alert"].flatMap { string($0.value) } ?? ""
            let ruleName = alert.isEmpty ? record : alert
            let at = fields["alert"]?.value ?? fields["record"]?.value ?? node
            let before = errors.count
            func ruleError(_ n: Node?, _ message: String) {
                errors.append(
                    RuleFileError(
                        file: file, line: (n ?? at).mark?.line ?? 0, column: (n ?? at).mark?.column ?? 0,
                        message: "group \"\(group)\", rule \(index), \"\(ruleName)\": \(message)"))
            }
            if !record.isEmpty && !alert.isEmpty {
                ruleError(fields["record"]?.value, "only one of 'record' and 'alert' must be set")
            } else if record.isEmpty && alert.isEmpty {
                ruleError(node, "one of 'record' or 'alert' must be set")
            }
            let expr = fields["expr"].flatMap { string($0.value) } ?? ""
            if expr.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }) {
                ruleError(fields["expr"]?.value, "field 'expr' must be set in rule")
            }
            var rule = RuleDefinition(kind: alert.isEmpty ? .recording(record) : .alerting(alert), expr: expr)
            rule.line = at.mark?.line ?? 0
            if !record.isEmpty {
                if let a = fields["annotations"] { ruleError(a.key, "invalid field 'annotations' in recording rule") }
                if let f = fields["for"] { ruleError(f.key, "invalid field 'for' in recording rule") }
                if let k = fields["keep_firing_for"] {
                    ruleError(k.key, "invalid field 'keep_firing_for' in recording rule")
                }
                if !LabelName.isValidMetricName(record) {
                    ruleError(fields["record"]?.value, "invalid recording rule name: \(record)")
                }
            }
            rule.forDuration = fields["for"].flatMap { duration($0.value) } ?? .zero
            rule.keepFiringFor = fields["keep_firing_for"].flatMap { duration($0.value) } ?? .zero
            var templates: [(kind: String, name: String, value: String, node: Node)] = []
            if let labels = fields["labels"]?.value {
                for pair in pairs(labels, what: "label") {
                    templates.append(("label", pair.name, pair.value, pair.node))
                    if !LabelName.isValid(pair.name) || pair.name == Labels.metricName {
                        ruleError(pair.node, "invalid label name: \(pair.name)")
                    }
                    rule.labels.append((pair.name, pair.value))
                }
            }
            if let annotations = fields["annotations"]?.value {
                for pair in pairs(annotations, what: "annotation") {
                    templates.append(("annotation", pair.name, pair.value, pair.node))
                    if !LabelName.isValid(pair.name) {
                        ruleError(pair.node, "invalid annotation name: \(pair.name)")
                    }
                    rule.annotations.append((pair.name, pair.value))
                }
            }
            if !alert.isEmpty {
                // Prometheus parses the templates at load (`testTemplateParsing`) with the name
                // `__alert_NAME`; a template error names the label or annotation.
                for t in templates {
                    if let problem = templateProblem(t.value, name: "__alert_" + alert) {
                        ruleError(t.node, "\(t.kind) \(quoted(t.name)): \(problem)")
                    }
                }
            }
            return errors.count == before ? rule : nil
        }

        /// A string-valued mapping (`labels`, `annotations`), in file order.
        mutating func pairs(_ node: Node, what: String) -> [(name: String, value: String, node: Node)] {
            if node.isNullValue { return [] }
            guard case .mapping(let mapping) = node else {
                fail(node, "\(what)s: expected a mapping, got \(kind(node))")
                return []
            }
            var out: [(name: String, value: String, node: Node)] = []
            for (key, value) in mapping {
                guard let name = key.scalar?.string else {
                    fail(key, "expected a string \(what) name")
                    continue
                }
                guard value.isNullValue || value.scalar != nil else {
                    fail(value, "\(what) \(quoted(name)): expected a string, got \(kind(value))")
                    continue
                }
                out.append((name, value.scalar?.string ?? "", key))
            }
            return out
        }

        mutating func string(_ node: Node) -> String? {
            if node.isNullValue { return "" }
            guard let s = node.scalar?.string else {
                fail(node, "expected a string, got \(kind(node))")
                return nil
            }
            return s
        }

        mutating func duration(_ node: Node) -> Duration? {
            guard let text = node.scalar?.string, !node.isNullValue else { return nil }
            guard let d = parsePrometheusDuration(text) else {
                fail(node, "not a valid duration string: \(quoted(text))")
                return nil
            }
            return d
        }

        func kind(_ node: Node) -> String {
            switch node {
            case .scalar: "a scalar"
            case .mapping: "a mapping"
            case .sequence: "a list"
            case .alias: "an alias"
            }
        }
    }
}

/// Every problem of one rule file, in file order.
public struct RuleFileErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [RuleFileError]
    public init(_ errors: [RuleFileError]) { self.errors = errors }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// Go's `%q`, as Prometheus's messages quote.
func quoted(_ s: String) -> String { GoString.quote(s) }

extension Node {
    /// `~`, `null`, `Null`, `NULL` or an empty plain scalar, as YAML's core schema.
    var isNullValue: Bool {
        guard case .scalar(let s) = self, s.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(s.string)
    }
}
