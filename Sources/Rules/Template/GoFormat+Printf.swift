extension GoFormatter {
    // MARK: - Printf

    mutating func doPrintf(_ format: [Unicode.Scalar], _ args: [TemplateValue]) {
        let end = format.count
        var argNum = 0
        var afterIndex = false
        var reordered = false
        var i = 0
        formatLoop: while i < end {
            var goodArgNum = true
            let last = i
            while i < end && format[i] != "%" { i += 1 }
            if i > last { out.unicodeScalars.append(contentsOf: format[last..<i]) }
            if i >= end { break }
            i += 1
            clearFlags()
            simpleFormat: while i < end {
                let c = format[i]
                switch c {
                case "#": sharp = true
                case "0": zero = !minus
                case "+": plus = true
                case "-":
                    minus = true
                    zero = false
                case " ": space = true
                default:
                    if c >= "a" && c <= "z" && argNum < args.count {
                        if c == "v" { moveVFlags() }
                        printArg(args[argNum], c)
                        argNum += 1
                        i += 1
                        continue formatLoop
                    }
                    break simpleFormat
                }
                i += 1
            }
            func argNumber() {
                guard i < end, format[i] == "[" else { return }
                reordered = true
                var j = i + 1
                while j < end && format[j] != "]" { j += 1 }
                guard j < end, j > i + 1, let n = Int(String(String.UnicodeScalarView(format[(i + 1)..<j]))) else {
                    goodArgNum = false
                    i = j < end ? j + 1 : i + 1
                    afterIndex = false
                    return
                }
                if n >= 1 && n <= args.count {
                    argNum = n - 1
                    afterIndex = true
                } else {
                    goodArgNum = false
                    afterIndex = true
                }
                i = j + 1
            }
            func parseNumber() -> Int? {
                var n: Int?
                while i < end, format[i].value >= 0x30, format[i].value <= 0x39 {
                    n = (n ?? 0) * 10 + Int(format[i].value - 0x30)
                    if n! > 1_000_000 { return nil }
                    i += 1
                }
                return n
            }
            func intFromArg() -> Int? {
                guard argNum < args.count else { return nil }
                defer { argNum += 1 }
                if case .int(let v) = args[argNum] { return v }
                return nil
            }
            argNumber()
            if i < end && format[i] == "*" {
                i += 1
                if let w = intFromArg() {
                    width = abs(w)
                    widthPresent = true
                    if w < 0 {
                        minus = true
                        zero = false
                    }
                } else {
                    out += "%!(BADWIDTH)"
                }
                afterIndex = false
            } else if let w = parseNumber() {
                width = w
                widthPresent = true
                if afterIndex { goodArgNum = false }
            }
            if i + 1 < end && format[i] == "." {
                i += 1
                if afterIndex { goodArgNum = false }
                argNumber()
                if i < end && format[i] == "*" {
                    i += 1
                    if let p = intFromArg(), p >= 0 {
                        precision = p
                        precisionPresent = true
                    } else {
                        out += "%!(BADPREC)"
                    }
                    afterIndex = false
                } else {
                    precision = parseNumber() ?? 0
                    precisionPresent = true
                }
            }
            if !afterIndex { argNumber() }
            guard i < end else {
                out += "%!(NOVERB)"
                break
            }
            let verb = format[i]
            i += 1
            if verb == "%" {
                out += "%"
            } else if !goodArgNum {
                out += "%!" + String(verb) + "(BADINDEX)"
            } else if argNum >= args.count {
                out += "%!" + String(verb) + "(MISSING)"
            } else {
                if verb == "v" { moveVFlags() }
                printArg(args[argNum], verb)
                argNum += 1
            }
        }
        if !reordered && argNum < args.count {
            clearFlags()
            out += "%!(EXTRA "
            for (k, arg) in args[argNum...].enumerated() {
                if k > 0 { out += ", " }
                if arg.isNil {
                    out += "<nil>"
                } else {
                    out += arg.goTypeName + "="
                    printArg(arg, "v")
                }
            }
            out += ")"
        }
    }

    mutating func moveVFlags() {
        sharpV = sharp
        sharp = false
        plusV = plus
        plus = false
    }
}
