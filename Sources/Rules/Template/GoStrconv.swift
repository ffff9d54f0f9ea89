// Go's strconv where templates need it: literals in template text (`Unquote`, `ParseInt`
// with base 0, `ParseFloat`) and quoting in messages and `%q`.

/// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
func isGoPrintable(_ u: Unicode.Scalar) -> Bool {
    if u == " " { return true }
    switch u.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
        .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber,
        .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
        .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
        return true
    default:
        return false
    }
}

/// Go's `strconv.Quote` (`asciiOnly`: `QuoteToASCII`).
func goQuote(_ s: String, asciiOnly: Bool = false, quote: Character = "\"") -> String {
    var out = String(quote)
    for u in s.unicodeScalars {
        if String(u) == String(quote) || u == "\\" {
            out += "\\" + String(u)
            continue
        }
        if asciiOnly ? (u.isASCII && isGoPrintable(u)) : isGoPrintable(u) {
            out.unicodeScalars.append(u)
            continue
        }
        switch u {
        case "\u{07}": out += "\\a"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{0B}": out += "\\v"
        default:
            let hex = String(u.value, radix: 16)
            if u.value < 0x20 || u.value == 0x7F {
                out += "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
            } else if u.value < 0x10000 {
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out += "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
            }
        }
    }
    out.append(quote)
    return out
}

/// Go's `strconv.Unquote` for `"..."` and `` `...` `` literals; nil when malformed.
func goUnquote(_ s: String) -> String? {
    let u = Array(s.unicodeScalars)
    guard u.count >= 2 else { return nil }
    if u[0] == "`" {
        guard u.last == "`" else { return nil }
        var out = String.UnicodeScalarView()
        for c in u[1..<(u.count - 1)] where c != "\r" {
            if c == "`" { return nil }
            out.append(c)
        }
        return String(out)
    }
    guard u[0] == "\"", u.last == "\"" else { return nil }
    var out = [UInt8]()
    var i = 1
    let end = u.count - 1
    while i < end {
        guard let (bytes, next) = unquoteOne(u, i, end, quote: "\"") else { return nil }
        out += bytes
        i = next
    }
    return String(decoding: out, as: UTF8.self)
}

/// The value of a Go character constant `'x'`; nil when malformed.
func goUnquoteChar(_ s: String) -> UInt32? {
    let u = Array(s.unicodeScalars)
    guard u.count >= 3, u[0] == "'", u.last == "'" else { return nil }
    guard let (bytes, next) = unquoteOne(u, 1, u.count - 1, quote: "'"), next == u.count - 1 else { return nil }
    if bytes.count == 1, bytes[0] >= 0x80 { return UInt32(bytes[0]) }  // `\xff`
    return String(decoding: bytes, as: UTF8.self).unicodeScalars.first?.value
}

/// One character or escape of a quoted literal: its UTF-8 bytes and the next index.
private func unquoteOne(_ u: [Unicode.Scalar], _ start: Int, _ end: Int, quote: Unicode.Scalar) -> ([UInt8], Int)? {
    var i = start
    let c = u[i]
    if c == quote || c == "\n" { return nil }
    guard c == "\\" else { return (Array(String(c).utf8), i + 1) }
    i += 1
    guard i < end else { return nil }
    let e = u[i]
    i += 1
    func hex(_ n: Int) -> UInt32? {
        guard i + n <= end else { return nil }
        var v: UInt32 = 0
        for k in 0..<n {
            guard let d = Int(String(u[i + k]), radix: 16) else { return nil }
            v = v * 16 + UInt32(d)
        }
        i += n
        return v
    }
    switch e {
    case "a": return ([7], i)
    case "b": return ([8], i)
    case "f": return ([12], i)
    case "n": return ([10], i)
    case "r": return ([13], i)
    case "t": return ([9], i)
    case "v": return ([11], i)
    case "\\": return ([0x5C], i)
    case "'", "\"":
        guard e == quote else { return nil }
        return ([UInt8(e.value)], i)
    case "x":
        guard let v = hex(2) else { return nil }
        return ([UInt8(v)], i)
    case "u", "U":
        guard let v = hex(e == "u" ? 4 : 8), let scalar = Unicode.Scalar(v) else { return nil }
        return (Array(String(scalar).utf8), i)
    case "0"..."7":
        guard i + 2 <= end else { return nil }
        var v = e.value - 0x30
        for k in 0..<2 {
            let d = u[i + k].value
            guard d >= 0x30, d <= 0x37 else { return nil }
            v = v * 8 + d - 0x30
        }
        guard v <= 255 else { return nil }
        i += 2
        return ([UInt8(v)], i)
    default:
        return nil
    }
}

/// Sign, base prefix (`0x`, `0o`, `0b`, or a leading `0` for octal) and digits of a Go
/// integer literal with `_` separators (base 0 of `ParseInt`).
private func splitGoInteger(_ s: String) -> (negative: Bool, signed: Bool, radix: Int, digits: Substring)? {
    var t = Substring(s)
    var negative = false
    var signed = false
    if let f = t.first, f == "+" || f == "-" {
        negative = f == "-"
        signed = true
        t = t.dropFirst()
    }
    var radix = 10
    var prefixed = false
    if t.count >= 2, t.first == "0" {
        switch t.dropFirst().first {
        case "x", "X": radix = 16
        case "o", "O": radix = 8
        case "b", "B": radix = 2
        default: radix = 8
        }
        if radix != 8 || t.dropFirst().first == "o" || t.dropFirst().first == "O" {
            t = t.dropFirst(2)
            prefixed = true
        } else {
            t = t.dropFirst()
            prefixed = true
        }
    }
    // Underscores only between digits, or right after a base prefix.
    var previous: Character = prefixed ? "0" : "^"
    for c in t {
        if c == "_" {
            guard previous != "_" && previous != "^" else { return nil }
        }
        previous = c
    }
    if previous == "_" { return nil }
    let digits = t.filter { $0 != "_" }
    guard !digits.isEmpty || (prefixed && radix == 8) else { return nil }
    return (negative, signed, radix, digits.isEmpty ? "0" : Substring(digits))
}

/// Go's `strconv.ParseUint(s, 0, 64)`; nil on syntax error or overflow.
func goParseUInt(_ s: String) -> UInt64? {
    guard let p = splitGoInteger(s), !p.signed else { return nil }
    return UInt64(p.digits, radix: p.radix)
}

/// Go's `strconv.ParseInt(s, 0, 64)`; nil on syntax error or overflow.
func goParseInt(_ s: String) -> Int64? {
    guard let p = splitGoInteger(s), let m = UInt64(p.digits, radix: p.radix) else { return nil }
    if p.negative {
        guard m <= UInt64(Int64.max) + 1 else { return nil }
        return m == UInt64(Int64.max) + 1 ? Int64.min : -Int64(m)
    }
    guard m <= UInt64(Int64.max) else { return nil }
    return Int64(m)
}

enum GoParseFloatError: Error {
    case syntax
    case range(Double)
}

/// Go's `strconv.ParseFloat(s, 64)`: decimal and hexadecimal (`0x1p-2`, exponent required)
/// literals with `_` separators, `inf`/`infinity` (signed) and `nan` in any case.
func goParseFloat(_ s: String) -> Result<Double, GoParseFloatError> {
    let lower = s.lowercased()
    var body = Substring(lower)
    var negative = false
    if let f = body.first, f == "+" || f == "-" {
        negative = f == "-"
        body = body.dropFirst()
    }
    if body == "inf" || body == "infinity" { return .success(negative ? -.infinity : .infinity) }
    if lower == "nan" { return .success(.nan) }
    var digits = 0
    var underscores = false
    var i = body.startIndex
    let hex = body.hasPrefix("0x")
    if hex { i = body.index(i, offsetBy: 2) }
    var sawDot = false
    var sawExponent = false
    while i < body.endIndex {
        let c = body[i]
        if c == "_" {
            underscores = true
        } else if c == "." && !sawDot {
            sawDot = true
        } else if c.isASCII && c.isHexDigit && (hex || c.isNumber) {
            digits += 1
        } else {
            break
        }
        i = body.index(after: i)
    }
    guard digits > 0 else { return .failure(.syntax) }
    if i < body.endIndex, body[i] == (hex ? "p" : "e") {
        sawExponent = true
        i = body.index(after: i)
        if i < body.endIndex, body[i] == "+" || body[i] == "-" { i = body.index(after: i) }
        var expDigits = 0
        while i < body.endIndex, (body[i].isASCII && body[i].isNumber) || body[i] == "_" {
            if body[i] == "_" { underscores = true } else { expDigits += 1 }
            i = body.index(after: i)
        }
        guard expDigits > 0 else { return .failure(.syntax) }
    }
    guard i == body.endIndex, !hex || sawExponent else { return .failure(.syntax) }
    if underscores && !goUnderscoresOK(String(body)) { return .failure(.syntax) }
    let clean = (negative ? "-" : "") + body.filter { $0 != "_" }
    guard let v = Double(clean) else { return .failure(.syntax) }
    if v.isInfinite { return .failure(.range(v)) }
    return .success(v)
}

/// Go's `underscoreOK`: `_` only between digits or between a base prefix and a digit.
private func goUnderscoresOK(_ s: String) -> Bool {
    var saw: Character = "^"
    var chars = Array(s)
    var i = 0
    var hex = false
    if chars.count >= 2, chars[0] == "0", "xXbBoO".contains(chars[1]) {
        hex = chars[1] == "x" || chars[1] == "X"
        saw = "0"
        i = 2
    }
    chars = Array(chars[i...])
    for c in chars {
        if c.isASCII && (c.isNumber || (hex && c.isHexDigit)) {
            saw = "0"
            continue
        }
        if c == "_" {
            if saw != "0" { return false }
            saw = "_"
            continue
        }
        if saw == "_" { return false }
        saw = "!"
    }
    return saw != "_"
}
