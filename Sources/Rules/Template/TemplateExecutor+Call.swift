/// A Go parameter type, as a function's signature declares it.
enum ParamType: Sendable {
    /// `interface{}`: anything.
    case any
    /// `reflect.Value` (the builtins `eq`, `index`, `len`, `and`, …): anything.
    case reflectValue
    case string, float, int, bool
    /// `template.queryResult`.
    case samples
    /// `*template.sample`.
    case sample

    var goName: String {
        switch self {
        case .any: return "interface {}"
        case .reflectValue: return "reflect.Value"
        case .string: return "string"
        case .float: return "float64"
        case .int: return "int"
        case .bool: return "bool"
        case .samples: return "template.queryResult"
        case .sample: return "*template.sample"
        }
    }
}

/// Parameters of a function: fixed ones, then an optional variadic element type.
struct Signature: Sendable {
    var fixed: [ParamType]
    var variadic: ParamType?

    init(_ fixed: ParamType..., variadic: ParamType? = nil) {
        self.fixed = fixed
        self.variadic = variadic
    }
}

/// A function's failure: Go's returned error (its text), or a query to run first.
enum FunctionFailure: Error {
    case message(String)
    case needQuery(String)

    var message: String {
        switch self {
        case .message(let m): return m
        case .needQuery(let q): return "query \(q) pending"
        }
    }
}

extension TemplateExecutor {
    /// Go's `evalFunction` + `evalCall`: checks the number of arguments, evaluates them against
    /// the parameter types, calls, and turns a returned error into
    /// `error calling NAME: ...` at the command.
    mutating func call(
        _ dot: TemplateValue, _ function: TemplateFunction, _ name: String, _ position: Int, _ cmd: Command?,
        _ final: TemplateValue
    ) throws(ExecInterrupt) -> TemplateValue {
        let args = cmd.map { Array($0.arguments.dropFirst()) } ?? []
        let signature = function.signature
        let numIn = args.count + (isMissing(final) ? 0 : 1)
        if signature.variadic != nil {
            if numIn < signature.fixed.count {
                throw fail(
                    position, name,
                    "wrong number of args for \(name): want at least \(signature.fixed.count) got \(args.count)")
            }
        } else if numIn != signature.fixed.count {
            throw fail(position, name, "wrong number of args for \(name): want \(signature.fixed.count) got \(numIn)")
        }
        // `and` and `or` evaluate their arguments lazily and return one of them.
        if function == .and || function == .or {
            var v = TemplateValue.missing
            for arg in args {
                v = try evalArgument(dot, .reflectValue, arg)
                if v.isTrue == (function == .or) { return v }
            }
            if !isMissing(final) { v = final }
            return v
        }
        var argv: [TemplateValue] = []
        argv.reserveCapacity(numIn)
        for (i, arg) in args.enumerated() {
            argv.append(
                try evalArgument(dot, i < signature.fixed.count ? signature.fixed[i] : signature.variadic!, arg))
        }
        if !isMissing(final) {
            let type = numIn - 1 < signature.fixed.count ? signature.fixed[numIn - 1] : signature.variadic!
            argv.append(try validate(final, type, position, name))
        }
        do {
            return try callFunction(function, argv)
        } catch {
            switch error {
            case .needQuery(let query): throw .needQuery(query)
            case .message(let message):
                throw fail(cmd?.position ?? position, cmd?.description ?? name, "error calling \(name): \(message)")
            }
        }
    }

    /// Go's `evalArg`: an argument evaluated for a parameter of type `type`. Constants are
    /// checked against the type; other operands are evaluated, then their type is.
    mutating func evalArgument(
        _ dot: TemplateValue, _ type: ParamType, _ arg: Operand
    ) throws(ExecInterrupt) -> TemplateValue {
        let position = arg.position
        let context = arg.description
        switch arg {
        case .dot:
            return try validate(dot, type, position, context)
        case .nilValue:
            switch type {
            case .any, .reflectValue, .sample: return .nilValue
            case .samples: return .samples([])
            default: throw fail(position, context, "cannot assign nil to \(type.goName)")
            }
        case .field, .variable, .chain:
            return try validate(evalOperandValue(dot, arg), type, position, context)
        case .pipeline(let pipe):
            return try validate(evalPipeline(dot, pipe), type, position, context)
        case .function(let function, let name, let p):
            return try validate(call(dot, function, name, p, nil, .missing), type, position, context)
        case .bool(let b, _):
            switch type {
            case .any, .reflectValue, .bool: return .bool(b)
            default: throw literalMismatch(type, position, context)
            }
        case .number(let n, _):
            switch type {
            case .any, .reflectValue: return try idealConstant(n, position)
            case .int where n.isInt: return .int(Int(n.int))
            case .float where n.isFloat: return .float(n.float)
            default: throw literalMismatch(type, position, context)
            }
        case .string(let s, _, _):
            switch type {
            case .any, .reflectValue, .string: return .string(s)
            default: throw literalMismatch(type, position, context)
            }
        }
    }

    /// A field, variable or chain used as an argument: evaluated without arguments.
    private mutating func evalOperandValue(_ dot: TemplateValue, _ arg: Operand) throws(ExecInterrupt) -> TemplateValue
    {
        switch arg {
        case .field(let names, let p):
            return try evalFieldChain(dot, dot, names, arg, p, [arg], .missing)
        case .variable(let name, let names, let p):
            let value = try variable(name, p)
            return names.isEmpty ? value : try evalFieldChain(dot, value, names, arg, p, [arg], .missing)
        case .chain(let node, let names, let p):
            let receiver = try evalArgument(dot, .any, node)
            return try evalFieldChain(dot, receiver, names, arg, p, [arg], .missing)
        default:
            return .missing
        }
    }

    private func literalMismatch(_ type: ParamType, _ position: Int, _ context: String) -> ExecInterrupt {
        switch type {
        case .bool: return fail(position, context, "expected bool; found \(context)")
        case .int: return fail(position, context, "expected integer; found \(context)")
        case .float: return fail(position, context, "expected float; found \(context)")
        case .string: return fail(position, context, "expected string; found \(context)")
        default: return fail(position, context, "can't handle \(context) for arg of type \(type.goName)")
        }
    }

    /// Go's `validateType`: a value passed where `type` is expected.
    func validate(
        _ value: TemplateValue, _ type: ParamType, _ position: Int, _ context: String
    ) throws(ExecInterrupt) -> TemplateValue {
        switch (type, value) {
        case (.any, .missing), (.reflectValue, .missing), (.sample, .missing): return .nilValue
        case (.samples, .missing): return .samples([])
        case (_, .missing): throw fail(position, context, "invalid value; expected \(type.goName)")
        case (.any, _), (.reflectValue, _), (.string, .string), (.float, .float), (.int, .int), (.bool, .bool),
            (.samples, .samples), (.sample, .sample), (.sample, .nilValue):
            return value
        default:
            let got = value.isNil ? "interface {}" : value.goTypeName
            throw fail(position, context, "wrong type for value; expected \(type.goName); got \(got)")
        }
    }
}
