import PromModel

/// `/service-discovery`: per scrape pool, each discovered label set before `relabel_configs`
/// and the target labels after, or "Dropped" (dropped ones up to `keep_dropped_targets`).
enum ServiceDiscoveryPage {
    static func render(
        pools: [String], active: [TargetStatus], dropped: [(scrapePool: String, discoveredLabels: Labels)],
        droppedCounts: [String: Int], pool: String?
    ) -> String {
        var activeBy: [String: [TargetStatus]] = [:]
        for t in active { activeBy[t.scrapePool, default: []].append(t) }
        var droppedBy: [String: [Labels]] = [:]
        for d in dropped { droppedBy[d.scrapePool, default: []].append(d.discoveredLabels) }
        let names = Set(pools).union(activeBy.keys).union(droppedBy.keys).sorted()

        var h = "<h1>Service discovery</h1>\n<ul class=\"pools\">"
        for name in names {
            let a = activeBy[name]?.count ?? 0
            let d = droppedCounts[name] ?? droppedBy[name]?.count ?? 0
            h +=
                "<li><a href=\"#sd-\(HTML.query(name))\">\(HTML.esc(name))</a> <span class=\"count\">(\(a) / \(a + d) active targets)</span></li>"
        }
        h += "</ul>\n"
        h.reserveCapacity(4096 + (active.count + dropped.count) * 600)
        for name in names {
            if let pool, pool != name { continue }
            let act = activeBy[name] ?? []
            let drop = droppedBy[name] ?? []
            let droppedTotal = droppedCounts[name] ?? drop.count
            h += "<details class=\"pool\" id=\"sd-\(HTML.query(name))\" data-pool=\"\(HTML.esc(name))\" open><summary>"
            h +=
                "\(HTML.esc(name))<span class=\"count\">(\(act.count) / \(act.count + droppedTotal) active targets)</span></summary>\n"
            if droppedTotal > drop.count {
                h +=
                    "<p class=\"note\">Showing \(drop.count) of \(droppedTotal) dropped targets (keep_dropped_targets).</p>\n"
            }
            if act.isEmpty && drop.isEmpty {
                h += "<p class=\"empty\">No targets discovered.</p></details>\n"
                continue
            }
            h += "<table><thead><tr><th>Discovered labels</th><th>Target labels</th></tr></thead><tbody>\n"
            for t in act {
                h += "<tr class=\"sd-target active\"><td>"
                HTML.labels(t.discoveredLabels, into: &h)
                h += "</td><td>"
                HTML.labels(t.labels, into: &h)
                h += "</td></tr>\n"
            }
            for l in drop {
                h += "<tr class=\"sd-target dropped\"><td>"
                HTML.labels(l, into: &h)
                h += "</td><td class=\"dropped\">Dropped</td></tr>\n"
            }
            h += "</tbody></table></details>\n"
        }
        return HTML.page(title: "Service discovery", active: "/service-discovery", body: h)
    }
}
