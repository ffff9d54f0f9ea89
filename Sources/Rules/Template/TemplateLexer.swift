/// Tokens of Go's text/template lexer (`text/template/parse/lex.go`).
enum TokenKind: Sendable, Equatable {
    case error, eof, text, leftDelim, rightDelim, space
    case bool, char, charConstant, number, string, rawString
    case field, identifier, variable, dot, nilKeyword
    case assign, declare, pipe, leftParen, rightParen
    // Keywords.
    case block, breakKeyword, continueKeyword, define, elseKeyword, end, ifKeyword, range, template, with

    var isKeyword: Bool {
        switch self {
        case .block, .breakKeyword, .continueKeyword, .define, .elseKeyword, .end, .ifKeyword, .range,
            .template, .with, .dot, .nilKeyword:
            return true
        default:
            return false
        }
    }
}

struct Token: Sendable {
    var kind: TokenKind
    /// Byte offsets of the token's text in the source.
    var start: Int
    var end: Int
    /// 1-based line where the token starts.
    var line: Int
    /// The message of an `.error` token.
    var message: String = ""
}

/// Splits template text into tokens. Go's lexer, run to completion: the token list ends with
/// `.eof` or with the first `.error`.
struct TemplateLexer {
    let b: [UInt8]
    var pos = 0
    var start = 0
    var line = 1
    var startLine = 1
    var parenDepth = 0
    var tokens: [Token] = []

    static let leftDelim: [UInt8] = Array("{{".utf8)
    static let rightDelim: [UInt8] = Array("}}".utf8)

    static func tokenize(_ bytes: [UInt8]) -> [Token] {
        var lexer = TemplateLexer(b: bytes)
        lexer.run()
        return lexer.tokens
    }

    init(b: [UInt8]) { self.b = b }

    enum State { case text, insideAction, done }

    mutating func run() {
        var state = State.text
        while true {
            switch state {
            case .text: state = lexText()
            case .insideAction: state = lexInsideAction()
            case .done: return
            }
        }
    }

    // MARK: - Helpers

    func at(_ i: Int) -> UInt8? { i < b.count ? b[i] : nil }

    func hasPrefix(_ p: [UInt8], at i: Int) -> Bool {
        guard i + p.count <= b.count else { return false }
        for k in 0..<p.count where b[i + k] != p[k] { return false }
        return true
    }

    static func isSpace(_ c: UInt8?) -> Bool {
        c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") || c == UInt8(ascii: "\n")
    }

    /// The scalar at byte `i` and its UTF-8 length (U+FFFD and 1 for a bad sequence).
    func scalar(at i: Int) -> (Unicode.Scalar, Int)? {
        guard i < b.count else { return nil }
        let c = b[i]
        if c < 0x80 { return (Unicode.Scalar(c), 1) }
        let n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1
        guard i + n <= b.count, n > 1 else { return ("\u{FFFD}", 1) }
        var it = b[i..<(i + n)].makeIterator()
        var decoder = UTF8()
        if case .scalarValue(let u) = decoder.decode(&it) { return (u, n) }
        return ("\u{FFFD}", 1)
    }

    /// Byte length of the letter, digit or `_` at `i` (Go's `isAlphaNumeric`), or 0.
    func alphaNumericLength(at i: Int) -> Int {
        guard let (u, n) = scalar(at: i) else { return 0 }
        if u == "_" { return n }
        if u.isASCII { return u.properties.isAlphabetic || (u.value >= 0x30 && u.value <= 0x39) ? n : 0 }
        switch u.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber:
            return n
        default:
            return 0
        }
    }

    mutating func skipAlphaNumerics() {
        while case let n = alphaNumericLength(at: pos), n > 0 { advance(n) }
    }

    func badCharacter() -> String {
        "bad character " + goRuneDescription(scalar(at: pos)?.0.value ?? 0)
    }

    mutating func advance(_ n: Int = 1) {
        for _ in 0..<n where pos < b.count {
            if b[pos] == UInt8(ascii: "\n") { line += 1 }
            pos += 1
        }
    }

    mutating func emit(_ kind: TokenKind) {
        tokens.append(Token(kind: kind, start: start, end: pos, line: startLine))
        start = pos
        startLine = line
    }

    mutating func ignore() {
        start = pos
        startLine = line
    }

    mutating func fail(_ message: String) -> State {
        tokens.append(Token(kind: .error, start: start, end: pos, line: startLine, message: message))
        return .done
    }

    /// `- ` right after `{{`.
    func hasLeftTrimMarker(at i: Int) -> Bool {
        at(i) == UInt8(ascii: "-") && TemplateLexer.isSpace(at(i + 1))
    }

    /// ` -` right before `}}`.
    func hasRightTrimMarker(at i: Int) -> Bool {
        TemplateLexer.isSpace(at(i)) && at(i + 1) == UInt8(ascii: "-")
    }

    func atRightDelim() -> (delim: Bool, trim: Bool) {
        if hasRightTrimMarker(at: pos), hasPrefix(Self.rightDelim, at: pos + 2) { return (true, true) }
        if hasPrefix(Self.rightDelim, at: pos) { return (true, false) }
        return (false, false)
    }

    // MARK: - States

    mutating func lexText() -> State {
        var i = pos
        while i < b.count, !hasPrefix(Self.leftDelim, at: i) { i += 1 }
        if i >= b.count {
            advance(b.count - pos)
            if pos > start { emit(.text) }
            emit(.eof)
            return .done
        }
        let trim = hasLeftTrimMarker(at: i + 2)
        var textEnd = i
        if trim {
            while textEnd > start, TemplateLexer.isSpace(b[textEnd - 1]) { textEnd -= 1 }
        }
        advance(textEnd - pos)
        if pos > start { emit(.text) }
        advance(i - pos)
        ignore()
        return lexLeftDelim(trim: trim)
    }

    mutating func lexLeftDelim(trim: Bool) -> State {
        advance(2 + (trim ? 2 : 0))
        if hasPrefix(Array("/*".utf8), at: pos) {
            ignore()
            return lexComment()
        }
        emit(.leftDelim)
        parenDepth = 0
        return .insideAction
    }

    mutating func lexComment() -> State {
        advance(2)
        var i = pos
        while i < b.count, !hasPrefix(Array("*/".utf8), at: i) { i += 1 }
        if i >= b.count { return fail("unclosed comment") }
        advance(i + 2 - pos)
        let (delim, trim) = atRightDelim()
        if !delim { return fail("comment ends before closing delimiter") }
        advance(2 + (trim ? 2 : 0))
        ignore()
        if trim { trimFollowingSpace() }
        return .text
    }

    mutating func trimFollowingSpace() {
        while pos < b.count, TemplateLexer.isSpace(b[pos]) { advance() }
        ignore()
    }

    mutating func lexRightDelim(trim: Bool) -> State {
        if trim {
            advance(2)
            ignore()
        }
        advance(2)
        emit(.rightDelim)
        if trim { trimFollowingSpace() }
        return .text
    }

    mutating func lexInsideAction() -> State {
        let (delim, trim) = atRightDelim()
        if delim {
            if parenDepth == 0 { return lexRightDelim(trim: trim) }
            return fail("unclosed left paren")
        }
        guard let c = at(pos) else { return fail("unclosed action") }
        switch c {
        case _ where TemplateLexer.isSpace(c):
            return lexSpace()
        case UInt8(ascii: "="):
            advance()
            emit(.assign)
        case UInt8(ascii: ":"):
            advance()
            guard at(pos) == UInt8(ascii: "=") else { return fail("expected :=") }
            advance()
            emit(.declare)
        case UInt8(ascii: "|"):
            advance()
            emit(.pipe)
        case UInt8(ascii: "\""):
            return lexQuote()
        case UInt8(ascii: "`"):
            return lexRawQuote()
        case UInt8(ascii: "$"):
            advance()
            return lexFieldOrVariable(.variable)
        case UInt8(ascii: "'"):
            return lexChar()
        case UInt8(ascii: "."):
            if let n = at(pos + 1), n >= 0x30, n <= 0x39 { return lexNumber() }
            advance()
            return lexFieldOrVariable(.field)
        case UInt8(ascii: "+"), UInt8(ascii: "-"), 0x30...0x39:
            return lexNumber()
        case UInt8(ascii: "("):
            advance()
            emit(.leftParen)
            parenDepth += 1
        case UInt8(ascii: ")"):
            advance()
            emit(.rightParen)
            parenDepth -= 1
            if parenDepth < 0 { return fail("unexpected right paren") }
        case _ where alphaNumericLength(at: pos) > 0:
            return lexIdentifier()
        case 0x20...0x7E:
            advance()
            emit(.char)
        default:
            return fail("unrecognized character in action: " + goRuneDescription(scalar(at: pos)?.0.value ?? 0))
        }
        return .insideAction
    }

    mutating func lexSpace() -> State {
        var spaces = 0
        while TemplateLexer.isSpace(at(pos)) {
            advance()
            spaces += 1
        }
        // A trim-marked right delimiter: the last space belongs to the marker.
        if hasRightTrimMarker(at: pos - 1), hasPrefix(Self.rightDelim, at: pos + 1) {
            pos -= 1
            if b[pos] == UInt8(ascii: "\n") { line -= 1 }
            if spaces == 1 { return .insideAction }
        }
        emit(.space)
        return .insideAction
    }

    func atTerminator() -> Bool {
        guard let c = at(pos) else { return true }
        if TemplateLexer.isSpace(c) { return true }
        switch c {
        case UInt8(ascii: "."), UInt8(ascii: ","), UInt8(ascii: "|"), UInt8(ascii: ":"), UInt8(ascii: ")"),
            UInt8(ascii: "("):
            return true
        default:
            return hasPrefix(Self.rightDelim, at: pos)
        }
    }

    mutating func lexIdentifier() -> State {
        skipAlphaNumerics()
        if !atTerminator() { return fail(badCharacter()) }
        let word = String(decoding: b[start..<pos], as: UTF8.self)
        switch word {
        case "block": emit(.block)
        case "break": emit(.breakKeyword)
        case "continue": emit(.continueKeyword)
        case "define": emit(.define)
        case "else": emit(.elseKeyword)
        case "end": emit(.end)
        case "if": emit(.ifKeyword)
        case "range": emit(.range)
        case "nil": emit(.nilKeyword)
        case "template": emit(.template)
        case "with": emit(.with)
        case "true", "false": emit(.bool)
        default: emit(.identifier)
        }
        return .insideAction
    }

    /// After `$` or `.`: a bare `$`/`.` or a name.
    mutating func lexFieldOrVariable(_ kind: TokenKind) -> State {
        if atTerminator() {
            emit(kind == .variable ? .variable : .dot)
            return .insideAction
        }
        skipAlphaNumerics()
        if !atTerminator() { return fail(badCharacter()) }
        emit(kind)
        return .insideAction
    }

}
