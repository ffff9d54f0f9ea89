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
