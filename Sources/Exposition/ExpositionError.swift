/// A parse error: the whole scrape fails (Prometheus rolls back the scrape's appender).
///
/// `line` and `column` are 1-based; the column counts bytes. `message` follows the wording of
/// Prometheus's `model/textparse` errors, with the offending token quoted (Go `%q` style) and
/// cut to 64 bytes.
public struct ExpositionError: Error, Sendable, CustomStringConvertible, Equatable {
    public var line: Int
    public var column: Int
    public var message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    /// `line 12, column 18: expected label value, got "}"`.
    public var description: String { "line \(line), column \(column): \(message)" }

    /// Builds an error at byte `offset` of `body`, computing line and column.
    static func at(_ offset: Int, in body: UnsafeBufferPointer<UInt8>, _ message: String) -> ExpositionError {
        let end = min(max(offset, 0), body.count)
        var line = 1
        var lineStart = 0
        var i = 0
        while i < end {
            if body[i] == 0x0A {
                line &+= 1
                lineStart = i &+ 1
            }
            i &+= 1
        }
        return ExpositionError(line: line, column: end - lineStart + 1, message: message)
    }
}

/// Quotes bytes as Go's `%q` does for a byte slice: valid UTF-8 printed as is, `"` and `\`
/// escaped, control characters as `\n`, `\r`, `\t` or `\xNN`, invalid bytes as `\xNN`.
/// Input longer than `limit` bytes is cut first.
func goQuote<C: Collection>(_ bytes: C, limit: Int = 64) -> String where C.Element == UInt8 {
    let cut = Array(bytes.prefix(limit))
    var out = "\""
    var i = 0
    func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return "\\x" + String(digits[Int(b >> 4)]) + String(digits[Int(b & 0xF)])
    }
    while i < cut.count {
        let b = cut[i]
        if b < 0x80 {
            switch b {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x07: out += "\\a"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x0B: out += "\\v"
            case 0..<0x20, 0x7F: out += hex(b)
            default: out.unicodeScalars.append(Unicode.Scalar(b))
            }
            i += 1
            continue
        }
        let n = utf8SequenceLength(cut, at: i)
        if n == 0 {
            out += hex(b)
            i += 1
        } else {
            out += String(decoding: cut[i..<(i + n)], as: UTF8.self)
            i += n
        }
    }
    return out + "\""
}

/// Length of the valid UTF-8 sequence starting at `i`, or 0 if the bytes there are invalid.
func utf8SequenceLength<C: RandomAccessCollection>(_ b: C, at i: C.Index) -> Int
where C.Element == UInt8, C.Index == Int {
    let end = b.endIndex
    let c0 = b[i]
    func cont(_ j: Int) -> Bool { j < end && b[j] & 0xC0 == 0x80 }
    switch c0 {
    case 0..<0x80: return 1
    case 0xC2...0xDF: return cont(i + 1) ? 2 : 0
    case 0xE0:
        return i + 1 < end && (0xA0...0xBF).contains(b[i + 1]) && cont(i + 2) ? 3 : 0
    case 0xE1...0xEC, 0xEE...0xEF:
        return cont(i + 1) && cont(i + 2) ? 3 : 0
    case 0xED:
        return i + 1 < end && (0x80...0x9F).contains(b[i + 1]) && cont(i + 2) ? 3 : 0
    case 0xF0:
        return i + 1 < end && (0x90...0xBF).contains(b[i + 1]) && cont(i + 2) && cont(i + 3) ? 4 : 0
    case 0xF1...0xF3:
        return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0
    case 0xF4:
        return i + 1 < end && (0x80...0x8F).contains(b[i + 1]) && cont(i + 2) && cont(i + 3) ? 4 : 0
    default: return 0
    }
}

/// Whether `b[range]` is valid UTF-8 (Go's `utf8.Valid`).
func isValidUTF8(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
    var i = range.lowerBound
    while i < range.upperBound {
        if b[i] < 0x80 {
            i &+= 1
            continue
        }
        let sub = UnsafeBufferPointer(rebasing: b[..<range.upperBound])
        let n = utf8SequenceLength(sub, at: i)
        if n == 0 { return false }
        i &+= n
    }
    return true
}
