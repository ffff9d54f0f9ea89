// Go's text/template builtin functions (`text/template/funcs.go`): len, index, slice, the
// comparisons, and the html / js / urlquery escapers.

/// `len`: bytes of a string, entries of a map, elements of a slice.
func goLen(_ v: TemplateValue) throws(FunctionFailure) -> TemplateValue {
    switch v {
    case .string(let s), .html(let s): return .int(s.utf8.count)
    case .labels(let m): return .int(m.count)
    case .map(let m): return .int(m.count)
    case .samples(let s): return .int(s.count)
    case .missing, .nilValue: throw .message("len of nil pointer")
    default: throw .message("len of type \(v.goTypeName)")
    }
}

private func indexArgument(_ v: TemplateValue, _ count: Int, inclusive: Bool) throws(FunctionFailure) -> Int {
    let x: Int
    switch v {
    case .int(let i): x = i
    case .byte(let b): x = Int(b)
    case .duration(let d): x = Int(d)
    case .missing, .nilValue: throw .message("cannot index slice/array with nil")
    default: throw .message("cannot index slice/array with type \(v.goTypeName)")
    }
    if x < 0 || (inclusive ? x > count : x >= count) { throw .message("index out of range: \(x)") }
    return x
}

/// `index item k1 k2 ...`: map entries (the zero value when missing), slice and string
/// elements.
func goIndex(_ item: TemplateValue, _ keys: [TemplateValue]) throws(FunctionFailure) -> TemplateValue {
    var item = item
    if item.isNil { throw .message("index of untyped nil") }
    for key in keys {
        switch item {
        case .samples(let s): item = .sample(s[try indexArgument(key, s.count, inclusive: false)])
        case .string(let s), .html(let s):
            let bytes = Array(s.utf8)
            item = .byte(bytes[try indexArgument(key, bytes.count, inclusive: false)])
        case .labels(let m):
            guard case .string(let k) = key else { throw mapKeyMismatch(key) }
            item = .string(m[k] ?? "")
        case .map(let m):
            guard case .string(let k) = key else { throw mapKeyMismatch(key) }
            item = m[k] ?? .nilValue
        case .nilValue, .missing: throw .message("index of nil pointer")
        default: throw .message("can't index item of type \(item.goTypeName)")
        }
    }
    return item
}

private func mapKeyMismatch(_ key: TemplateValue) -> FunctionFailure {
    key.isNil
        ? .message("value is nil; should be of type string")
        : .message("value has type \(key.goTypeName); should be string")
}

/// `slice item [i [j [k]]]`: `item[i:j:k]` of a string or slice.
func goSlice(_ item: TemplateValue, _ indexes: [TemplateValue]) throws(FunctionFailure) -> TemplateValue {
    if item.isNil { throw .message("slice of untyped nil") }
    if indexes.count > 3 { throw .message("too many slice indexes: \(indexes.count)") }
    let count: Int
    switch item {
    case .string(let s), .html(let s):
        if indexes.count == 3 { throw .message("cannot 3-index slice a string") }
        count = s.utf8.count
    case .samples(let s): count = s.count
    default: throw .message("can't slice item of type \(item.goTypeName)")
    }
    var bounds = [0, count, count]
    for (i, index) in indexes.enumerated() { bounds[i] = try indexArgument(index, count, inclusive: true) }
    if bounds[0] > bounds[1] { throw .message("invalid slice index: \(bounds[0]) > \(bounds[1])") }
    if indexes.count == 3, bounds[1] > bounds[2] { throw .message("invalid slice index: \(bounds[1]) > \(bounds[2])") }
    switch item {
    case .samples(let s): return .samples(Array(s[bounds[0]..<bounds[1]]))
    default:
        let bytes = Array(item.stringValue.utf8)[bounds[0]..<bounds[1]]
        return .string(String(decoding: bytes, as: UTF8.self))
    }
}

private let errBadComparisonType = FunctionFailure.message("invalid type for comparison")
private let errBadComparison = FunctionFailure.message("incompatible types for comparison")

/// `eq a b c...`: whether `a` equals any of the others. Basic kinds compare by value (an int
/// never equals a float: that is an error); other values compare only with nil.
func goEq(_ a: TemplateValue, _ others: [TemplateValue]) throws(FunctionFailure) -> Bool {
    if others.isEmpty { throw .message("missing argument for comparison") }
    let k1 = GoBasicKind(a)
    for b in others {
        let k2 = GoBasicKind(b)
        var truth = false
        if k1 != k2 {
            if let k1, let k2, k1 == .int && k2 == .uint || k1 == .uint && k2 == .int {
                truth = a.integerValue == b.integerValue
            } else if !a.isNil && !b.isNil {
                throw errBadComparison
            }
        } else if let k1 {
            switch k1 {
            case .bool: truth = a.isTrue == b.isTrue
            case .float: truth = a.floatValue == b.floatValue
            case .int, .uint: truth = a.integerValue == b.integerValue
            case .string: truth = a.stringValue == b.stringValue
            }
        } else if a.isNil || b.isNil {
            truth = a.isNil && b.isNil
        } else {
            throw .message("non-comparable types \(a.goTypeName), \(b.goTypeName)")
        }
        if truth { return true }
    }
    return false
}

/// `lt a b`: basic kinds of the same class only.
func goLt(_ a: TemplateValue, _ b: TemplateValue) throws(FunctionFailure) -> Bool {
    guard let k1 = GoBasicKind(a), let k2 = GoBasicKind(b) else { throw errBadComparisonType }
    if k1 != k2 {
        if k1 == .int && k2 == .uint || k1 == .uint && k2 == .int { return a.integerValue < b.integerValue }
        throw errBadComparison
    }
    switch k1 {
    case .bool: throw errBadComparisonType
    case .float: return a.floatValue < b.floatValue
    case .int, .uint: return a.integerValue < b.integerValue
    case .string: return a.stringValue.utf8.lexicographicallyPrecedes(b.stringValue.utf8)
    }
}

extension TemplateValue {
    var integerValue: Int64 {
        switch self {
        case .int(let v): return Int64(v)
        case .byte(let v): return Int64(v)
        case .duration(let v): return v
        default: return 0
        }
    }

    var floatValue: Double {
        if case .float(let v) = self { return v }
        return 0
    }
}

/// Go's `evalArgs` for the escapers: a single string as is, else `fmt.Sprint` of the values
/// (a nil one as `<no value>`).
func goEvalArgs(_ args: [TemplateValue]) -> String {
    if args.count == 1, case .string(let s) = args[0] { return s }
    return GoFormatter.sprint(args.map { $0.isNil ? TemplateValue.string("<no value>") : $0 })
}

/// Go's `template.HTMLEscapeString`.
func goHTMLEscape(_ s: String) -> String {
    var out = ""
    for u in s.unicodeScalars {
        switch u {
        case "\0": out += "\u{FFFD}"
        case "\"": out += "&#34;"
        case "'": out += "&#39;"
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        default: out.unicodeScalars.append(u)
        }
    }
    return out
}

/// Go's `template.JSEscapeString`.
func goJSEscape(_ s: String) -> String {
    var out = ""
    for u in s.unicodeScalars {
        switch u {
        case "\\": out += "\\\\"
        case "'": out += "\\'"
        case "\"": out += "\\\""
        case "<": out += "\\u003C"
        case ">": out += "\\u003E"
        case "&": out += "\\u0026"
        case "=": out += "\\u003D"
        default:
            if u.value < 0x20 {
                let hex = String(u.value, radix: 16, uppercase: true)
                out += "\\u00" + (hex.count == 1 ? "0" : "") + hex
            } else if u.value >= 0x80 && !isGoPrintable(u) {
                var hex = String(u.value, radix: 16, uppercase: true)
                while hex.count < 4 { hex = "0" + hex }
                out += "\\u" + hex
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out
}

/// Go's `url.QueryEscape`: letters, digits and `-_.~` kept, space as `+`, the rest `%XX`.
func goQueryEscape(_ s: String) -> String {
    var out = ""
    let hex = Array("0123456789ABCDEF")
    for c in s.utf8 {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "~"):
            out.unicodeScalars.append(Unicode.Scalar(c))
        case UInt8(ascii: " "):
            out += "+"
        default:
            out += "%" + String(hex[Int(c >> 4)]) + String(hex[Int(c & 15)])
        }
    }
    return out
}

/// Percent-decoding of a URL path (Go's `PathUnescape`, malformed escapes kept as is).
func goPathUnescape(_ s: String) -> String {
    let b = Array(s.utf8)
    var out: [UInt8] = []
    var i = 0
    while i < b.count {
        if b[i] == UInt8(ascii: "%"), i + 2 < b.count,
            let v = UInt8(String(decoding: b[(i + 1)...(i + 2)], as: UTF8.self), radix: 16)
        {
            out.append(v)
            i += 3
        } else {
            out.append(b[i])
            i += 1
        }
    }
    return String(decoding: out, as: UTF8.self)
}
