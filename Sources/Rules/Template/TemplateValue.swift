/// A Go value as a Prometheus template sees it.
enum TemplateValue: Sendable {
    /// No value (Go's invalid `reflect.Value`): prints `<no value>`.
    case missing
    /// A nil interface or pointer: prints `<nil>`.
    case nilValue
    case bool(Bool)
    case int(Int)
    /// A `uint8`, from indexing a string.
    case byte(UInt8)
    case float(Double)
    case string(String)
    /// `html/template.HTML`, from `safeHtml`.
    case html(String)
    /// `map[string]string`: labels.
    case labels([String: String])
    /// `map[string]interface{}`, from `args`.
    case map([String: TemplateValue])
    /// A query result (`template.queryResult`, a `[]*sample`).
    case samples([TemplateSample])
    /// One sample (`*template.sample`).
    case sample(TemplateSample)
    /// `time.Duration`, in nanoseconds.
    case duration(Int64)
    /// `*time.Time`, from `toTime`.
    case time(GoTime)
    /// The data the template runs on (`.Labels`, `.ExternalLabels`, `.ExternalURL`, `.Value`).
    case alert(TemplateData)

    /// Go's `reflect.Type.String()` of the value, for messages.
    var goTypeName: String {
        switch self {
        case .missing: return "<invalid reflect.Value>"
        case .nilValue: return "<nil>"
        case .bool: return "bool"
        case .int: return "int"
        case .byte: return "uint8"
        case .float: return "float64"
        case .string: return "string"
        case .html: return "template.HTML"
        case .labels: return "map[string]string"
        case .map: return "map[string]interface {}"
        case .samples: return "template.queryResult"
        case .sample: return "*template.sample"
        case .duration: return "time.Duration"
        case .time: return "*time.Time"
        case .alert:
            return "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; "
                + "Value interface {} }"
        }
    }

    var isNil: Bool {
        switch self {
        case .missing, .nilValue: return true
        default: return false
        }
    }

    /// Whether `fmt.Sprint` treats the value as a string (no spaces added next to it).
    var isGoString: Bool {
        switch self {
        case .string, .html: return true
        default: return false
        }
    }

    /// Go's `isTrue`: false, 0, nil and empty strings, maps and slices are false.
    var isTrue: Bool {
        switch self {
        case .missing, .nilValue: return false
        case .bool(let b): return b
        case .int(let v): return v != 0
        case .byte(let v): return v != 0
        case .float(let v): return v != 0
        case .string(let s), .html(let s): return !s.isEmpty
        case .labels(let m): return !m.isEmpty
        case .map(let m): return !m.isEmpty
        case .samples(let s): return !s.isEmpty
        case .duration(let d): return d != 0
        case .sample, .time, .alert: return true
        }
    }
}

extension TemplateData {
    /// The fields of Prometheus's alert template data, in declaration order.
    var fields: [(String, TemplateValue)] {
        [
            ("Labels", .labels(labels)), ("ExternalLabels", .labels(externalLabels)),
            ("ExternalURL", .string(externalURL)), ("Value", .float(value)),
        ]
    }
}

/// Go's `basicKind` classes, for `eq`, `lt` and friends.
enum GoBasicKind: Equatable {
    case bool, int, uint, float, string

    init?(_ v: TemplateValue) {
        switch v {
        case .bool: self = .bool
        case .int, .duration: self = .int
        case .byte: self = .uint
        case .float: self = .float
        case .string, .html: self = .string
        default: return nil
        }
    }
}
