/// Why execution stopped early.
enum ExecInterrupt: Error {
    case failed(TemplateError)
    /// `query` needs a result that is not known yet: run it, then execute again.
    case needQuery(String)
}

/// How a list of nodes ended: normally, or at `{{break}}` / `{{continue}}`.
enum Flow {
    case normal, breakLoop, continueLoop
}

/// Runs a parsed template (Go's `text/template/exec.go`), synchronously. `query` results come
/// from `queries`; a query not in it stops execution with `.needQuery`.
struct TemplateExecutor {
    let program: TemplateProgram
    let data: TemplateData
    let queries: [String: QueryOutcome]
    let now: Double
    let externalURL: String
    private var output = ""
    /// The variable stack: Go pushes on `:=` and pops at the end of a control structure.
    private var vars: [(name: String, value: TemplateValue)] = []
    private var depth = 0
    /// The template being executed: the main one or a `define`d one (Go names it in errors).
    private var executing: String

    /// Go's `maxExecDepth` (for `{{template}}` calls) is 100000. Here every nested list (a
    /// control structure's body or a called template) counts, and the limit keeps execution
    /// within a cooperative thread's small stack.
    static let maxDepth = 100

    init(
        program: TemplateProgram, data: TemplateData, queries: [String: QueryOutcome], now: Double, externalURL: String
    ) {
        self.program = program
        self.data = data
        self.queries = queries
        self.now = now
        self.externalURL = externalURL
        executing = program.name
    }

    mutating func run() throws(ExecInterrupt) -> String {
        let root = TemplateValue.alert(data)
        vars = [
            ("$", root), ("$labels", .labels(data.labels)), ("$externalLabels", .labels(data.externalLabels)),
            ("$externalURL", .string(data.externalURL)), ("$value", .float(data.value)),
        ]
        _ = try walk(root, program.root)
        return output
    }

    // MARK: - Errors

    /// An execution error at `position`, naming `context` (a node, as Go prints it).
    func fail(_ position: Int, _ context: String, _ message: String) -> ExecInterrupt {
        let (line, column) = program.location(of: position)
        return .failed(
            TemplateError(
                name: program.name, executing: executing, line: line, column: column, context: context,
                message: message))
    }

    // MARK: - Walking

    private mutating func walk(_ dot: TemplateValue, _ list: [TemplateNode]) throws(ExecInterrupt) -> Flow {
        depth += 1
        defer { depth -= 1 }
        for node in list {
            switch node {
            case .text(let s):
                output += s
            case .action(let pipe):
                let value = try evalPipeline(dot, pipe)
                if pipe.declarations.isEmpty { try printValue(value, pipe) }
            case .ifElse(let pipe, let list, let elseList), .with(let pipe, let list, let elseList):
                let mark = vars.count
                defer { vars.removeSubrange(mark...) }
                let value = try evalPipeline(dot, pipe)
                let flow: Flow
                if value.isTrue {
                    if case .with = node { flow = try walk(value, list) } else { flow = try walk(dot, list) }
                } else if let elseList {
                    flow = try walk(dot, elseList)
                } else {
                    flow = .normal
                }
                if flow != .normal { return flow }
            case .range(let pipe, let list, let elseList):
                try walkRange(dot, pipe, list, elseList)
            case .template(let name, let pipe, let position):
                try walkTemplate(dot, name, pipe, position)
            case .breakLoop:
                return .breakLoop
            case .continueLoop:
                return .continueLoop
            }
        }
        return .normal
    }

    private mutating func walkRange(
        _ dot: TemplateValue, _ pipe: Pipeline, _ list: [TemplateNode], _ elseList: [TemplateNode]?
    ) throws(ExecInterrupt) {
        let mark = vars.count
        defer { vars.removeSubrange(mark...) }
        var bare = pipe
        bare.declarations = []
        let value = try evalPipeline(dot, bare)
        // Go declares the range variables with the pipeline's value, then sets them per element.
        if !pipe.isAssign {
            for name in pipe.declarations { vars.append((name, value)) }
        }
        let iterationMark = vars.count
        func iterate(_ index: TemplateValue, _ element: TemplateValue) throws(ExecInterrupt) -> Flow {
            defer { vars.removeSubrange(iterationMark...) }
            let decl = pipe.declarations
            if pipe.isAssign {
                if decl.count > 1 {
                    try setVar(decl[0], index, pipe.position)
                    try setVar(decl[1], element, pipe.position)
                } else if decl.count == 1 {
                    try setVar(decl[0], element, pipe.position)
                }
            } else if decl.count == 1 {
                vars[iterationMark - 1].value = element
            } else if decl.count == 2 {
                vars[iterationMark - 2].value = index
                vars[iterationMark - 1].value = element
            }
            return try walk(element, list)
        }
        var ran = false
        switch value {
        case .samples(let samples):
            for (i, s) in samples.enumerated() {
                ran = true
                if try iterate(.int(i), .sample(s)) == .breakLoop { break }
            }
        case .labels(let m):
            for key in m.keys.sorted() {
                ran = true
                if try iterate(.string(key), .string(m[key]!)) == .breakLoop { break }
            }
        case .map(let m):
            for key in m.keys.sorted() {
                ran = true
                let element = m[key]!
                if try iterate(.string(key), element.isNil ? .missing : element) == .breakLoop { break }
            }
        case .int(let n):
            if pipe.declarations.count > 1 {
                throw fail(pipe.position, pipe.description, "can't use \(n) to iterate over more than one variable")
            }
            for i in 0..<max(n, 0) {
                ran = true
                if try iterate(.int(i), .int(i)) == .breakLoop { break }
            }
        case .missing, .nilValue:
            break
        default:
            throw fail(pipe.position, pipe.description, "range can't iterate over \(GoFormatter.sprint([value]))")
        }
        if !ran, let elseList { _ = try walk(dot, elseList) }
    }

    private mutating func walkTemplate(
        _ dot: TemplateValue, _ name: String, _ pipe: Pipeline?, _ position: Int
    ) throws(ExecInterrupt) {
        let context = "{{template \(goQuote(name))" + (pipe.map { " " + $0.description } ?? "") + "}}"
        guard let list = program.definitions[name] else {
            throw fail(position, context, "template \(goQuote(name)) not defined")
        }
        if depth >= TemplateExecutor.maxDepth {
            throw fail(position, context, "exceeded maximum template depth (\(TemplateExecutor.maxDepth))")
        }
        let newDot = try pipe.map { (p) throws(ExecInterrupt) in try evalPipeline(dot, p) } ?? .missing
        let saved = vars
        let savedName = executing
        vars = [("$", newDot)]
        executing = name
        defer {
            vars = saved
            executing = savedName
        }
        _ = try walk(newDot, list)
    }

    // MARK: - Variables

    func variable(_ name: String, _ position: Int) throws(ExecInterrupt) -> TemplateValue {
        for i in stride(from: vars.count - 1, through: 0, by: -1) where vars[i].name == name {
            return vars[i].value
        }
        throw fail(position, name, "undefined variable: \(name)")
    }

    private mutating func setVar(_ name: String, _ value: TemplateValue, _ position: Int) throws(ExecInterrupt) {
        for i in stride(from: vars.count - 1, through: 0, by: -1) where vars[i].name == name {
            vars[i].value = value
            return
        }
        throw fail(position, name, "undefined variable: \(name)")
    }

    // MARK: - Pipelines and commands

    mutating func evalPipeline(_ dot: TemplateValue, _ pipe: Pipeline) throws(ExecInterrupt) -> TemplateValue {
        var value = TemplateValue.missing
        for command in pipe.commands {
            value = try evalCommand(dot, command, final: value)
            // A nil interface{} result is no value at all (Go digs into interfaces here).
            if case .nilValue = value { value = .missing }
        }
        for name in pipe.declarations {
            if pipe.isAssign {
                try setVar(name, value, pipe.position)
            } else {
                vars.append((name, value))
            }
        }
        return value
    }

    private mutating func evalCommand(
        _ dot: TemplateValue, _ cmd: Command, final: TemplateValue
    ) throws(ExecInterrupt) -> TemplateValue {
        let first = cmd.arguments[0]
        switch first {
        case .field(let names, let position):
            return try evalFieldChain(dot, dot, names, first, position, cmd.arguments, final)
        case .chain(let node, let names, let position):
            let receiver = try evalArgument(dot, .any, node)
            return try evalFieldChain(dot, receiver, names, first, position, cmd.arguments, final)
        case .function(let function, let name, let position):
            return try call(dot, function, name, position, cmd, final)
        case .pipeline(let pipe):
            try notAFunction(cmd, final)
            return try evalPipeline(dot, pipe)
        case .variable(let name, let names, let position):
            let value = try variable(name, position)
            if names.isEmpty {
                try notAFunction(cmd, final)
                return value
            }
            return try evalFieldChain(dot, value, names, first, position, cmd.arguments, final)
        case .bool(let b, _):
            try notAFunction(cmd, final)
            return .bool(b)
        case .dot:
            try notAFunction(cmd, final)
            return dot
        case .nilValue(let position):
            try notAFunction(cmd, final)
            throw fail(position, "nil", "nil is not a command")
        case .number(let n, let position):
            try notAFunction(cmd, final)
            return try idealConstant(n, position)
        case .string(let s, _, _):
            try notAFunction(cmd, final)
            return .string(s)
        }
    }

    private func notAFunction(_ cmd: Command, _ final: TemplateValue) throws(ExecInterrupt) {
        if cmd.arguments.count > 1 || !isMissing(final) {
            let first = cmd.arguments[0]
            throw fail(first.position, first.description, "can't give argument to non-function \(first.description)")
        }
    }

    func isMissing(_ v: TemplateValue) -> Bool {
        if case .missing = v { return true }
        return false
    }

    /// Go's `idealConstant`: a number with no type context is an int unless it is written
    /// as a float (`.`, `e`, `p`).
    func idealConstant(_ n: NumberConstant, _ position: Int) throws(ExecInterrupt) -> TemplateValue {
        let hexInt = n.text.lowercased().hasPrefix("0x") && !n.text.lowercased().contains("p")
        if n.isFloat && !hexInt && !n.text.hasPrefix("'") && n.text.contains(where: { ".eEpP".contains($0) }) {
            return .float(n.float)
        }
        if n.isInt { return .int(Int(n.int)) }
        if n.isUint { throw fail(position, n.text, "\(n.text) overflows int") }
        return .missing
    }

    // MARK: - Fields

    mutating func evalFieldChain(
        _ dot: TemplateValue, _ receiver: TemplateValue, _ names: [String], _ node: Operand, _ position: Int,
        _ args: [Operand], _ final: TemplateValue
    ) throws(ExecInterrupt) -> TemplateValue {
        var receiver = receiver
        for (i, name) in names.enumerated() {
            let last = i == names.count - 1
            receiver = try evalField(dot, name, node, position, last ? args : [], last ? final : .missing, receiver)
        }
        return receiver
    }

    private mutating func evalField(
        _ dot: TemplateValue, _ name: String, _ node: Operand, _ position: Int, _ args: [Operand],
        _ final: TemplateValue, _ receiver: TemplateValue
    ) throws(ExecInterrupt) -> TemplateValue {
        let hasArgs = args.count > 1 || !isMissing(final)
        let context = node.description
        switch receiver {
        case .missing, .nilValue:
            return .missing
        case .alert(let d):
            if let field = d.fields.first(where: { $0.0 == name }) {
                if hasArgs { throw fail(position, context, "\(name) has arguments but cannot be invoked as function") }
                return field.1
            }
        case .sample(let s):
            if name == "Labels" || name == "Value" {
                if hasArgs { throw fail(position, context, "\(name) has arguments but cannot be invoked as function") }
                return name == "Labels" ? .labels(s.labels) : .float(s.value)
            }
        case .labels(let m):
            if hasArgs { throw fail(position, context, "\(name) is not a method but has arguments") }
            return .string(m[name] ?? "")
        case .map(let m):
            if hasArgs { throw fail(position, context, "\(name) is not a method but has arguments") }
            return m[name] ?? .nilValue
        case .time, .duration:
            if let method = GoMethod(receiver: receiver, name: name) {
                var argv: [TemplateValue] = []
                for arg in args.dropFirst() { argv.append(try evalArgument(dot, method.parameter, arg)) }
                if !isMissing(final) { argv.append(final) }
                guard argv.count == method.arity else {
                    throw fail(
                        position, context, "wrong number of args for \(name): want \(method.arity) got \(argv.count)")
                }
                do {
                    return try method.call(argv)
                } catch {
                    throw fail(position, context, "error calling \(name): \(error.message)")
                }
            }
        default:
            break
        }
        throw fail(position, context, "can't evaluate field \(name) in type \(receiver.goTypeName)")
    }

    // MARK: - Printing

    private mutating func printValue(_ value: TemplateValue, _ pipe: Pipeline) throws(ExecInterrupt) {
        switch value {
        case .missing:
            output += "<no value>"
        case .sample(let s):
            // Go prints what a pointer points to: `{map[...] 1}` without `&`.
            var f = GoFormatter()
            f.printArg(.sample(s), "v", depth: 1)
            output += f.out
        default:
            output += GoFormatter.sprint([value])
        }
    }
}
