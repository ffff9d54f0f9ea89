extension TemplateLexer {
    mutating func lexQuote() -> State {
        advance()
        while true {
            guard let c = at(pos), c != UInt8(ascii: "\n") else { return fail("unterminated quoted string") }
            advance()
            if c == UInt8(ascii: "\\") {
                guard let n = at(pos), n != UInt8(ascii: "\n") else { return fail("unterminated quoted string") }
                advance()
            } else if c == UInt8(ascii: "\"") {
                break
            }
        }
        emit(.string)
        return .insideAction
    }

    mutating func lexRawQuote() -> State {
        advance()
        while true {
            guard let c = at(pos) else { return fail("unterminated raw quoted string") }
            advance()
            if c == UInt8(ascii: "`") { break }
        }
        emit(.rawString)
        return .insideAction
    }

    mutating func lexChar() -> State {
        advance()
        while true {
            guard let c = at(pos), c != UInt8(ascii: "\n") else { return fail("unterminated character constant") }
            advance()
            if c == UInt8(ascii: "\\") {
                guard let n = at(pos), n != UInt8(ascii: "\n") else { return fail("unterminated character constant") }
                advance()
            } else if c == UInt8(ascii: "'") {
                break
            }
        }
        emit(.charConstant)
        return .insideAction
    }

    /// Go's `scanNumber`: sign, base prefix, digits with `_`, fraction, exponent. The number's
    /// value is checked by the parser.
    mutating func lexNumber() -> State {
        if at(pos) == UInt8(ascii: "+") || at(pos) == UInt8(ascii: "-") { advance() }
        var digits = "0123456789_"
        if at(pos) == UInt8(ascii: "0"), let x = at(pos + 1) {
            switch x | 0x20 {
            case UInt8(ascii: "x"):
                advance(2)
                digits = "0123456789abcdefABCDEF_"
            case UInt8(ascii: "o"):
                advance(2)
                digits = "01234567_"
            case UInt8(ascii: "b"):
                advance(2)
                digits = "01_"
            default: break
            }
        }
        let set = Set(digits.utf8)
        while let c = at(pos), set.contains(c) { advance() }
        if at(pos) == UInt8(ascii: ".") {
            advance()
            while let c = at(pos), set.contains(c) { advance() }
        }
        if digits.count == 11, let e = at(pos), e | 0x20 == UInt8(ascii: "e") {
            advance()
            if at(pos) == UInt8(ascii: "+") || at(pos) == UInt8(ascii: "-") { advance() }
            while let c = at(pos), c >= 0x30, c <= 0x39 || c == UInt8(ascii: "_") { advance() }
        }
        if digits.count == 23, let p = at(pos), p | 0x20 == UInt8(ascii: "p") {
            advance()
            if at(pos) == UInt8(ascii: "+") || at(pos) == UInt8(ascii: "-") { advance() }
            while let c = at(pos), c >= 0x30, c <= 0x39 || c == UInt8(ascii: "_") { advance() }
        }
        if at(pos) == UInt8(ascii: "i") { advance() }
        if case let n = alphaNumericLength(at: pos), n > 0 {
            advance(n)
            return fail("bad number syntax: " + goQuote(String(decoding: b[start..<pos], as: UTF8.self)))
        }
        emit(.number)
        return .insideAction
    }
}

/// Go's `%#U`: `U+00A0` followed by the quoted character when printable.
func goRuneDescription(_ value: UInt32) -> String {
    var hex = String(value, radix: 16, uppercase: true)
    while hex.count < 4 { hex = "0" + hex }
    if let scalar = Unicode.Scalar(value), isGoPrintable(scalar) {
        return "U+\(hex) '\(Character(scalar))'"
    }
    return "U+\(hex)"
}
