import PromModel

/// Helpers shared by the server-rendered pages: escaping, the page frame, label chips.
/// Everything is served by the binary: no JavaScript framework, no CDN, no external fonts.
enum HTML {
    /// Escapes text for element content and double-quoted attribute values.
    static func esc(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 0x3C || $0 == 0x3E || $0 == 0x26 || $0 == 0x22 || $0 == 0x27 }) else {
            return s
        }
        var o = ""
        o.reserveCapacity(s.utf8.count + 16)
        for c in s.unicodeScalars {
            switch c {
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "&": o += "&amp;"
            case "\"": o += "&quot;"
            case "'": o += "&#39;"
            default: o.unicodeScalars.append(c)
            }
        }
        return o
    }

    /// Percent-encodes a query parameter value.
    static func query(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%"
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(b >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(b & 15)]))
            }
        }
        return out
    }

    /// A DOM id for a scrape pool's section.
    static func poolID(_ pool: String) -> String { "pool-" + query(pool) }

    /// Label chips: `<span class="lbl">name="value"</span>` each.
    static func labels(_ l: Labels, into h: inout String) {
        h += "<div class=\"labels\">"
        for x in l {
            h += "<span class=\"lbl\">"
            h += esc(x.name)
            h += "=\""
            h += esc(x.value)
            h += "\"</span>"
        }
        h += "</div>"
    }

    /// The page frame: head (inline CSS, no favicon request), navigation, then `body`.
    static func page(title: String, active: String, body: String) -> String {
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>promsls · \(esc(title))</title>
            <link rel="icon" href="data:,">
            <style>\(css)</style>
            </head><body>
            <nav class="top"><span class="brand">promsls</span>
            """
        for (href, name) in [
            ("/targets", "Targets"), ("/service-discovery", "Service discovery"), ("/rules", "Rules"),
            ("/alerts", "Alerts"), ("/config", "Configuration"), ("/metrics", "Metrics"),
        ] {
            h += "<a href=\"\(href)\"\(href == active ? " class=\"active\"" : "")>\(name)</a>"
        }
        h += "</nav>\n<main>\n"
        h += body
        h += "</main></body></html>\n"
        return h
    }

    static let css = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
        nav.top{background:#262c33;padding:.5em 1em;display:flex;gap:1.2em;align-items:center}
        nav.top a{color:#cfd6dd;text-decoration:none}nav.top a.active,nav.top a:hover{color:#fff}
        .brand{color:#fff;font-weight:600;margin-right:1em}
        main{padding:1em 1.5em}h1{font-size:1.5em;margin:.3em 0 .6em}
        .filters{margin:.5em 0 1em}.filters a{margin-right:.3em;padding:.25em .7em;border:1px solid #bbb;border-radius:3px;
        text-decoration:none;color:#333;background:#fff}.filters a.active{background:#2a6fdb;color:#fff;border-color:#2a6fdb}
        details.pool{content-visibility:auto;contain-intrinsic-size:auto 3000px;margin-bottom:1.2em;background:#fff;border:1px solid #ddd;border-radius:4px}
        details.pool>summary{cursor:pointer;padding:.5em .8em;font-size:1.1em;font-weight:600;background:#f0f2f4}
        .count{font-weight:400;color:#555;margin-left:.4em}
        table{border-collapse:collapse;width:100%;table-layout:fixed}
        td,th{border-top:1px solid #e3e3e3;padding:5px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
        th{font-size:.85em;color:#555;background:#fafbfc}
        .state span{display:inline-block;padding:1px 8px;border-radius:3px;font-size:.85em;font-weight:600;color:#fff}
        .state .up{background:#28a745}.state .down{background:#dc3545}.state .unknown{background:#6c757d}
        .state .pending{background:#e0a800}
        .lbl{display:inline-block;background:#e8eefa;color:#1d3b72;border-radius:3px;padding:0 5px;margin:1px 2px;
        font-size:.82em;font-family:ui-monospace,Menlo,Consolas,monospace}
        .error{color:#b00020;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em;white-space:pre-wrap}
        .warning{color:#8a6d00;font-size:.85em}.dropped{color:#888;font-style:italic}
        pre.config{background:#fff;border:1px solid #ddd;padding:1em;overflow:auto;font-size:.9em}
        .empty{color:#666}.note{color:#666;font-size:.9em}
        .notice{background:#fdecea;border:1px solid #d93025;color:#611;padding:.6em .8em;margin:.5em 0;border-radius:3px}
        """
}

/// Formats a duration in seconds as Prometheus's UI does ("1.234s", "12ms", "3m 4s ago").
enum HumanDuration {
    static func ago(nowMs: Int64, thenMs: Int64) -> String {
        guard thenMs > 0 else { return "never" }
        let s = max(0, Double(nowMs - thenMs) / 1000)
        if s < 60 { return "\(oneDecimal(s))s ago" }
        let m = Int(s / 60)
        if m < 60 { return "\(m)m \(Int(s) % 60)s ago" }
        return "\(m / 60)h \(m % 60)m ago"
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 1 { return "\(oneDecimal(seconds * 1000))ms" }
        return "\(oneDecimal(seconds))s"
    }

    static func oneDecimal(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int64(r)) : String(r)
    }
}
