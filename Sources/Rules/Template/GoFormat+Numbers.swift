extension GoFormatter {
    // MARK: - Integers

    mutating func fmtInteger(_ u: UInt64, signed: Bool, _ verb: Unicode.Scalar, _ arg: TemplateValue) {
        switch verb {
        case "v", "d": fmtInteger(u, base: 10, signed: signed, verb)
        case "b": fmtInteger(u, base: 2, signed: signed, verb)
        case "o", "O": fmtInteger(u, base: 8, signed: signed, verb)
        case "x": fmtInteger(u, base: 16, signed: signed, verb)
        case "X": fmtInteger(u, base: 16, signed: signed, verb, upper: true)
        case "c":
            let v = signed ? Int64(bitPattern: u) : Int64(clamping: u)
            let scalar = (v >= 0 && v <= 0x10FFFF) ? Unicode.Scalar(UInt32(v)) : nil
            pad(String(Character(scalar ?? "\u{FFFD}")))
        case "q":
            let v = signed ? Int64(bitPattern: u) : Int64(clamping: u)
            let scalar = (v >= 0 && v <= 0x10FFFF) ? Unicode.Scalar(UInt32(v)) : nil
            pad(goQuote(String(scalar ?? "\u{FFFD}"), asciiOnly: plus, quote: "'"))
        case "U":
            var hex = String(u, radix: 16, uppercase: true)
            while hex.count < 4 { hex = "0" + hex }
            pad("U+" + hex)
        default:
            badVerb(verb, arg)
        }
    }

    mutating func fmtInteger(
        _ value: UInt64, base: UInt64, signed: Bool, _ verb: Unicode.Scalar, upper: Bool = false
    ) {
        let negative = signed && Int64(bitPattern: value) < 0
        var u = negative ? 0 &- value : value
        var minDigits = 0
        if precisionPresent {
            minDigits = precision
            if precision == 0 && u == 0 {
                let oldZero = zero
                zero = false
                writePadding(width)
                zero = oldZero
                return
            }
        } else if zero && widthPresent {
            minDigits = width
            if negative || plus || space { minDigits -= 1 }
        }
        let digitChars = Array((upper ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var buf: [UInt8] = []
        repeat {
            buf.append(digitChars[Int(u % base)])
            u /= base
        } while u > 0
        while buf.count < minDigits { buf.append(UInt8(ascii: "0")) }
        if sharp {
            switch base {
            case 2: buf += [UInt8(ascii: "b"), UInt8(ascii: "0")]
            case 8: if buf.last != UInt8(ascii: "0") { buf.append(UInt8(ascii: "0")) }
            case 16: buf += [upper ? UInt8(ascii: "X") : UInt8(ascii: "x"), UInt8(ascii: "0")]
            default: break
            }
        }
        if verb == "O" { buf += [UInt8(ascii: "o"), UInt8(ascii: "0")] }
        if negative {
            buf.append(UInt8(ascii: "-"))
        } else if plus {
            buf.append(UInt8(ascii: "+"))
        } else if space {
            buf.append(UInt8(ascii: " "))
        }
        let oldZero = zero
        zero = false
        pad(String(decoding: buf.reversed(), as: UTF8.self))
        zero = oldZero
    }

    // MARK: - Floats

    mutating func fmtFloatVerb(_ v: Double, _ verb: Unicode.Scalar, _ arg: TemplateValue) {
        switch verb {
        case "v": fmtFloat(v, UInt8(ascii: "g"), -1)
        case "g", "G": fmtFloat(v, UInt8(verb.value), -1)
        case "e", "E", "f", "F": fmtFloat(v, UInt8(verb.value), 6)
        case "x", "X": fmtFloat(v, UInt8(verb.value), -1)
        default: badVerb(verb, arg)
        }
    }

    mutating func fmtFloat(_ v: Double, _ verb: UInt8, _ defaultPrecision: Int) {
        let prec = precisionPresent ? precision : defaultPrecision
        var num = Array(goFormatFloat(v, verb, prec).utf8)
        if num.first == UInt8(ascii: "-") || num.first == UInt8(ascii: "+") {
            // keep the sign
        } else {
            num.insert(UInt8(ascii: "+"), at: 0)
        }
        if space && num[0] == UInt8(ascii: "+") && !plus { num[0] = UInt8(ascii: " ") }
        if num[1] == UInt8(ascii: "I") || num[1] == UInt8(ascii: "N") {
            let oldZero = zero
            zero = false
            if num[1] == UInt8(ascii: "N") && !space && !plus { num.removeFirst() }
            pad(String(decoding: num, as: UTF8.self))
            zero = oldZero
            return
        }
        if plus || num[0] != UInt8(ascii: "+") {
            if zero && widthPresent && width > num.count {
                out.unicodeScalars.append(Unicode.Scalar(num[0]))
                writePadding(width - num.count)
                out += String(decoding: num[1...], as: UTF8.self)
                return
            }
            pad(String(decoding: num, as: UTF8.self))
            return
        }
        pad(String(decoding: num[1...], as: UTF8.self))
    }
}
