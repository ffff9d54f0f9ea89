import PromModel

#if canImport(Glibc)
    import Glibc
#endif

/// Minimal JSON text building for the API responses (Prometheus's shapes, key order as
/// Prometheus writes them). Strings escaped per RFC 8259.
enum JSON {
    static func string(_ s: String) -> String { JSONText.quoted(s) }

    /// Labels as a JSON object (sorted by name, as Go marshals a map).
    static func labels(_ l: Labels) -> String {
        var o = "{"
        var first = true
        for x in l {
            if !first { o += "," }
            first = false
            o += string(x.name)
            o += ":"
            o += string(x.value)
        }
        return o + "}"
    }

    /// A finite number as Go's encoding/json writes float64.
    static func number(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        if v == v.rounded() && abs(v) < 1e21 { return String(Int64(v)) }
        return "\(v)"
    }

    /// `{"status":"success","data":…}`.
    static func success(_ data: String) -> String { "{\"status\":\"success\",\"data\":\(data)}" }

    /// `{"status":"error","errorType":…,"error":…}` (Prometheus API error shape).
    static func error(type: String, _ message: String) -> String {
        "{\"status\":\"error\",\"errorType\":\(string(type)),\"error\":\(string(message))}"
    }

    /// RFC 3339 with fractional seconds, trailing zeros trimmed, as Go's `time.Time` marshals
    /// (UTC). 0 is Go's zero time.
    static func rfc3339(ms: Int64) -> String {
        ms == 0 ? "0001-01-01T00:00:00Z" : JSONText.rfc3339(ms: ms, trimFraction: true)
    }

    /// A duration in seconds in Prometheus's model.Duration format ("15s", "1m", "1m30s").
    static func duration(seconds s: Double) -> String {
        var ms = Int64((s * 1000).rounded())
        if ms == 0 { return "0s" }
        var out = ""
        let units: [(Int64, String)] = [
            (365 * 86_400_000, "y"), (7 * 86_400_000, "w"), (86_400_000, "d"), (3_600_000, "h"), (60_000, "m"),
            (1000, "s"), (1, "ms"),
        ]
        for (size, name) in units where ms >= size {
            out += "\(ms / size)\(name)"
            ms %= size
        }
        return out
    }
}
