/// JSON string literals (RFC 8259 escaping), shared by the web API and the JSON log format.
public enum JSONText {
    /// `s` as a quoted JSON string: `"`, `\\` and control characters escaped.
    public static func quoted(_ s: String) -> String {
        var o = "\""
        o.reserveCapacity(s.utf8.count + 2)
        for u in s.unicodeScalars {
            switch u {
            case "\"": o += "\\\""
            case "\\": o += "\\\\"
            case "\n": o += "\\n"
            case "\r": o += "\\r"
            case "\t": o += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = Array("0123456789abcdef".unicodeScalars)
                    o += "\\u00"
                    o.unicodeScalars.append(hex[Int(u.value >> 4)])
                    o.unicodeScalars.append(hex[Int(u.value & 15)])
                } else {
                    o.unicodeScalars.append(u)
                }
            }
        }
        return o + "\""
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension JSONText {
    /// `ms` (Unix milliseconds) as RFC 3339 in UTC: `2026-12-02T17:06:40.123Z`. With
    /// `trimFraction` trailing zeros of the fraction are dropped (and an empty fraction with
    /// its dot), as Go's `time.Time` marshals; without, the fraction always has 3 digits.
    public static func rfc3339(ms: Int64, trimFraction: Bool) -> String {
        var t = time_t(ms / 1000)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        var out =
            "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
        var frac = pad(Int32(ms % 1000), 3)
        if trimFraction { while frac.hasSuffix("0") { frac.removeLast() } }
        if !frac.isEmpty { out += "." + frac }
        return out + "Z"
    }
}
