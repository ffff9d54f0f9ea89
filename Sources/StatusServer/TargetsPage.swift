import PromModel

/// Server-rendered `/targets` page: targets grouped by scrape pool, no JavaScript.
enum TargetsPage {
    static func render(_ targets: [TargetStatus], onlyUnhealthy: Bool, nowMs: Int64) -> String {
        var pools: [String: [TargetStatus]] = [:]
        for t in targets { pools[t.scrapePool, default: []].append(t) }
        var h = """
            <!DOCTYPE html><html><head><meta charset="utf-8"><title>promsls targets</title>
            <style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse;width:100%;margin-bottom:1.5em}
            td,th{border:1px solid #ccc;padding:4px;text-align:left;vertical-align:top}.up{color:#080}.down{color:#c00}
            .unknown{color:#888}.lbl{display:inline-block;background:#eef;border-radius:3px;padding:0 4px;margin:1px}</style>
            </head><body><h1>Targets</h1>
            <p><a href="/targets">All</a> | <a href="/targets?health=unhealthy">Unhealthy</a></p>\n
            """
        for name in pools.keys.sorted() {
            let all = pools[name]!
            let up = all.filter { $0.health == .up }.count
            let shown = onlyUnhealthy ? all.filter { $0.health != .up } : all
            if onlyUnhealthy && shown.isEmpty { continue }
            h += "<h2 id=\"pool-\(esc(name))\">\(esc(name)) (\(up)/\(all.count) up)</h2>\n"
            h += "<table><tr><th>Endpoint</th><th>State</th><th>Labels</th><th>Last scrape</th><th>Scrape duration</th><th>Error</th></tr>\n"
            for t in shown {
                let ago = t.lastScrapeMs == 0 ? "never" : String(format1(Double(nowMs - t.lastScrapeMs) / 1000)) + "s ago"
                let labels = t.labels.map { "<span class=\"lbl\">\(esc($0.name))=\"\(esc($0.value))\"</span>" }.joined(separator: " ")
                h += "<tr class=\"target\"><td><a href=\"\(esc(t.scrapeURL))\">\(esc(t.scrapeURL))</a></td>"
                h += "<td class=\"state \(t.health.rawValue)\">\(t.health.rawValue.uppercased())</td><td>\(labels)</td>"
                h += "<td>\(ago)</td><td>\(format1(t.lastScrapeDurationSeconds * 1000))ms</td>"
                h += "<td class=\"error\">\(esc(t.lastError))\(t.lastWarning.isEmpty ? "" : "<br><i>\(esc(t.lastWarning))</i>")</td></tr>\n"
            }
            h += "</table>\n"
        }
        h += "</body></html>\n"
        return h
    }

    static func format1(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int64(r)) : String(r)
    }

    static func esc(_ s: String) -> String {
        var o = ""
        o.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "&": o += "&amp;"
            case "\"": o += "&quot;"
            default: o.append(c)
            }
        }
        return o
    }
}

/// `/api/v1/targets` in Prometheus's JSON shape.
enum TargetsAPI {
    static func render(active: [TargetStatus], dropped: [(scrapePool: String, discoveredLabels: Labels)]) -> String {
        func obj(_ l: Labels) -> String {
            "{" + l.map { "\(json($0.name)):\(json($0.value))" }.joined(separator: ",") + "}"
        }
        let a = active.map { t in
            """
            {"discoveredLabels":\(obj(t.discoveredLabels)),"labels":\(obj(t.labels)),"scrapePool":\(json(t.scrapePool)),\
            "scrapeUrl":\(json(t.scrapeURL)),"globalUrl":\(json(t.scrapeURL)),"lastError":\(json(t.lastError)),\
            "lastScrape":\(json(rfc3339(t.lastScrapeMs))),"lastScrapeDuration":\(t.lastScrapeDurationSeconds),\
            "health":\(json(t.health.rawValue)),"scrapeInterval":\(json(dur(t.scrapeIntervalSeconds))),\
            "scrapeTimeout":\(json(dur(t.scrapeTimeoutSeconds)))}
            """
        }
        let d = dropped.map { "{\"discoveredLabels\":\(obj($0.discoveredLabels)),\"scrapePool\":\(json($0.scrapePool))}" }
        return "{\"status\":\"success\",\"data\":{\"activeTargets\":[\(a.joined(separator: ","))],\"droppedTargets\":[\(d.joined(separator: ","))]}}"
    }

    static func dur(_ s: Double) -> String {
        let ms = Int64((s * 1000).rounded())
        if ms % 60000 == 0 { return "\(ms / 60000)m" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }

    static func rfc3339(_ ms: Int64) -> String {
        if ms == 0 { return "0001-01-01T00:00:00Z" }
        var t = time_t(ms / 1000)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        func p(_ v: Int32, _ w: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
        let frac = ms % 1000
        return "\(p(tmv.tm_year + 1900, 4))-\(p(tmv.tm_mon + 1, 2))-\(p(tmv.tm_mday, 2))T\(p(tmv.tm_hour, 2)):\(p(tmv.tm_min, 2)):\(p(tmv.tm_sec, 2)).\(p(Int32(frac), 3))Z"
    }

    static func json(_ s: String) -> String {
        var o = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": o += "\\\""
            case "\\": o += "\\\\"
            case "\n": o += "\\n"
            case "\r": o += "\\r"
            case "\t": o += "\\t"
            default:
                if u.value < 0x20 { o += String(format: "\\u%04x", u.value) } else { o.unicodeScalars.append(u) }
            }
        }
        return o + "\""
    }
}

#if canImport(Glibc)
import Glibc
#endif
import Foundation
