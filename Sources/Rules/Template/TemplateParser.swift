/// Go's text/template parser (`text/template/parse/parse.go`), with Prometheus's function
/// map: an unknown function is a parse error.
struct TemplateParser {
    /// Variables Prometheus declares before the rule's text (`rules/alerting.go`).
    static let predeclared = ["$", "$labels", "$externalLabels", "$externalURL", "$value"]

    let name: String
    let source: [UInt8]
    let tokens: [Token]
    var index = 0
    /// The furthest token read: Go reports its line in parse errors.
    var furthest = 0
    var vars: [String]
    var rangeDepth = 0
    var actionLine = 0
    var definitions: [String: [TemplateNode]] = [:]
    var usesNow = false
    /// Nesting of pipelines and control structures. Go (1.20+) stops at 10000; parsing and
    /// execution recurse per level, and a cooperative thread's stack is small, so the limit
    /// here is 100 (alert templates nest a few levels).
    var nesting = 0
    static let maxNesting = 100

    static func parse(_ text: String, name: String) throws(TemplateError) -> TemplateProgram {
        let source = Array(text.utf8)
        var parser = TemplateParser(name: name, source: source)
        let root = try parser.parseRoot()
        return TemplateProgram(
            name: name, root: root, definitions: parser.definitions, source: source, usesNow: parser.usesNow)
    }

    init(name: String, source: [UInt8]) {
        self.name = name
        self.source = source
        tokens = TemplateLexer.tokenize(source)
        vars = TemplateParser.predeclared
    }

    // MARK: - Tokens

    mutating func next() -> Token {
        let i = min(index, tokens.count - 1)
        furthest = max(furthest, i)
        index = i + 1
        return tokens[i]
    }

    mutating func backup() { index -= 1 }

    mutating func peek() -> Token {
        let t = next()
        backup()
        return t
    }

    mutating func nextNonSpace() -> Token {
        var t = next()
        while t.kind == .space { t = next() }
        return t
    }

    mutating func peekNonSpace() -> Token {
        let t = nextNonSpace()
        backup()
        return t
    }

    func text(_ t: Token) -> String { String(decoding: source[t.start..<t.end], as: UTF8.self) }

    func error(_ message: String) -> TemplateError {
        TemplateError(name: name, line: tokens[furthest].line, message: message)
    }

    /// Go's `item.String()` for messages.
    func describe(_ t: Token) -> String {
        switch t.kind {
        case .eof: return "EOF"
        case .error: return t.message
        case _ where t.kind.isKeyword: return "<" + text(t) + ">"
        default:
            let s = text(t)
            if s.unicodeScalars.count > 10 {
                return goQuote(String(String.UnicodeScalarView(s.unicodeScalars.prefix(10)))) + "..."
            }
            return goQuote(s)
        }
    }

    func unexpected(_ t: Token, _ context: String) -> TemplateError {
        if t.kind == .error {
            var extra = ""
            if actionLine != 0, actionLine != t.line {
                extra = " in action started at \(name):\(actionLine)"
                if t.message.hasSuffix(" action") { extra = String(extra.dropFirst(" in action".count)) }
            }
            return error(t.message + extra)
        }
        return error("unexpected \(describe(t)) in \(context)")
    }

    mutating func expect(_ kind: TokenKind, _ context: String) throws(TemplateError) -> Token {
        let t = nextNonSpace()
        if t.kind != kind { throw unexpected(t, context) }
        return t
    }

    // MARK: - Lists

    /// What `textOrAction` produced: a node, or an `{{end}}` / `{{else}}` that closes a list.
    enum Item {
        case node(TemplateNode)
        case end
        case elseBranch
    }

    mutating func parseRoot() throws(TemplateError) -> [TemplateNode] {
        var root: [TemplateNode] = []
        while peek().kind != .eof {
            if peek().kind == .leftDelim {
                let saved = index
                _ = next()
                if nextNonSpace().kind == .define {
                    try parseDefinition()
                    continue
                }
                index = saved
            }
            switch try textOrAction() {
            case .node(let n): root.append(n)
            case .end: throw error("unexpected {{end}}")
            case .elseBranch: throw error("unexpected {{else}}")
            }
        }
        return root
    }

    mutating func parseDefinition() throws(TemplateError) {
        let context = "define clause"
        let t = nextNonSpace()
        guard t.kind == .string || t.kind == .rawString else { throw unexpected(t, context) }
        let defined = try unquote(t)
        _ = try expect(.rightDelim, context)
        let outer = vars
        vars = ["$"]
        defer { vars = outer }
        let (list, end) = try itemList()
        if case .elseBranch = end { throw error("unexpected {{else}} in \(context)") }
        if let existing = definitions[defined], !existing.isEmpty, !list.isEmpty {
            throw error("template: multiple definition of template \(goQuote(defined))")
        }
        definitions[defined] = list
    }

    mutating func itemList() throws(TemplateError) -> ([TemplateNode], Item) {
        var list: [TemplateNode] = []
        while peekNonSpace().kind != .eof {
            let item = try textOrAction()
            if case .node(let n) = item {
                list.append(n)
            } else {
                return (list, item)
            }
        }
        throw error("unexpected EOF")
    }

    mutating func textOrAction() throws(TemplateError) -> Item {
        let t = nextNonSpace()
        switch t.kind {
        case .text:
            return .node(.text(text(t)))
        case .leftDelim:
            actionLine = t.line
            defer { actionLine = 0 }
            return try action()
        default:
            throw unexpected(t, "input")
        }
    }

    // MARK: - Actions

    mutating func action() throws(TemplateError) -> Item {
        let t = nextNonSpace()
        switch t.kind {
        case .block: return .node(try blockControl())
        case .breakKeyword: return .node(try loopControl(.breakLoop, "break"))
        case .continueKeyword: return .node(try loopControl(.continueLoop, "continue"))
        case .elseKeyword:
            let p = peekNonSpace()
            if p.kind != .ifKeyword && p.kind != .with { _ = try expect(.rightDelim, "else") }
            return .elseBranch
        case .end:
            _ = try expect(.rightDelim, "end")
            return .end
        case .ifKeyword: return .node(try control("if"))
        case .range: return .node(try control("range"))
        case .template: return .node(try templateControl())
        case .with: return .node(try control("with"))
        default:
            backup()
            return .node(.action(try pipeline("command", end: .rightDelim)))
        }
    }

    mutating func loopControl(_ node: TemplateNode, _ word: String) throws(TemplateError) -> TemplateNode {
        let t = nextNonSpace()
        if t.kind != .rightDelim { throw unexpected(t, "{{\(word)}}") }
        if rangeDepth == 0 { throw error("{{\(word)}} outside {{range}}") }
        return node
    }

    /// `if`, `with` and `range`, with `{{else}}`, `{{else if}}` and `{{else with}}`.
    mutating func control(_ context: String) throws(TemplateError) -> TemplateNode {
        nesting += 1
        defer { nesting -= 1 }
        if nesting > TemplateParser.maxNesting { throw error("max expression depth exceeded") }
        let mark = vars.count
        defer { vars.removeSubrange(mark...) }
        let pipe = try pipeline(context, end: .rightDelim)
        if context == "range" { rangeDepth += 1 }
        let (list, closing) = try itemList()
        if context == "range" { rangeDepth -= 1 }
        var elseList: [TemplateNode]?
        if case .elseBranch = closing {
            if context == "if", peek().kind == .ifKeyword {
                _ = next()
                elseList = [try control("if")]
            } else if context == "with", peek().kind == .with {
                _ = next()
                elseList = [try control("with")]
            } else {
                let (list, end) = try itemList()
                if case .elseBranch = end { throw error("expected end; found {{else}}") }
                elseList = list
            }
        }
        switch context {
        case "if": return .ifElse(pipe, list, elseList)
        case "with": return .with(pipe, list, elseList)
        default: return .range(pipe, list, elseList)
        }
    }

    mutating func templateName(_ context: String) throws(TemplateError) -> String {
        let t = nextNonSpace()
        guard t.kind == .string || t.kind == .rawString else { throw unexpected(t, context) }
        return try unquote(t)
    }

    mutating func templateControl() throws(TemplateError) -> TemplateNode {
        let context = "template clause"
        let position = peekNonSpace().start
        let called = try templateName(context)
        var pipe: Pipeline?
        if nextNonSpace().kind != .rightDelim {
            backup()
            pipe = try pipeline(context, end: .rightDelim)
        }
        return .template(name: called, pipe, position: position)
    }

    /// `{{block "name" pipeline}}body{{end}}`: defines `name` and calls it.
    mutating func blockControl() throws(TemplateError) -> TemplateNode {
        let context = "block clause"
        let position = peekNonSpace().start
        let called = try templateName(context)
        let pipe = try pipeline(context, end: .rightDelim)
        let outer = vars
        vars = ["$"]
        let (list, end) = try itemList()
        vars = outer
        if case .elseBranch = end { throw error("unexpected {{else}} in \(context)") }
        if definitions[called]?.isEmpty ?? true { definitions[called] = list }
        return .template(name: called, pipe, position: position)
    }

}
