import PromModel
import Relabel

/// One label matcher of a PromQL selector (`name="v"`, `!=`, `=~`, `!~`), regexes fully
/// anchored (RE2), as Prometheus's `labels.Matcher`. An absent label matches as "".
struct LabelMatcher: Sendable {
    enum Op: String { case eq = "=", neq = "!=", re = "=~", nre = "!~" }
    struct ParseError: Error { var message: String }

    var name: String
    var op: Op
    var value: String
    var regex: Regex?

    func matches(_ labels: Labels) -> Bool {
        let v = labels[name] ?? ""
        switch op {
        case .eq: return v == value
        case .neq: return v != value
        case .re: return regex!.matches(v)
        case .nre: return !regex!.matches(v)
        }
    }

    /// Parses `{a="b", c=~"d.*"}` (a metric name before the braces becomes `__name__="…"`).
    static func parseSelector(_ text: String) throws(ParseError) -> [LabelMatcher] {
        var p = Parser(chars: Array(text.unicodeScalars), pos: 0)
        return try p.selector()
    }

    struct Parser {
        var chars: [Unicode.Scalar]
        var pos: Int

        mutating func skipSpace() { while pos < chars.count, chars[pos].properties.isWhitespace { pos += 1 } }

        func fail(_ what: String) -> ParseError {
            ParseError(message: "parse error at char \(pos + 1): \(what)")
        }

        mutating func identifier() -> String {
            var s = ""
            while pos < chars.count {
                let c = chars[pos]
                let ok =
                    c == "_" || c == ":" || ("a"..."z").contains(c) || ("A"..."Z").contains(c)
                    || (!s.isEmpty && ("0"..."9").contains(c))
                guard ok else { break }
                s.unicodeScalars.append(c)
                pos += 1
            }
            return s
        }

        mutating func quoted() throws(ParseError) -> String {
            guard pos < chars.count, chars[pos] == "\"" || chars[pos] == "'" || chars[pos] == "`" else {
                throw fail("expected a quoted string")
            }
            let q = chars[pos]
            pos += 1
            var s = ""
            while pos < chars.count {
                let c = chars[pos]
                pos += 1
                if c == q { return s }
                if c == "\\" && q != "`" && pos < chars.count {
                    let e = chars[pos]
                    pos += 1
                    switch e {
                    case "n": s += "\n"
                    case "t": s += "\t"
                    case "r": s += "\r"
                    default: s.unicodeScalars.append(e)
                    }
                } else {
                    s.unicodeScalars.append(c)
                }
            }
            throw fail("unterminated quoted string")
        }

        mutating func selector() throws(ParseError) -> [LabelMatcher] {
            var out: [LabelMatcher] = []
            skipSpace()
            let metric = identifier()
            if !metric.isEmpty { out.append(LabelMatcher(name: "__name__", op: .eq, value: metric)) }
            skipSpace()
            if pos == chars.count {
                guard !out.isEmpty else { throw fail("unexpected end of input") }
                return out
            }
            guard chars[pos] == "{" else { throw fail("expected \"{\"") }
            pos += 1
            while true {
                skipSpace()
                if pos < chars.count, chars[pos] == "}" {
                    pos += 1
                    break
                }
                let name = identifier()
                guard !name.isEmpty else { throw fail("expected a label name") }
                skipSpace()
                var opText = ""
                while pos < chars.count, "=!~".unicodeScalars.contains(chars[pos]), opText.count < 2 {
                    opText.unicodeScalars.append(chars[pos])
                    pos += 1
                }
                guard let op = Op(rawValue: opText) else { throw fail("unexpected operator \"\(opText)\"") }
                skipSpace()
                let value = try quoted()
                var m = LabelMatcher(name: name, op: op, value: value)
                if op == .re || op == .nre {
                    do {
                        m.regex = try Regex(value)
                    } catch {
                        throw ParseError(message: "invalid regular expression \"\(value)\": \(error)")
                    }
                }
                out.append(m)
                skipSpace()
                if pos < chars.count, chars[pos] == "," {
                    pos += 1
                    continue
                }
                guard pos < chars.count, chars[pos] == "}" else { throw fail("expected \",\" or \"}\"") }
                pos += 1
                break
            }
            skipSpace()
            guard pos == chars.count else { throw fail("unexpected characters after selector") }
            guard out.contains(where: { !$0.matches(Labels()) }) else {
                throw ParseError(message: "vector selector must contain at least one non-empty matcher")
            }
            return out
        }
    }
}
