/// The parse tree of a template (Go's `text/template/parse` nodes). Positions are byte
/// offsets in the source text; execution errors turn them into line and column.
indirect enum TemplateNode: Sendable {
    case text(String)
    /// `{{pipeline}}`: prints the value unless the pipeline declares variables.
    case action(Pipeline)
    case ifElse(Pipeline, [TemplateNode], [TemplateNode]?)
    case with(Pipeline, [TemplateNode], [TemplateNode]?)
    case range(Pipeline, [TemplateNode], [TemplateNode]?)
    /// `{{template "name" pipeline}}`.
    case template(name: String, Pipeline?, position: Int)
    case breakLoop
    case continueLoop
}

/// A pipeline: optional variable declarations, then commands separated by `|`.
struct Pipeline: Sendable {
    var position: Int
    /// Declared (`:=`) or assigned (`=`) variables, with `$`.
    var declarations: [String] = []
    var isAssign = false
    var commands: [Command] = []

    var description: String {
        var s = ""
        if !declarations.isEmpty {
            s = declarations.joined(separator: ", ") + (isAssign ? " = " : " := ")
        }
        return s + commands.map(\.description).joined(separator: " | ")
    }
}

/// A command: an operand and its arguments (`printf "%d" $x`).
struct Command: Sendable {
    var position: Int
    var arguments: [Operand] = []

    var description: String {
        arguments.map(\.description).joined(separator: " ")
    }
}

/// A number constant with Go's interpretations (`parse.NumberNode`).
struct NumberConstant: Sendable {
    var text: String
    var isInt = false
    var isUint = false
    var isFloat = false
    var int: Int64 = 0
    var uint: UInt64 = 0
    var float: Double = 0
}

/// An argument or the first word of a command.
indirect enum Operand: Sendable {
    case dot(position: Int)
    case nilValue(position: Int)
    case bool(Bool, position: Int)
    case number(NumberConstant, position: Int)
    /// The unquoted text and the source form.
    case string(String, quoted: String, position: Int)
    /// `.A.B` (field names without dots).
    case field([String], position: Int)
    /// `$x.A.B`: the variable and the fields after it.
    case variable(String, [String], position: Int)
    case function(TemplateFunction, name: String, position: Int)
    /// A parenthesised pipeline.
    case pipeline(Pipeline)
    /// `(pipeline).A.B`.
    case chain(Operand, [String], position: Int)

    var position: Int {
        switch self {
        case .dot(let p), .nilValue(let p), .bool(_, let p), .number(_, let p), .string(_, _, let p),
            .field(_, let p), .variable(_, _, let p), .function(_, _, let p), .chain(_, _, let p):
            return p
        case .pipeline(let pipe):
            return pipe.position
        }
    }

    var description: String {
        switch self {
        case .dot: return "."
        case .nilValue: return "nil"
        case .bool(let v, _): return v ? "true" : "false"
        case .number(let n, _): return n.text
        case .string(_, let quoted, _): return quoted
        case .field(let names, _): return names.map { "." + $0 }.joined()
        case .variable(let name, let fields, _): return name + fields.map { "." + $0 }.joined()
        case .function(_, let name, _): return name
        case .pipeline(let p): return "(" + p.description + ")"
        case .chain(let node, let fields, _):
            return node.description + fields.map { "." + $0 }.joined()
        }
    }
}

/// A parsed template: the main tree, the `define`d ones, and the source for error positions.
final class TemplateProgram: Sendable {
    let name: String
    let root: [TemplateNode]
    let definitions: [String: [TemplateNode]]
    let source: [UInt8]
    /// Whether `now` is called: `TemplateEnvironment.now` is asked only then.
    let usesNow: Bool

    init(name: String, root: [TemplateNode], definitions: [String: [TemplateNode]], source: [UInt8], usesNow: Bool) {
        self.name = name
        self.root = root
        self.definitions = definitions
        self.source = source
        self.usesNow = usesNow
    }

    /// 1-based line and 0-based byte column of `position`, as Go's `ErrorContext`.
    func location(of position: Int) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = 0
        for i in 0..<min(position, source.count) where source[i] == UInt8(ascii: "\n") {
            line += 1
            lineStart = i + 1
        }
        return (line, position - lineStart)
    }
}
