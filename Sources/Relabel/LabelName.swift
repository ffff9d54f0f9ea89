/// Label-name checks and the small Go string helpers that relabeling needs to match
/// Prometheus byte for byte.
public enum LabelName {
    /// Legacy Prometheus label name charset: `[a-zA-Z_][a-zA-Z0-9_]*`
    /// (`model.LabelName.IsValid` with the legacy validation scheme).
    public static func isValid(_ name: String) -> Bool { isLegacyName(name, colons: false) }

    /// Legacy Prometheus metric name charset: `[a-zA-Z_:][a-zA-Z0-9_:]*`
    /// (`model.IsValidMetricName` with the legacy validation scheme).
    public static func isValidMetricName(_ name: String) -> Bool { isLegacyName(name, colons: true) }

    /// A label name that may contain `$1`, `${1}`, `$name` references: Prometheus's
    /// `relabelTarget`, `^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$`, which the `target_label`
    /// of `replace` and the `replacement` of `labelmap` must match. ASCII only, as RE2's `\w`.
    public static func isValidTemplated(_ name: String) -> Bool {
        let b = Array(name.utf8)
        guard !b.isEmpty else { return false }
        func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A || c == UInt8(ascii: "_") }
        func isWord(_ c: UInt8) -> Bool { isLetter(c) || (c >= 0x30 && c <= 0x39) }
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "$") {
                i += 1
                if i < b.count && b[i] == UInt8(ascii: "{") {
                    var j = i + 1
                    while j < b.count && isWord(b[j]) { j += 1 }
                    guard j > i + 1, j < b.count, b[j] == UInt8(ascii: "}") else { return false }
                    i = j + 1
                } else {
                    let start = i
                    while i < b.count && isWord(b[i]) { i += 1 }
                    guard i > start else { return false }
                }
            } else if i == 0 ? isLetter(b[i]) : isWord(b[i]) {
                i += 1
            } else {
                return false
            }
        }
        return true
    }

    private static func isLegacyName(_ name: String, colons: Bool) -> Bool {
        var first = true
        for b in name.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"):
                break
            case UInt8(ascii: ":") where colons:
                break
            case UInt8(ascii: "0")...UInt8(ascii: "9") where !first:
                break
            default:
                return false
            }
            first = false
        }
        return !first
    }
}

public enum GoString {
    /// Go's `%q` for the strings that appear in error messages: double quotes, backslash
    /// escapes for `"`, `\` and control characters; printable Unicode kept as is.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{07}": out += "\\a"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{0B}": out += "\\v"
            default:
                if u.value < 0x20 || u.value == 0x7F {
                    let hex = String(u.value, radix: 16)
                    out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// Go's `strings.ToLower`: simple (one-to-one) case mapping per code point, so `İ`
    /// stays one code point and `ß` is not expanded. Swift only exposes full mappings; where
    /// the full mapping is longer than one code point the code point is left as is.
    static func lowercased(_ s: String) -> String {
        if s.utf8.allSatisfy({ $0 < 0x80 }) {
            return String(decoding: s.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
        }
        return mapScalars(s) { $0.properties.lowercaseMapping }
    }

    /// Go's `strings.ToUpper` (simple case mapping, see `lowercased`).
    static func uppercased(_ s: String) -> String {
        if s.utf8.allSatisfy({ $0 < 0x80 }) {
            return String(decoding: s.utf8.map { $0 >= 0x61 && $0 <= 0x7A ? $0 & 0xDF : $0 }, as: UTF8.self)
        }
        return mapScalars(s) { $0.properties.uppercaseMapping }
    }

    private static func mapScalars(_ s: String, _ full: (Unicode.Scalar) -> String) -> String {
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            let m = full(u).unicodeScalars
            if m.count == 1, let only = m.first { out.append(only) } else { out.append(u) }
        }
        return String(out)
    }

    /// Byte equality (Go's `==` on strings); Swift's `==` uses canonical equivalence.
    static func bytesEqual(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8)
    }
}
