/// The syntax of Kubernetes label and field selectors, checked at config load as Prometheus
/// does (with apimachinery's `labels.Parse` and `fields.ParseSelector`), so a typo fails the
/// config instead of every LIST at run time.
/// https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
/// https://kubernetes.io/docs/concepts/overview/working-with-objects/field-selectors/
public enum KubeSelectorSyntax {
    /// What is wrong with a label selector (`app=x,tier!=db,env in (a,b),!canary,partition`),
    /// or `nil` when it parses.
    public static func labelSelectorProblem(_ selector: String) -> String? {
        for requirement in splitOutsideParentheses(selector) {
            let r = requirement.trimmingSpaces
            guard !r.isEmpty else { return "empty requirement" }
            if r.hasPrefix("!") {
                let key = String(r.dropFirst()).trimmingSpaces
                if let p = keyProblem(key) { return p }
                continue
            }
            if let (key, op, rest) = splitSetOperator(r) {
                if let p = keyProblem(key) { return p }
                guard rest.hasPrefix("("), rest.hasSuffix(")") else {
                    return "\(op) needs a parenthesised list of values, got \(quoted(rest))"
                }
                let values = rest.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false)
                for v in values {
                    if let p = valueProblem(String(v).trimmingSpaces) { return p }
                }
                continue
            }
            var matched = false
            for op in ["==", "!=", "=", ">", "<"] {
                guard let range = r.range(of: op) else { continue }
                let key = String(r[..<range.lowerBound]).trimmingSpaces
                let value = String(r[range.upperBound...]).trimmingSpaces
                if let p = keyProblem(key) { return p }
                if op == ">" || op == "<" {
                    guard Int(value) != nil else { return "\(op) needs an integer value, got \(quoted(value))" }
                } else if let p = valueProblem(value) {
                    return p
                }
                matched = true
                break
            }
            if !matched, let p = keyProblem(r) { return p }  // `key`: exists
        }
        return nil
    }

    /// What is wrong with a field selector (`spec.nodeName=n1,metadata.name!=x`), or `nil`.
    /// Values may escape `\`, `,` and `=` with a backslash, as apimachinery's `fields`.
    public static func fieldSelectorProblem(_ selector: String) -> String? {
        var terms: [String] = []
        var current = ""
        var escaped = false
        for c in selector {
            if escaped {
                current.append(c)
                escaped = false
            } else if c == "\\" {
                current.append(c)
                escaped = true
            } else if c == "," {
                terms.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        if escaped { return "a trailing backslash" }
        terms.append(current)
        for term in terms {
            let op = ["!=", "==", "="].first { term.contains($0) }
            guard let op, let range = term.range(of: op) else {
                return "\(quoted(term)) is not a field requirement (use field=value, field==value or field!=value)"
            }
            let field = term[..<range.lowerBound].trimmingSpaces
            guard !field.isEmpty else { return "\(quoted(term)) has no field name" }
        }
        return nil
    }

    private static func splitOutsideParentheses(_ s: String) -> [String] {
        var out: [String] = []
        var current = ""
        var depth = 0
        for c in s {
            switch c {
            case "(": depth += 1
            case ")": depth -= 1
            default: break
            }
            if c == ",", depth == 0 {
                out.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        out.append(current)
        return out
    }

    private static func splitSetOperator(_ r: String) -> (key: String, op: String, rest: String)? {
        let words = r.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard words.count >= 2, words[1] == "in" || words[1] == "notin" else {
            // `key in(a)` without a space before the parenthesis
            for op in [" in(", " notin("] {
                if let range = r.range(of: op) {
                    let key = String(r[..<range.lowerBound])
                    return (key.trimmingSpaces, String(op.dropFirst().dropLast()), "(" + r[range.upperBound...])
                }
            }
            return nil
        }
        return (String(words[0]), String(words[1]), words.count > 2 ? String(words[2]).trimmingSpaces : "")
    }

    /// A label key: an optional DNS subdomain prefix and `/`, then a name of 1–63 characters
    /// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`.
    static func keyProblem(_ key: String) -> String? {
        guard !key.isEmpty else { return "empty label key" }
        var name = Substring(key)
        if let slash = key.lastIndex(of: "/") {
            let prefix = key[..<slash]
            name = key[key.index(after: slash)...]
            guard !prefix.isEmpty, prefix.count <= 253,
                prefix.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isDNSLabel)
            else { return "\(quoted(key)): the prefix must be a DNS subdomain" }
        }
        guard isQualifiedName(name) else {
            return
                "\(quoted(key)) is not a valid label key (1-63 characters: letters, digits, '-', '_', '.', starting and ending with a letter or digit)"
        }
        return nil
    }

    static func valueProblem(_ value: String) -> String? {
        guard value.isEmpty || isQualifiedName(Substring(value)) else {
            return
                "\(quoted(value)) is not a valid label value (at most 63 characters: letters, digits, '-', '_', '.', starting and ending with a letter or digit)"
        }
        return nil
    }

    private static func isQualifiedName(_ s: Substring) -> Bool {
        guard (1...63).contains(s.count), let first = s.first, let last = s.last, first.isASCIIAlnum,
            last.isASCIIAlnum
        else { return false }
        return s.allSatisfy { $0.isASCIIAlnum || $0 == "-" || $0 == "_" || $0 == "." }
    }

    private static func isDNSLabel(_ s: Substring) -> Bool {
        guard (1...63).contains(s.count), let first = s.first, let last = s.last else { return false }
        return first.isLowerAlnum && last.isLowerAlnum && s.allSatisfy { $0.isLowerAlnum || $0 == "-" }
    }
}

extension Character {
    fileprivate var isASCIIAlnum: Bool { isASCII && (isLetter || isNumber) }
    fileprivate var isLowerAlnum: Bool { isASCII && (isLowercase || isNumber) }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
