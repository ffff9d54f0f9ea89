/// Number parsing and formatting with Go's `strconv` rules, as Prometheus applies them.

/// The canonical NaN Prometheus stores for a parsed `NaN` (`value.NormalNaN`).
public let normalNaN = Double(bitPattern: 0x7ff8_0000_0000_0001)

enum FloatParseError: Error {
    case unsupportedCharacter
    case invalidSyntax
    case outOfRange
}

/// Parses a sample value as Prometheus's `parseFloat` does: any of `p`, `P`, `_` is rejected
/// ("unsupported character in float"), then Go `strconv.ParseFloat(s, 64)` rules apply
/// (decimal with optional exponent, `inf`/`infinity`/`nan` in any case, overflow is an error).
/// Hex floats cannot pass: Go requires a `p` exponent for them. NaN comes back as `normalNaN`.
func parseGoFloat(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Result<Double, FloatParseError> {
    var i = range.lowerBound
    let end = range.upperBound
    for j in range where b[j] == UInt8(ascii: "p") || b[j] == UInt8(ascii: "P") || b[j] == UInt8(ascii: "_") {
        _ = j
        return .failure(.unsupportedCharacter)
    }
    if i >= end { return .failure(.invalidSyntax) }
    var negative = false
    var signed = false
    if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
        negative = b[i] == UInt8(ascii: "-")
        signed = true
        i &+= 1
    }
    // Specials: [+-]inf, [+-]infinity, nan (no sign), any case.
    if i < end, b[i] | 0x20 == UInt8(ascii: "i") || b[i] | 0x20 == UInt8(ascii: "n") {
        let rest = end - i
        if matchesIgnoringCase(b, i, "infinity"), rest == 8 { return .success(negative ? -.infinity : .infinity) }
        if matchesIgnoringCase(b, i, "inf"), rest == 3 { return .success(negative ? -.infinity : .infinity) }
        if !signed, matchesIgnoringCase(b, i, "nan"), rest == 3 { return .success(normalNaN) }
        return .failure(.invalidSyntax)
    }
    // Decimal: digits [. digits] [(e|E) [+-] digits], at least one mantissa digit.
    var mantissa: UInt64 = 0
    var mantissaDigits = 0  // significant digits accumulated into `mantissa`
    var dropped = false  // digits beyond what `mantissa` holds exactly
    var decimalExp = 0
    var sawDigit = false
    var sawDot = false
    while i < end {
        let c = b[i]
        if c >= 0x30 && c <= 0x39 {
            sawDigit = true
            if mantissa == 0 && c == 0x30 {
                if sawDot { decimalExp &-= 1 }
            } else if mantissaDigits < 19 {
                mantissa = mantissa &* 10 &+ UInt64(c &- 0x30)
                mantissaDigits &+= 1
                if sawDot { decimalExp &-= 1 }
            } else {
                if c != 0x30 { dropped = true }
                if !sawDot { decimalExp &+= 1 }
            }
        } else if c == UInt8(ascii: ".") && !sawDot {
            sawDot = true
        } else {
            break
        }
        i &+= 1
    }
    if !sawDigit { return .failure(.invalidSyntax) }
    if i < end, b[i] | 0x20 == UInt8(ascii: "e") {
        i &+= 1
        var expNegative = false
        if i < end, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            expNegative = b[i] == UInt8(ascii: "-")
            i &+= 1
        }
        var exp = 0
        var sawExpDigit = false
        while i < end, b[i] >= 0x30 && b[i] <= 0x39 {
            sawExpDigit = true
            if exp < 100_000 { exp = exp &* 10 &+ Int(b[i] &- 0x30) }
            i &+= 1
        }
        if !sawExpDigit { return .failure(.invalidSyntax) }
        decimalExp &+= expNegative ? -exp : exp
    }
    if i != end { return .failure(.invalidSyntax) }

    // Clinger's fast path: exact mantissa and exact power of ten give a correctly rounded result.
    if !dropped && mantissa < (1 << 53) && decimalExp >= -22 && decimalExp <= 22 {
        var v = Double(mantissa)
        if decimalExp >= 0 { v *= exactPowersOfTen[decimalExp] } else { v /= exactPowersOfTen[-decimalExp] }
        if mantissa == 0 { v = 0 }
        return .success(negative ? -v : v)
    }
    if mantissa == 0 { return .success(negative ? -0.0 : 0.0) }
    // Slow path: the standard library's correctly rounded conversion.
    let text = String(decoding: UnsafeBufferPointer(rebasing: b[range]), as: UTF8.self)
    guard let v = Double(text) else { return .failure(.invalidSyntax) }
    if v.isInfinite { return .failure(.outOfRange) }
    return .success(v)
}

private let exactPowersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
]

private func matchesIgnoringCase(_ b: UnsafeBufferPointer<UInt8>, _ at: Int, _ word: StaticString) -> Bool {
    let n = word.utf8CodeUnitCount
    guard at + n <= b.count else { return false }
    return word.withUTF8Buffer { w in
        for k in 0..<n where b[at + k] | 0x20 != w[k] { return false }
        return true
    }
}

/// Parses unsigned decimal digits as Go `strconv.ParseInt(s, 10, 64)`; nil on overflow.
func parseDigitsInt64(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int64? {
    var v: Int64 = 0
    for i in range {
        let (m, o1) = v.multipliedReportingOverflow(by: 10)
        let (a, o2) = m.addingReportingOverflow(Int64(b[i] &- 0x30))
        if o1 || o2 { return nil }
        v = a
    }
    return v
}

/// Seconds (OpenMetrics timestamps) to milliseconds as Go's `int64(ts * 1000)` on amd64:
/// truncation toward zero, out-of-range values become `Int64.min`.
func secondsToMilliseconds(_ seconds: Double) -> Int64 {
    let ms = seconds * 1000
    guard ms > -9.223_372_036_854_775_808e18, ms < 9.223_372_036_854_775_808e18 else { return .min }
    return Int64(ms)
}

/// Formats a float as Prometheus's `labels.FormatOpenMetricsFloat`: `+Inf`, `-Inf`, `NaN`,
/// otherwise Go `strconv.FormatFloat(f, 'g', -1, 64)` with `.0` appended when the result has
/// neither a `.` nor an `e` (`1` → `1.0`, `1e6` → `1e+06`, `0.00001` → `1e-05`).
public func formatOpenMetricsFloat(_ f: Double) -> String {
    if !f.isFinite { return formatGoFloatG(f) }
    let g = formatGoFloatG(f)
    if g.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") }) { return g }
    return g + ".0"
}

/// The shortest decimal digits that round-trip `|f|` (as Go's shortest mode), without leading
/// or trailing zeros, and the decimal point position relative to the first digit (Go's `dp`:
/// 1.5 is ("15", 1), 0.015 is ("15", -1)); no digits for zero. `f` must be finite.
public func shortestDecimalDigits(_ f: Double) -> (digits: [UInt8], pointPosition: Int) {
    // Swift's description prints the shortest round-tripping digits; take the digits and the
    // decimal point position from it.
    var digits: [UInt8] = []
    var pointPos = 0  // decimal point position relative to digits start
    var sawPoint = false
    var exp = 0
    var expNegative = false
    var inExp = false
    for c in abs(f).description.utf8 {
        if inExp {
            if c == UInt8(ascii: "-") {
                expNegative = true
            } else if c >= 0x30 && c <= 0x39 {
                exp = exp * 10 + Int(c - 0x30)
            }
        } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            inExp = true
        } else if c == UInt8(ascii: ".") {
            sawPoint = true
        } else if c >= 0x30 && c <= 0x39 {
            digits.append(c)
            if !sawPoint { pointPos += 1 }
        }
    }
    var dp = pointPos + (expNegative ? -exp : exp)
    // Strip leading zeros (moving the point) and trailing zeros.
    var lead = 0
    while lead < digits.count && digits[lead] == 0x30 { lead += 1 }
    digits.removeFirst(lead)
    dp -= lead
    while let last = digits.last, last == 0x30 { digits.removeLast() }
    return (digits, dp)
}

/// Go `strconv.FormatFloat(f, 'g', -1, 64)`: the shortest digits that round-trip, in `%e` form
/// when the decimal exponent is < -4 or >= 6 (Go decides with precision 6 in shortest mode),
/// otherwise in `%f` form. Infinities and NaN print as `+Inf`, `-Inf`, `NaN`.
public func formatGoFloatG(_ f: Double) -> String {
    if f.isNaN { return "NaN" }
    if f.isInfinite { return f < 0 ? "-Inf" : "+Inf" }
    let negative = f.sign == .minus
    let (digits, dp) = shortestDecimalDigits(f)
    var out: [UInt8] = negative ? [UInt8(ascii: "-")] : []
    if digits.isEmpty {
        out.append(0x30)
        return String(decoding: out, as: UTF8.self)
    }
    let nd = digits.count
    let x = dp - 1
    if x < -4 || x >= 6 {
        out.append(digits[0])
        if nd > 1 {
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: digits[1...])
        }
        out.append(UInt8(ascii: "e"))
        out.append(x < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        let ax = abs(x)
        if ax < 10 { out.append(0x30) }
        out.append(contentsOf: Array(String(ax).utf8))
    } else {
        if dp > 0 {
            for k in 0..<dp { out.append(k < nd ? digits[k] : 0x30) }
        } else {
            out.append(0x30)
        }
        let decimals = max(nd - dp, 0)
        if decimals > 0 {
            out.append(UInt8(ascii: "."))
            for k in 0..<decimals {
                let idx = dp + k
                out.append(idx >= 0 && idx < nd ? digits[idx] : 0x30)
            }
        }
    }
    return String(decoding: out, as: UTF8.self)
}
