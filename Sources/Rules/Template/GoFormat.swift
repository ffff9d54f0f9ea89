// Go's fmt for template values: `Sprint`, `Sprintln`, `Sprintf` (verbs, flags, width,
// precision, `[n]` argument indexes, and the `%!d(string=x)` error forms).
// See https://pkg.go.dev/fmt.

/// One formatting run with Go's per-verb flags (`fmt.pp` and `fmt.fmt`).
struct GoFormatter {
    var out = ""
    var plus = false, minus = false, sharp = false, space = false, zero = false
    var plusV = false, sharpV = false
    var width = 0, precision = 0
    var widthPresent = false, precisionPresent = false

    mutating func clearFlags() {
        plus = false
        minus = false
        sharp = false
        space = false
        zero = false
        plusV = false
        sharpV = false
        width = 0
        precision = 0
        widthPresent = false
        precisionPresent = false
    }

    /// `fmt.Sprint`: operands in `%v`, a space between two operands when neither is a string.
    static func sprint(_ args: [TemplateValue]) -> String {
        var f = GoFormatter()
        var previousString = false
        for (i, arg) in args.enumerated() {
            let isString = arg.isGoString
            if i > 0 && !isString && !previousString { f.out += " " }
            f.printArg(arg, "v")
            previousString = isString
        }
        return f.out
    }

    /// `fmt.Sprintln`: operands in `%v` separated by spaces, then a newline.
    static func sprintln(_ args: [TemplateValue]) -> String {
        var f = GoFormatter()
        for (i, arg) in args.enumerated() {
            if i > 0 { f.out += " " }
            f.printArg(arg, "v")
        }
        f.out += "\n"
        return f.out
    }

    /// `fmt.Sprintf`.
    static func sprintf(_ format: String, _ args: [TemplateValue]) -> String {
        var f = GoFormatter()
        f.doPrintf(Array(format.unicodeScalars), args)
        return f.out
    }

    // MARK: - Values

    mutating func printArg(_ arg: TemplateValue, _ verb: Unicode.Scalar, depth: Int = 0) {
        if verb == "T" {
            fmtS(arg.isNil ? "<nil>" : arg.goTypeName)
            return
        }
        switch arg {
        case .missing, .nilValue:
            if verb == "v" { padString("<nil>") } else { badVerb(verb, arg) }
        case .bool(let b):
            if verb == "t" || verb == "v" { padString(b ? "true" : "false") } else { badVerb(verb, arg) }
        case .int(let v):
            fmtInteger(v < 0 ? UInt64(bitPattern: Int64(v)) : UInt64(v), signed: true, verb, arg)
        case .byte(let v):
            fmtInteger(UInt64(v), signed: false, verb, arg)
        case .float(let v):
            fmtFloatVerb(v, verb, arg)
        case .string(let s), .html(let s):
            fmtStringVerb(s, verb, arg)
        case .duration(let ns):
            switch verb {
            case "v", "s", "x", "X", "q": fmtStringVerb(goDurationString(ns), verb, arg)
            default: fmtInteger(UInt64(bitPattern: ns), signed: true, verb, arg)
            }
        case .time(let t):
            switch verb {
            case "v", "s", "x", "X", "q": fmtStringVerb(goTimeString(t), verb, arg)
            default: badVerb(verb, arg)
            }
        case .labels(let m):
            out += "map["
            for (i, key) in m.keys.sorted().enumerated() {
                if i > 0 { out += " " }
                printArg(.string(key), verb, depth: depth + 1)
                out += ":"
                printArg(.string(m[key]!), verb, depth: depth + 1)
            }
            out += "]"
        case .map(let m):
            out += "map["
            for (i, key) in m.keys.sorted().enumerated() {
                if i > 0 { out += " " }
                printArg(.string(key), verb, depth: depth + 1)
                out += ":"
                printArg(m[key]!, verb, depth: depth + 1)
            }
            out += "]"
        case .samples(let samples):
            out += "["
            for (i, s) in samples.enumerated() {
                if i > 0 { out += " " }
                printArg(.sample(s), verb, depth: depth + 1)
            }
            out += "]"
        case .sample(let s):
            if depth == 0 { out += "&" }
            out += "{"
            if plusV { out += "Labels:" }
            printArg(.labels(s.labels), verb, depth: depth + 1)
            out += plusV ? " Value:" : " "
            printArg(.float(s.value), verb, depth: depth + 1)
            out += "}"
        case .alert(let d):
            out += "{"
            for (i, (name, value)) in d.fields.enumerated() {
                if i > 0 { out += " " }
                if plusV { out += name + ":" }
                printArg(value, verb, depth: depth + 1)
            }
            out += "}"
        }
    }

    mutating func badVerb(_ verb: Unicode.Scalar, _ arg: TemplateValue) {
        out += "%!" + String(verb) + "("
        if arg.isNil {
            out += "<nil>"
        } else {
            out += arg.goTypeName + "="
            printArg(arg, "v")
        }
        out += ")"
    }

    // MARK: - Padding

    mutating func writePadding(_ n: Int) {
        guard n > 0 else { return }
        out += String(repeating: zero ? "0" : " ", count: n)
    }

    mutating func pad(_ s: String) {
        guard widthPresent && width != 0 else {
            out += s
            return
        }
        let n = width - s.unicodeScalars.count
        if !minus {
            writePadding(n)
            out += s
        } else {
            out += s
            writePadding(n)
        }
    }

    mutating func padString(_ s: String) { pad(s) }

    // MARK: - Strings

    mutating func fmtStringVerb(_ s: String, _ verb: Unicode.Scalar, _ arg: TemplateValue) {
        switch verb {
        case "v":
            if sharpV { padString(goQuote(s)) } else { fmtS(s) }
        case "s": fmtS(s)
        case "x", "X": fmtSx(s, upper: verb == "X")
        case "q": fmtQ(s)
        default: badVerb(verb, arg)
        }
    }

    mutating func fmtS(_ s: String) {
        if precisionPresent, s.unicodeScalars.count > precision {
            padString(String(String.UnicodeScalarView(s.unicodeScalars.prefix(precision))))
        } else {
            padString(s)
        }
    }

    mutating func fmtSx(_ s: String, upper: Bool) {
        var bytes = Array(s.utf8)
        if precisionPresent, bytes.count > precision { bytes = Array(bytes.prefix(precision)) }
        let digits = Array((upper ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var r: [UInt8] = []
        for (i, c) in bytes.enumerated() {
            if space && i > 0 { r.append(UInt8(ascii: " ")) }
            if sharp && (space || i == 0) { r += [UInt8(ascii: "0"), upper ? UInt8(ascii: "X") : UInt8(ascii: "x")] }
            r += [digits[Int(c >> 4)], digits[Int(c & 15)]]
        }
        pad(String(decoding: r, as: UTF8.self))
    }

    mutating func fmtQ(_ s: String) {
        var s = s
        if precisionPresent, s.unicodeScalars.count > precision {
            s = String(String.UnicodeScalarView(s.unicodeScalars.prefix(precision)))
        }
        if sharp, !s.contains("`"), s.unicodeScalars.allSatisfy({ $0 == "\t" || isGoPrintable($0) }) {
            padString("`" + s + "`")
        } else {
            padString(goQuote(s, asciiOnly: plus))
        }
    }

}
