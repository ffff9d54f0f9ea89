extension TemplateParser {
    // MARK: - Pipelines

    mutating func pipeline(_ context: String, end: TokenKind) throws(TemplateError) -> Pipeline {
        nesting += 1
        defer { nesting -= 1 }
        if nesting > TemplateParser.maxNesting { throw error("max expression depth exceeded") }
        var pipe = Pipeline(position: peekNonSpace().start)
        declarations: while peekNonSpace().kind == .variable {
            let saved = index
            let v = nextNonSpace()
            let next = peekNonSpace()
            if next.kind == .assign || next.kind == .declare {
                pipe.isAssign = next.kind == .assign
                _ = nextNonSpace()
                pipe.declarations.append(text(v))
                vars.append(text(v))
            } else if next.kind == .char, text(next) == "," {
                _ = nextNonSpace()
                pipe.declarations.append(text(v))
                vars.append(text(v))
                if context == "range", pipe.declarations.count < 2 {
                    switch peekNonSpace().kind {
                    case .variable, .rightDelim, .rightParen: continue declarations
                    default: throw error("range can only initialize variables")
                    }
                }
                throw error("too many declarations in \(context)")
            } else {
                index = saved
            }
            break
        }
        while true {
            let t = nextNonSpace()
            switch t.kind {
            case end:
                if pipe.commands.isEmpty { throw error("missing value for \(context)") }
                for (i, c) in pipe.commands.enumerated().dropFirst() {
                    switch c.arguments[0] {
                    case .bool, .dot, .nilValue, .number, .string:
                        throw error("non executable command in pipeline stage \(i + 1)")
                    default: break
                    }
                }
                return pipe
            case .bool, .charConstant, .dot, .field, .identifier, .number, .nilKeyword, .rawString, .string,
                .variable, .leftParen:
                backup()
                pipe.commands.append(try command())
            default:
                throw unexpected(t, context)
            }
        }
    }

    mutating func command() throws(TemplateError) -> Command {
        var cmd = Command(position: peekNonSpace().start)
        while true {
            _ = peekNonSpace()
            if let operand = try operand() { cmd.arguments.append(operand) }
            let t = next()
            switch t.kind {
            case .space: continue
            case .rightDelim, .rightParen: backup()
            case .pipe: break
            default: throw unexpected(t, "operand")
            }
            break
        }
        if cmd.arguments.isEmpty { throw error("empty command") }
        return cmd
    }

    mutating func operand() throws(TemplateError) -> Operand? {
        guard let node = try term() else { return nil }
        guard peek().kind == .field else { return node }
        let chainPosition = peek().start
        var fields: [String] = []
        while peek().kind == .field { fields.append(String(text(next()).dropFirst())) }
        // Go gives a lengthened field or variable the position of the first added field.
        switch node {
        case .field(let names, _): return .field(names + fields, position: chainPosition)
        case .variable(let v, let names, _): return .variable(v, names + fields, position: chainPosition)
        case .bool, .string, .number, .nilValue, .dot:
            throw error("unexpected . after term \(goQuote(node.description))")
        default: return .chain(node, fields, position: chainPosition)
        }
    }

    mutating func term() throws(TemplateError) -> Operand? {
        let t = nextNonSpace()
        switch t.kind {
        case .identifier:
            let word = text(t)
            guard let function = TemplateFunction(rawValue: word) else {
                throw error("function \(goQuote(word)) not defined")
            }
            if function == .now { usesNow = true }
            return .function(function, name: word, position: t.start)
        case .dot:
            return .dot(position: t.start)
        case .nilKeyword:
            return .nilValue(position: t.start)
        case .variable:
            let full = text(t)
            let parts = full.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard vars.contains(parts[0]) else { throw error("undefined variable \(goQuote(parts[0]))") }
            return .variable(parts[0], Array(parts.dropFirst()), position: t.start)
        case .field:
            return .field([String(text(t).dropFirst())], position: t.start)
        case .bool:
            return .bool(text(t) == "true", position: t.start)
        case .number, .charConstant:
            return .number(try number(t), position: t.start)
        case .leftParen:
            return .pipeline(try pipeline("parenthesized pipeline", end: .rightParen))
        case .string, .rawString:
            return .string(try unquote(t), quoted: text(t), position: t.start)
        default:
            backup()
            return nil
        }
    }

    // MARK: - Literals

    func unquote(_ t: Token) throws(TemplateError) -> String {
        guard let s = goUnquote(text(t)) else { throw error("invalid syntax") }
        return s
    }

    /// Go's `newNumber`: every interpretation the text allows.
    func number(_ t: Token) throws(TemplateError) -> NumberConstant {
        let s = text(t)
        var n = NumberConstant(text: s)
        if t.kind == .charConstant {
            guard let value = goUnquoteChar(s) else { throw error("invalid syntax") }
            n.isInt = true
            n.isUint = true
            n.isFloat = true
            n.int = Int64(value)
            n.uint = UInt64(value)
            n.float = Double(value)
            return n
        }
        if s.hasSuffix("i") { throw error("illegal number syntax: \(goQuote(s))") }
        let u = goParseUInt(s)
        if let u {
            n.isUint = true
            n.uint = u
        }
        if let i = goParseInt(s) {
            n.isInt = true
            n.int = i
            if i == 0 {
                n.isUint = true
                n.uint = u ?? 0
            }
        }
        if n.isInt {
            n.isFloat = true
            n.float = Double(n.int)
        } else if n.isUint {
            n.isFloat = true
            n.float = Double(n.uint)
        } else if case .success(let f) = goParseFloat(s) {
            if !s.contains(where: { ".eEpP".contains($0) }) { throw error("integer overflow: \(goQuote(s))") }
            n.isFloat = true
            n.float = f
            if f.rounded(.towardZero) == f, abs(f) < 9.223_372_036_854_775_807e18 {
                n.isInt = true
                n.int = Int64(f)
            }
            if f.rounded(.towardZero) == f, f >= 0, f < 1.844_674_407_370_955_161_5e19 {
                n.isUint = true
                n.uint = UInt64(f)
            }
        }
        if !n.isInt && !n.isUint && !n.isFloat { throw error("illegal number syntax: \(goQuote(s))") }
        return n
    }
}
