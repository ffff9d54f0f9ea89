/// Recognises patterns that need no regex engine under full anchoring.
enum FastPattern {
    /// Bytes that make a pattern more than a literal (outside an escape).
    private static let meta: Set<UInt8> = Set("\\.+*?()|[]{}^$".utf8)
    /// ASCII punctuation that `\` turns into itself in RE2 (`\_` is left to RE2).
    private static let escapable: Set<UInt8> = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^`{|}~".utf8)
    /// Above this many alternatives a hash set beats a linear scan.
    private static let setThreshold = 8

    static func parse(_ pattern: String) -> Engine? {
        switch pattern {
        case ".*", "(?:.*)": return .any(nonEmpty: false, groups: 0)
        case "(.*)": return .any(nonEmpty: false, groups: 1)
        case ".+", "(?:.+)": return .any(nonEmpty: true, groups: 0)
        case "(.+)": return .any(nonEmpty: true, groups: 1)
        default: break
        }
        var body = Array(pattern.utf8)
        var groups = 0
        if body.count >= 4, body.starts(with: Array("(?:".utf8)), body.last == UInt8(ascii: ")") {
            body = Array(body[3..<(body.count - 1)])
        } else if body.count >= 2, body.first == UInt8(ascii: "("), body.last == UInt8(ascii: ")"),
            body.count < 2 || body[1] != UInt8(ascii: "?")
        {
            body = Array(body[1..<(body.count - 1)])
            groups = 1
        }
        guard let alts = literals(body) else { return nil }
        let set = alts.count > setThreshold ? Set(alts) : nil
        return .literals(alts, set, groups: groups)
    }

    /// Splits `a|b\.c` into literal alternatives, or nil if any part is not a plain literal.
    private static func literals(_ b: [UInt8]) -> [[UInt8]]? {
        var alts: [[UInt8]] = []
        var cur: [UInt8] = []
        var i = 0
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\\") {
                guard i + 1 < b.count, escapable.contains(b[i + 1]) else { return nil }
                cur.append(b[i + 1])
                i += 2
                continue
            }
            if c == UInt8(ascii: "|") {
                alts.append(cur)
                cur = []
            } else if meta.contains(c) {
                return nil
            } else {
                cur.append(c)
            }
            i += 1
        }
        alts.append(cur)
        return alts
    }
}
