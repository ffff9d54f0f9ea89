import PromModel

/// One rule file's group as written (Prometheus `rulefmt.RuleGroup`), checked.
public struct RuleGroupDefinition: Sendable {
    /// Unique within its file.
    public var name: String
    /// The file the group was read from, as given (resolved glob match).
    public var file: String
    /// `interval`; nil: `global.evaluation_interval`.
    public var interval: Duration?
    /// `query_offset`; nil: `global.rule_query_offset`, then promsls's default.
    public var queryOffset: Duration?
    /// `limit`: at most this many series (recording) or alerts (alerting) per rule; 0: none.
    public var limit: Int = 0
    /// `labels`: added to every rule's labels (a rule's own label of the same name wins).
    public var labels: Labels = Labels()
    public var rules: [RuleDefinition] = []
    /// Line of the group's `name` in its file.
    public var line: Int = 0

    public init(name: String, file: String) {
        self.name = name
        self.file = file
    }
}

/// One rule as written (Prometheus `rulefmt.Rule`), checked.
public struct RuleDefinition: Sendable {
    public enum Kind: Sendable, Equatable {
        /// `record: NAME`.
        case recording(String)
        /// `alert: NAME`.
        case alerting(String)
    }

    public var kind: Kind
    /// The PromQL expression, sent to the query API as written (promsls does not parse it).
    public var expr: String
    /// `for` (alerting rules): how long an alert is pending before it fires.
    public var forDuration: Duration = .zero
    /// `keep_firing_for` (alerting rules): how long an alert keeps firing after its condition
    /// cleared.
    public var keepFiringFor: Duration = .zero
    /// `labels`, merged with the group's. For alerting rules the values are templates.
    public var labels: [(name: String, value: String)] = []
    /// `annotations` (alerting rules): values are templates.
    public var annotations: [(name: String, value: String)] = []
    /// Line of the rule's `record` or `alert` key in its file.
    public var line: Int = 0

    public init(kind: Kind, expr: String) {
        self.kind = kind
        self.expr = expr
    }

    /// The `record` or `alert` name.
    public var name: String {
        switch kind {
        case .recording(let n), .alerting(let n): n
        }
    }

    public var isAlerting: Bool {
        if case .alerting = kind { return true }
        return false
    }
}

/// A rule file that cannot be used: the file, the position and Prometheus's message
/// (`rulefmt`'s wording: `group "g", rule 2, "name": invalid label name: …`).
public struct RuleFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// 1-based; 0 when the error concerns the whole file.
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `FILE:LINE:COLUMN: MESSAGE` (or `FILE: MESSAGE` without a position).
    public var description: String {
        line > 0 ? "\(file):\(line):\(column): \(message)" : "\(file): \(message)"
    }
}

extension RuleDefinition: Equatable {
    public static func == (a: RuleDefinition, b: RuleDefinition) -> Bool {
        a.kind == b.kind && a.expr == b.expr && a.forDuration == b.forDuration && a.keepFiringFor == b.keepFiringFor
            && a.labels.elementsEqual(b.labels) { $0 == $1 }
            && a.annotations.elementsEqual(b.annotations) { $0 == $1 }
    }

    /// The name and labels, which identify a rule across reloads (Prometheus `nameAndLabels`).
    var identity: String {
        name + "{" + labels.map { "\($0.name)=\($0.value)" }.sorted().joined(separator: ",") + "}"
    }
}

extension RuleGroupDefinition: Equatable {
    /// Equal in everything evaluation depends on (not the line numbers).
    public static func == (a: RuleGroupDefinition, b: RuleGroupDefinition) -> Bool {
        a.name == b.name && a.file == b.file && a.interval == b.interval && a.queryOffset == b.queryOffset
            && a.limit == b.limit && a.labels == b.labels && a.rules == b.rules
    }
}
