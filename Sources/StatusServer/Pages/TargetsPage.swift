import PromModel

/// `/targets`: active targets grouped by scrape pool, each with endpoint, state, labels, last
/// scrape, duration and the last error in full. Server-rendered, no JavaScript; filtering is
/// by query parameters so 2,000 targets cost the browser one static table per pool.
enum TargetsPage {
    /// Query parameters: `health=unhealthy`, `pool=NAME`, `search=TEXT` (substring of the
    /// endpoint or of any label value).
    struct Filter {
        var onlyUnhealthy = false
        var pool: String? = nil
        var search: String? = nil

        func matches(_ t: TargetStatus) -> Bool {
            if onlyUnhealthy && t.health == .up { return false }
            if let pool, t.scrapePool != pool { return false }
            if let search, !search.isEmpty {
                return t.scrapeURL.contains(search) || t.labels.contains { $0.value.contains(search) }
            }
            return true
        }
    }

    static func render(
        pools: [String], targets: [TargetStatus], filter: Filter, nowMs: Int64, notices: [NoticeBoard.Notice] = []
    ) -> String {
        var byPool: [String: [TargetStatus]] = [:]
        for t in targets { byPool[t.scrapePool, default: []].append(t) }
        let allPools = Set(pools).union(byPool.keys).sorted()

        var h = "<h1>Targets</h1>\n"
        for n in notices {
            h +=
                "<div class=\"notice\" role=\"alert\"><b>\(HTML.esc(n.key))</b> (since \(HumanDuration.ago(nowMs: nowMs, thenMs: n.sinceMs))): \(HTML.esc(n.message))</div>\n"
        }
        h += "<div class=\"filters\">"
        let poolQuery = filter.pool.map { "&pool=" + HTML.query($0) } ?? ""
        h +=
            "<a id=\"filter-all\" href=\"/targets?health=all\(poolQuery)\"\(filter.onlyUnhealthy ? "" : " class=\"active\"")>All</a>"
        h +=
            "<a id=\"filter-unhealthy\" href=\"/targets?health=unhealthy\(poolQuery)\"\(filter.onlyUnhealthy ? " class=\"active\"" : "")>Unhealthy</a>"
        h += "<form method=\"get\" action=\"/targets\" style=\"display:inline;margin-left:1em\">"
        if filter.onlyUnhealthy { h += "<input type=\"hidden\" name=\"health\" value=\"unhealthy\">" }
        h +=
            "<input type=\"search\" name=\"search\" placeholder=\"Filter by endpoint or labels\" value=\"\(HTML.esc(filter.search ?? ""))\">"
        h += " <button type=\"submit\">Filter</button></form></div>\n"

        let total = targets.count
        let up = targets.reduce(0) { $0 + ($1.health == .up ? 1 : 0) }
        h += "<p class=\"note\" id=\"summary\">\(allPools.count) scrape pools, \(up)/\(total) targets up</p>\n"
        var shownPools = 0
        h.reserveCapacity(4096 + targets.count * 700)
        for name in allPools {
            if let p = filter.pool, p != name { continue }
            let all = byPool[name] ?? []
            let poolUp = all.reduce(0) { $0 + ($1.health == .up ? 1 : 0) }
            let shown = all.filter(filter.matches)
            if (filter.onlyUnhealthy || filter.search?.isEmpty == false) && shown.isEmpty { continue }
            shownPools += 1
            let id = HTML.poolID(name)
            h += "<details class=\"pool\" id=\"\(id)\" data-pool=\"\(HTML.esc(name))\" open><summary>"
            h += "<a href=\"/targets?pool=\(HTML.query(name))\">\(HTML.esc(name))</a>"
            h += "<span class=\"count\">(\(poolUp)/\(all.count) up)</span></summary>\n"
            if shown.isEmpty {
                h += "<p class=\"empty\">No targets.</p></details>\n"
                continue
            }
            h += "<table><colgroup><col style=\"width:22%\"><col style=\"width:7%\"><col style=\"width:31%\">"
            h += "<col style=\"width:10%\"><col style=\"width:8%\"><col style=\"width:22%\"></colgroup>"
            h +=
                "<thead><tr><th>Endpoint</th><th>State</th><th>Labels</th><th>Last scrape</th><th>Scrape duration</th><th>Error</th></tr></thead><tbody>\n"
            for t in shown { row(t, nowMs: nowMs, into: &h) }
            h += "</tbody></table></details>\n"
        }
        if shownPools == 0 {
            h +=
                "<p class=\"empty\" id=\"no-targets\">\(filter.onlyUnhealthy ? "No unhealthy targets." : "No targets.")</p>\n"
        }
        return HTML.page(title: "Targets", active: "/targets", body: h)
    }

    static func row(_ t: TargetStatus, nowMs: Int64, into h: inout String) {
        let health = t.health.rawValue
        h += "<tr class=\"target\" data-health=\"\(health)\" data-url=\"\(HTML.esc(t.scrapeURL))\">"
        h += "<td class=\"endpoint\"><a href=\"\(HTML.esc(t.scrapeURL))\">\(HTML.esc(t.scrapeURL))</a></td>"
        h += "<td class=\"state\"><span class=\"\(health)\">\(health.uppercased())</span></td><td>"
        HTML.labels(t.labels, into: &h)
        h += "</td><td class=\"last-scrape\">\(HumanDuration.ago(nowMs: nowMs, thenMs: t.lastScrapeMs))</td>"
        h +=
            "<td class=\"duration\">\(t.lastScrapeMs == 0 ? "" : HumanDuration.duration(t.lastScrapeDurationSeconds))</td>"
        h += "<td><div class=\"error\">\(HTML.esc(t.lastError))</div>"
        if !t.lastWarning.isEmpty { h += "<div class=\"warning\">\(HTML.esc(t.lastWarning))</div>" }
        h += "</td></tr>\n"
    }
}
