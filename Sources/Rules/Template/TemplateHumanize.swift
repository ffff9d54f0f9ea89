import AgentConfig
import PromModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// Prometheus's number, time and string helpers for templates (template/template.go and
// prometheus/common helpers/templates), with their output format.

/// `convertToFloat`: float64, ints, durations (in seconds) and strings (`strconv.ParseFloat`).
func convertToFloat(_ v: TemplateValue) throws(FunctionFailure) -> Double {
    switch v {
    case .float(let f): return f
    case .int(let i): return Double(i)
    case .byte(let b): return Double(b)
    case .duration(let d): return Double(d) / 1e9
    case .string(let s):
        switch goParseFloat(s) {
        case .success(let f): return f
        case .failure(.syntax): throw .message("strconv.ParseFloat: parsing \(goQuote(s)): invalid syntax")
        case .failure(.range): throw .message("strconv.ParseFloat: parsing \(goQuote(s)): value out of range")
        }
    case .missing, .nilValue: throw .message("can't convert <nil> to float")
    default: throw .message("can't convert \(v.goTypeName) to float")
    }
}

/// `%.4g`.
private func g4(_ v: Double) -> String { goFormatFloat(v, UInt8(ascii: "g"), 4) }

/// `humanize`: SI prefixes (`1.235M`, `1.234m`), 4 significant digits.
func humanize(_ value: Double) -> String {
    var v = value
    if v == 0 || !v.isFinite { return g4(v) }
    var prefix = ""
    if abs(v) >= 1 {
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if abs(v) < 1000 { break }
            prefix = p
            v /= 1000
        }
        return g4(v) + prefix
    }
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if abs(v) >= 1 { break }
        prefix = p
        v *= 1000
    }
    return g4(v) + prefix
}

/// `humanize1024`: binary prefixes (`1Mi`), 4 significant digits.
func humanize1024(_ value: Double) -> String {
    var v = value
    if abs(v) <= 1 || !v.isFinite { return g4(v) }
    var prefix = ""
    for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
        if abs(v) < 1024 { break }
        prefix = p
        v /= 1024
    }
    return g4(v) + prefix
}

/// Go's `int64(f)` on amd64: truncation, and the minimum int64 when out of range or NaN.
func goInt64(_ f: Double) -> Int64 {
    guard f.isFinite, f >= -9.223_372_036_854_775_808e18, f < 9.223_372_036_854_775_808e18 else { return Int64.min }
    return Int64(f)
}

/// `humanizeDuration`: seconds as `1d 2h 3m 4s`, `1.234s`, `1.2ms`.
func humanizeDuration(_ value: Double) -> String {
    var v = value
    if !v.isFinite { return g4(v) }
    if v == 0 { return g4(v) + "s" }
    if abs(v) >= 1 {
        var sign = ""
        if v < 0 {
            sign = "-"
            v = -v
        }
        let duration = goInt64(v)
        let seconds = duration % 60
        let minutes = (duration / 60) % 60
        let hours = (duration / 60 / 60) % 24
        let days = duration / 60 / 60 / 24
        if days != 0 { return "\(sign)\(days)d \(hours)h \(minutes)m \(seconds)s" }
        if hours != 0 { return "\(sign)\(hours)h \(minutes)m \(seconds)s" }
        if minutes != 0 { return "\(sign)\(minutes)m \(seconds)s" }
        return sign + g4(v) + "s"
    }
    var prefix = ""
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if abs(v) >= 1 { break }
        prefix = p
        v *= 1000
    }
    return g4(v) + prefix + "s"
}

/// `floatToTime`: seconds since the epoch, truncated to milliseconds as Prometheus's
/// `model.TimeFromUnixNano` does.
func floatToTime(_ v: Double) throws(FunctionFailure) -> GoTime {
    if !v.isFinite { throw .message("value is NaN or Inf") }
    let ns = v * 1e9
    if ns > 9.223_372_036_854_775_807e18 || ns < -9.223_372_036_854_775_808e18 {
        throw .message(
            "\(goFormatFloat(v, UInt8(ascii: "g"), -1)) cannot be represented as a nanoseconds timestamp since it overflows int64"
        )
    }
    let ms = goInt64(ns) / 1_000_000
    return GoTime(seconds: ms / 1000, nanoseconds: (ms % 1000) * 1_000_000)
}

/// Prometheus duration text (`1h30m`) in milliseconds, or nil.
func parsePrometheusDurationMilliseconds(_ text: String) -> Int64? {
    parsePrometheusDuration(text)?.totalMilliseconds
}

// MARK: - Strings

/// Go's `strings.ToUpper` / `ToLower`: per code point simple case mapping (`ß` stays `ß`).
func goSimpleCase(_ s: String, upper: Bool) -> String {
    if s.utf8.allSatisfy({ $0 < 0x80 }) { return upper ? s.uppercased() : s.lowercased() }
    var out = String.UnicodeScalarView()
    for u in s.unicodeScalars {
        let mapped = upper ? u.properties.uppercaseMapping : u.properties.lowercaseMapping
        if mapped.unicodeScalars.count == 1 { out.append(mapped.unicodeScalars.first!) } else { out.append(u) }
    }
    return String(out)
}

/// `title` (`cases.Title(language.AmericanEnglish, cases.NoLower)`): the first letter of
/// each word in title case, the rest unchanged. Words are runs of letters, digits, marks and
/// `_`; an apostrophe, `.` or `:` between two letters does not end a word (Unicode word
/// boundaries, simplified).
func goTitle(_ s: String) -> String {
    let scalars = Array(s.unicodeScalars)
    var out = String.UnicodeScalarView()
    var inWord = false
    var titled = false
    func isWordChar(_ u: Unicode.Scalar) -> Bool {
        if u == "_" { return true }
        switch u.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber,
            .letterNumber, .otherNumber, .nonspacingMark, .spacingMark, .enclosingMark:
            return true
        default:
            return false
        }
    }
    for (i, u) in scalars.enumerated() {
        if isWordChar(u) {
            if !inWord { titled = false }
            // The first letter of a word, even after digits (`1st` → `1St`), as x/text does.
            if !titled, u.properties.isAlphabetic {
                let mapped = u.properties.titlecaseMapping.unicodeScalars
                if mapped.count == 1 { out.append(mapped.first!) } else { out.append(u) }
                titled = true
            } else {
                out.append(u)
            }
            inWord = true
        } else {
            let joins =
                (u == "'" || u == "\u{2019}" || u == "." || u == ":" || u == "\u{00B7}") && inWord
                && i + 1 < scalars.count && scalars[i + 1].properties.isAlphabetic
                && i > 0 && scalars[i - 1].properties.isAlphabetic
            out.append(u)
            inWord = joins
        }
    }
    return String(out)
}

/// Go's `net.SplitHostPort`; nil when `hostPort` is not `host:port`.
func splitHostPort(_ hostPort: String) -> (host: String, port: String)? {
    let b = Array(hostPort.utf8)
    guard let i = b.lastIndex(of: UInt8(ascii: ":")) else { return nil }
    var host: ArraySlice<UInt8>
    var j = 0, k = 0
    if b.first == UInt8(ascii: "[") {
        guard let end = b.firstIndex(of: UInt8(ascii: "]")), end + 1 == i else { return nil }
        host = b[1..<end]
        j = 1
        k = end + 1
    } else {
        host = b[..<i]
        if host.contains(UInt8(ascii: ":")) { return nil }
    }
    if b[j...].contains(UInt8(ascii: "[")) || b[k...].contains(UInt8(ascii: "]")) { return nil }
    return (String(decoding: host, as: UTF8.self), String(decoding: b[(i + 1)...], as: UTF8.self))
}

/// `stripPort`: the host of `host:port`, else the text unchanged.
func stripPort(_ hostPort: String) -> String {
    splitHostPort(hostPort)?.host ?? hostPort
}

/// `stripDomain`: the first label of a host name, keeping the port; IP addresses unchanged.
func stripDomain(_ hostPort: String) -> String {
    let split = splitHostPort(hostPort)
    var host = split?.host ?? hostPort
    if isIPAddress(host) { return hostPort }
    host = String(host.split(separator: ".", omittingEmptySubsequences: false).first ?? "")
    guard let port = split?.port, !port.isEmpty else { return host }
    return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
}

/// Go's `net.ParseIP(s) != nil`: dotted IPv4 or IPv6 text.
func isIPAddress(_ s: String) -> Bool {
    var v4 = in_addr()
    var v6 = in6_addr()
    return inet_pton(AF_INET, s, &v4) == 1 || inet_pton(AF_INET6, s, &v6) == 1
}
