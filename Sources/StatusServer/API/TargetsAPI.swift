import PromModel

/// `/api/v1/targets` in Prometheus's JSON shape:
/// https://prometheus.io/docs/prometheus/latest/querying/api/#targets
enum TargetsAPI {
    /// `state` is `active`, `dropped`, `any` or nil (any); `scrapePool` filters both lists.
    static func render(provider: any TargetStatusProvider, state: String?, scrapePool: String?) -> String {
        let showActive = state == nil || state == "" || state == "any" || state == "active"
        let showDropped = state == nil || state == "" || state == "any" || state == "dropped"
        var out = "{\"activeTargets\":["
        if showActive {
            var first = true
            for t in provider.activeTargets() where scrapePool == nil || t.scrapePool == scrapePool {
                if !first { out += "," }
                first = false
                active(t, into: &out)
            }
        }
        out += "],\"droppedTargets\":["
        if showDropped {
            var first = true
            for d in provider.droppedTargets() where scrapePool == nil || d.scrapePool == scrapePool {
                if !first { out += "," }
                first = false
                out +=
                    "{\"discoveredLabels\":\(JSON.labels(d.discoveredLabels)),\"scrapePool\":\(JSON.string(d.scrapePool))}"
            }
        }
        out += "],\"droppedTargetCounts\":"
        if showDropped {
            let counts = provider.droppedTargetCounts().filter { scrapePool == nil || $0.key == scrapePool }
            out +=
                "{"
                + counts.sorted { $0.key < $1.key }.map { "\(JSON.string($0.key)):\($0.value)" }.joined(separator: ",")
                + "}"
        } else {
            out += "null"
        }
        out += "}"
        return JSON.success(out)
    }

    static func active(_ t: TargetStatus, into out: inout String) {
        out += "{\"discoveredLabels\":"
        out += JSON.labels(t.discoveredLabels)
        out += ",\"labels\":"
        out += JSON.labels(t.labels)
        out += ",\"scrapePool\":\(JSON.string(t.scrapePool)),\"scrapeUrl\":\(JSON.string(t.scrapeURL))"
        out += ",\"globalUrl\":\(JSON.string(t.scrapeURL)),\"lastError\":\(JSON.string(t.lastError))"
        out += ",\"lastScrape\":\(JSON.string(JSON.rfc3339(ms: t.lastScrapeMs)))"
        out += ",\"lastScrapeDuration\":\(JSON.number(t.lastScrapeDurationSeconds))"
        out += ",\"health\":\(JSON.string(t.health.rawValue))"
        out += ",\"scrapeInterval\":\(JSON.string(JSON.duration(seconds: t.scrapeIntervalSeconds)))"
        out += ",\"scrapeTimeout\":\(JSON.string(JSON.duration(seconds: t.scrapeTimeoutSeconds)))}"
    }
}
