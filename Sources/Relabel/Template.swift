/// A replacement template (`replacement`, templated `target_label`) compiled against one
/// regex, expanded with Go's `regexp.Expand` rules:
///
/// - `$name` / `${name}` where name is letters, digits and `_` (Unicode letters and digits
///   count, as in Go); a name of digits only (no leading zero, below 1e8) is a group number;
/// - the longest such name is taken, so `$1x` is the group named `1x` (usually absent → empty);
/// - a group that does not exist or did not take part expands to nothing;
/// - `$$` is a `$`; a `$` not followed by a valid name (`$-`, `${1`, trailing `$`) stays as is.
///
/// See https://pkg.go.dev/regexp#Regexp.Expand.
struct Template: Sendable {
    enum Piece: Sendable, Equatable {
        case literal([UInt8])
        case group(Int)
    }

    let pieces: [Piece]
    /// Whether the template text contains `$` (Prometheus's `varInRegexTemplate`).
    let hasVariables: Bool

    init(_ template: String, regex: Regex) {
        hasVariables = template.utf8.contains(UInt8(ascii: "$"))
        var pieces: [Piece] = []
        var lit: [UInt8] = []
        func flush() {
            if !lit.isEmpty { pieces.append(.literal(lit)); lit = [] }
        }
        let s = Array(template.unicodeScalars)
        var i = 0
        while i < s.count {
            let u = s[i]
            guard u == "$" else {
                lit += Array(String(u).utf8)
                i += 1
                continue
            }
            i += 1
            if i < s.count, s[i] == "$" {
                lit.append(UInt8(ascii: "$"))
                i += 1
                continue
            }
            guard let (name, next) = Template.extract(s, from: i) else {
                lit.append(UInt8(ascii: "$"))  // malformed: the `$` is literal text
                continue
            }
            i = next
            if let idx = Template.groupNumber(name) ?? regex.groupIndex(named: name), idx <= regex.groupCount {
                flush()
                pieces.append(.group(idx))
            }
            // Otherwise the group does not exist: it expands to nothing.
        }
        flush()
        self.pieces = pieces
    }

    /// Go's `extract`: a name after `$`, optionally in braces. Returns the name and the index
    /// after it, or nil when malformed.
    private static func extract(_ s: [Unicode.Scalar], from start: Int) -> (String, Int)? {
        var i = start
        let brace = i < s.count && s[i] == "{"
        if brace { i += 1 }
        let nameStart = i
        while i < s.count, isNameScalar(s[i]) { i += 1 }
        guard i > nameStart else { return nil }
        var name = String.UnicodeScalarView()
        name.append(contentsOf: s[nameStart..<i])
        if brace {
            guard i < s.count, s[i] == "}" else { return nil }
            i += 1
        }
        return (String(name), i)
    }

    private static func isNameScalar(_ u: Unicode.Scalar) -> Bool {
        if u == "_" { return true }
        switch u.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber:
            return true
        default:
            return false
        }
    }

    /// Go's number rule: ASCII digits only, no leading zero (except "0"), below 1e8.
    private static func groupNumber(_ name: String) -> Int? {
        var num = 0
        for b in name.utf8 {
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9"), num < 100_000_000 else { return nil }
            num = num * 10 + Int(b - UInt8(ascii: "0"))
        }
        if name.utf8.count > 1, name.utf8.first == UInt8(ascii: "0") { return nil }
        return num
    }

    /// Expands against `subject` and Go-style submatch `offsets`.
    func expand(_ subject: UnsafeBufferPointer<UInt8>, _ offsets: [Int]) -> String {
        if pieces.count == 1, case .literal(let l) = pieces[0] { return String(decoding: l, as: UTF8.self) }
        var out: [UInt8] = []
        for p in pieces {
            switch p {
            case .literal(let l):
                out += l
            case .group(let g):
                let lo = offsets[2 * g], hi = offsets[2 * g + 1]
                if lo >= 0 { out += subject[lo..<hi] }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
