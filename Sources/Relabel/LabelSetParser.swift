import PromModel

/// Parses the label-set form that `promsls check relabel` takes:
/// `__address__="10.0.0.1:9100",env="prod"`.
///
/// Pairs are `name="value"`, separated by commas and/or newlines (blanks around them are
/// ignored, as is a trailing comma); the whole may be wrapped in `{…}`. Values use the text
/// format's escapes (`\\`, `\"`, `\n`). An empty value means the label is absent.
/// - Throws: `RelabelError` of kind `.invalidLabelSet` with the byte offset of the problem:
///   an invalid label name, a missing `=` or quote, an unknown escape, an unterminated value,
///   a duplicate label name, or text after the closing brace.
public func parseLabelSet(_ text: String) throws(RelabelError) -> Labels {
    var p = LabelSetParser(Array(text.utf8))
    return try p.parse()
}

private struct LabelSetParser {
    let b: [UInt8]
    var i = 0

    init(_ bytes: [UInt8]) { b = bytes }

    func fail(_ what: String) -> RelabelError {
        RelabelError(.invalidLabelSet, "invalid label set at byte offset \(i): \(what)")
    }

    mutating func skipBlanks(newlines: Bool) {
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0D || (newlines && b[i] == 0x0A) { i += 1 }
    }

    mutating func parse() throws(RelabelError) -> Labels {
        var labels: [Label] = []
        var seen: Set<String> = []
        skipBlanks(newlines: true)
        let braced = i < b.count && b[i] == UInt8(ascii: "{")
        if braced { i += 1 }
        while true {
            skipBlanks(newlines: true)
            if i >= b.count || (braced && b[i] == UInt8(ascii: "}")) { break }
            let nameStart = i
            while i < b.count, isNameByte(b[i], first: i == nameStart) { i += 1 }
            guard i > nameStart else { throw fail("expected a label name") }
            let name = String(decoding: b[nameStart..<i], as: UTF8.self)
            skipBlanks(newlines: false)
            guard i < b.count, b[i] == UInt8(ascii: "=") else {
                throw fail("expected '=' after label name \"\(name)\"")
            }
            i += 1
            skipBlanks(newlines: false)
            guard i < b.count, b[i] == UInt8(ascii: "\"") else {
                throw fail("expected '\"' to open the value of \"\(name)\"")
            }
            i += 1
            var value: [UInt8] = []
            var closed = false
            while i < b.count {
                let c = b[i]
                if c == UInt8(ascii: "\"") { closed = true; i += 1; break }
                if c == 0x0A { break }
                if c == UInt8(ascii: "\\") {
                    guard i + 1 < b.count else { break }
                    switch b[i + 1] {
                    case UInt8(ascii: "\\"): value.append(UInt8(ascii: "\\"))
                    case UInt8(ascii: "\""): value.append(UInt8(ascii: "\""))
                    case UInt8(ascii: "n"): value.append(0x0A)
                    default: throw fail("unknown escape in the value of \"\(name)\"")
                    }
                    i += 2
                    continue
                }
                value.append(c)
                i += 1
            }
            guard closed else { throw fail("unterminated value of \"\(name)\"") }
            guard seen.insert(name).inserted else { throw fail("duplicate label name \"\(name)\"") }
            labels.append(Label(name, String(decoding: value, as: UTF8.self)))
            skipBlanks(newlines: false)
            if i < b.count, b[i] == UInt8(ascii: ",") {
                i += 1
            } else if i < b.count, b[i] == 0x0A {
                continue
            } else if i < b.count, !(braced && b[i] == UInt8(ascii: "}")) {
                throw fail("expected ',' or a new line after the value of \"\(name)\"")
            }
        }
        if braced {
            guard i < b.count, b[i] == UInt8(ascii: "}") else { throw fail("expected '}'") }
            i += 1
            skipBlanks(newlines: true)
        }
        guard i == b.count else { throw fail("unexpected text after the label set") }
        return Labels(labels)
    }

    private func isNameByte(_ c: UInt8, first: Bool) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"):
            return true
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return !first
        default: return false
        }
    }
}
