import Exposition

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Go's `strconv.FormatFloat(v, fmt, prec, 64)` for `e`, `E`, `f`, `F`, `g`, `G`; `prec`
/// -1 is the shortest representation that round-trips. Infinities and NaN are `+Inf`,
/// `-Inf`, `NaN`.
///
/// Digits for a fixed precision come from C's `%.*e` / `%.*f`, which, like Go's strconv,
/// round the exact binary value correctly (ties to even); Go's layout rules are applied here.
public func goFormatFloat(_ v: Double, _ fmt: UInt8, _ prec: Int) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
    let upper = fmt == UInt8(ascii: "E") || fmt == UInt8(ascii: "G")
    let lowerFmt = fmt | 0x20
    if lowerFmt == UInt8(ascii: "x") { return hexFloat(v, prec, upper: fmt == UInt8(ascii: "X")) }
    if prec < 0 {
        if lowerFmt == UInt8(ascii: "g") {
            let s = formatGoFloatG(v)
            return upper ? s.uppercased() : s
        }
        // Shortest %e / %f: lay out the shortest digits.
        let (digits, dp) = shortestDecimalDigits(v)
        let sign = v.sign == .minus ? "-" : ""
        if lowerFmt == UInt8(ascii: "e") {
            return sign + layoutE(digits, dp, max(digits.count - 1, 0), upper: upper)
        }
        return sign + layoutF(digits, dp, max(digits.count - dp, 0))
    }
    let sign = v.sign == .minus ? "-" : ""
    switch lowerFmt {
    case UInt8(ascii: "f"):
        return cFormat("%.*f", abs(v), prec).map { sign + $0 } ?? ""
    case UInt8(ascii: "e"):
        let (digits, dp) = fixedDigits(abs(v), significant: prec + 1, trim: false)
        return sign + layoutE(digits, dp, prec, upper: upper)
    default:
        var p = prec
        if p == 0 { p = 1 }
        let (digits, dp) = fixedDigits(abs(v), significant: p, trim: true)
        var eprec = p
        if eprec > digits.count && digits.count >= dp { eprec = digits.count }
        let exp = dp - 1
        if exp < -4 || exp >= eprec {
            return sign + layoutE(digits, dp, min(p, digits.count) - 1, upper: upper)
        }
        let fracPrec = p > dp ? digits.count : p
        return sign + layoutF(digits, dp, max(fracPrec - dp, 0))
    }
}

/// `d.ddde±XX` from `digits` with the decimal point after `dp` digits.
private func layoutE(_ digits: [UInt8], _ dp: Int, _ prec: Int, upper: Bool) -> String {
    var out: [UInt8] = [digits.first ?? UInt8(ascii: "0")]
    if prec > 0 {
        out.append(UInt8(ascii: "."))
        for i in 1...prec { out.append(i < digits.count ? digits[i] : UInt8(ascii: "0")) }
    }
    out.append(upper ? UInt8(ascii: "E") : UInt8(ascii: "e"))
    let exp = digits.isEmpty ? 0 : dp - 1
    out.append(exp < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
    let e = abs(exp)
    if e < 10 { out.append(UInt8(ascii: "0")) }
    out += Array(String(e).utf8)
    return String(decoding: out, as: UTF8.self)
}

/// `ddd.ddd` with `frac` digits after the point.
private func layoutF(_ digits: [UInt8], _ dp: Int, _ frac: Int) -> String {
    var out: [UInt8] = []
    if dp > 0 {
        for i in 0..<dp { out.append(i < digits.count ? digits[i] : UInt8(ascii: "0")) }
    } else {
        out.append(UInt8(ascii: "0"))
    }
    if frac > 0 {
        out.append(UInt8(ascii: "."))
        for i in 0..<frac {
            let j = dp + i
            out.append(j >= 0 && j < digits.count ? digits[j] : UInt8(ascii: "0"))
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// `significant` correctly rounded digits of `v` (finite, not negative) and Go's `dp`;
/// `trim` drops trailing zeros as Go's decimal rounding does. Zero has no digits.
private func fixedDigits(_ v: Double, significant: Int, trim: Bool) -> ([UInt8], Int) {
    guard let s = cFormat("%.*e", v, max(significant - 1, 0)) else { return ([], 0) }
    var digits: [UInt8] = []
    var exp = 0
    var expNegative = false
    var inExp = false
    for c in s.utf8 {
        if inExp {
            if c == UInt8(ascii: "-") {
                expNegative = true
            } else if c >= 0x30 && c <= 0x39 {
                exp = exp * 10 + Int(c - 0x30)
            }
        } else if c == UInt8(ascii: "e") {
            inExp = true
        } else if c >= 0x30 && c <= 0x39 {
            digits.append(c)
        }
    }
    if v == 0 { return trim ? ([], 0) : (digits, 1) }
    if trim {
        while let l = digits.last, l == UInt8(ascii: "0") { digits.removeLast() }
    }
    return (digits, (expNegative ? -exp : exp) + 1)
}

/// C's `snprintf(format, precision, v)` for one `%.*e` or `%.*f` conversion.
private func cFormat(_ format: String, _ v: Double, _ precision: Int) -> String? {
    let precision = Int32(min(precision, 1000))
    var buffer = [CChar](repeating: 0, count: 64)
    var n = withVaList([precision, v]) { vsnprintf(&buffer, buffer.count, format, $0) }
    if n < 0 { return nil }
    if Int(n) >= buffer.count {
        buffer = [CChar](repeating: 0, count: Int(n) + 1)
        n = withVaList([precision, v]) { vsnprintf(&buffer, buffer.count, format, $0) }
    }
    return String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Go's `%x` of a float: `-0x1.8p+00` (mantissa in hexadecimal, binary exponent); `prec` -1
/// for the shortest mantissa, else that many hexadecimal digits, rounded to even.
private func hexFloat(_ v: Double, _ prec: Int, upper: Bool) -> String {
    let sign = v.sign == .minus ? "-" : ""
    var exp = 0
    var mant: UInt64 = 0
    if v != 0 {
        exp = Int(v.exponent)
        mant = v.significandBitPattern | (v.isNormal ? 1 << 52 : 0)
        if !v.isNormal {
            // Normalise a subnormal so the leading bit is bit 52.
            while mant & (1 << 52) == 0 {
                mant <<= 1
            }
        }
    }
    var digits = 13
    if prec >= 0 && prec < 13 {
        let shift = UInt64(4 * (13 - prec))
        let half: UInt64 = 1 << (shift - 1)
        let rest = mant & ((1 << shift) - 1)
        mant >>= shift
        if rest > half || (rest == half && mant & 1 == 1) { mant += 1 }
        if mant >> (4 * UInt64(prec)) >= 2 {
            mant >>= 1
            exp += 1
        }
        digits = prec
    }
    var frac = digits > 0 ? String(mant & ((1 << (4 * UInt64(digits))) - 1), radix: 16) : ""
    frac = String(repeating: "0", count: max(digits - frac.count, 0)) + frac
    if prec < 0 { while frac.hasSuffix("0") { frac.removeLast() } }
    if prec > 13 { frac += String(repeating: "0", count: prec - 13) }
    let lead = digits > 0 ? mant >> (4 * UInt64(digits)) : mant
    let e = abs(exp)
    var s =
        "0x\(lead)" + (frac.isEmpty ? "" : "." + frac) + "p" + (exp < 0 ? "-" : "+") + (e < 10 ? "0" : "") + String(e)
    if upper { s = s.uppercased() }
    return sign + s
}
