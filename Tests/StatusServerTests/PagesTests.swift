import Foundation
import HTTPTypes
import HummingbirdTesting
import PromModel
import Testing

@testable import StatusServer

/// The server-rendered pages: content, escaping, filters, no secrets.
@Suite struct PagesTests {
    @Test func rootRedirectsToTargets() async throws {
        try await withRouter(try options()) { client in
            let r = try await get(client, "/")
            #expect(r.status == .found)
            #expect(r.headers[.location] == "/targets")
        }
    }

    @Test func targetsPageShowsEveryTarget() async throws {
        try await withRouter(try options()) { client in
            let r = try await get(client, "/targets")
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "text/html; charset=utf-8")
            let h = r.text
            #expect(h.contains("<span class=\"count\">(1/2 up)</span>"))
            #expect(h.contains("<span class=\"count\">(0/0 up)</span>"))  // the empty pool is listed
            #expect(h.contains("data-url=\"http://10.0.0.1:9100/metrics\""))
            #expect(h.contains("<td class=\"state\"><span class=\"up\">UP</span></td>"))
            #expect(h.contains("<td class=\"state\"><span class=\"down\">DOWN</span></td>"))
            // The full error, escaped: no markup injection.
            #expect(
                h.contains(
                    "dial tcp: connection refused &lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!h.contains("<script"))
            #expect(h.contains("<span class=\"lbl\">env=\"prod\"</span>"))
            #expect(h.contains("<td class=\"duration\">12.5ms</td>"))
            #expect(h.contains("<td class=\"duration\">500ms</td>"))
            #expect(h.contains("ago</td>"))
            #expect(h.contains("<link rel=\"icon\" href=\"data:,\">"))  // no favicon request
            #expect(!h.contains("http://cdn") && !h.contains("https://"))
        }
    }

    @Test(arguments: [
        ("/targets?health=unhealthy", ["10.0.0.2"], ["10.0.0.1:9100/metrics\""]),
        ("/targets?search=prod", ["10.0.0.1"], ["data-url=\"http://10.0.0.2"]),
        ("/targets?pool=empty", ["No targets."], ["data-url="]),
        ("/targets?health=all", ["10.0.0.1", "10.0.0.2"], []),
    ])
    func targetsFilters(uri: String, present: [String], absent: [String]) async throws {
        try await withRouter(try options()) { client in
            let h = try await get(client, uri).text
            for p in present { #expect(h.contains(p), "\(uri) should show \(p)") }
            for a in absent { #expect(!h.contains(a), "\(uri) should not show \(a)") }
        }
    }

    @Test func serviceDiscoveryBeforeAndAfterRelabeling() async throws {
        try await withRouter(try options()) { client in
            let h = try await get(client, "/service-discovery").text
            #expect(h.contains("<span class=\"count\">(2 / 7 active targets)</span>"))
            #expect(h.contains("<span class=\"lbl\">__address__=\"10.0.0.9:9100\"</span>"))
            #expect(h.components(separatedBy: "<td class=\"dropped\">Dropped</td>").count - 1 == 2)
            #expect(h.components(separatedBy: "<tr class=\"sd-target active\">").count - 1 == 2)
            #expect(h.contains("Showing 2 of 5 dropped targets (keep_dropped_targets)."))
            #expect(h.contains("<span class=\"lbl\">__metrics_path__=\"/metrics\"</span>"))
        }
    }

    @Test func configPageAndAPIRedactSecrets() async throws {
        let config = try Secrets.config()
        try await withRouter(try options()) { client in
            let page = try await get(client, "/config").text
            #expect(page.contains("<pre class=\"config\" id=\"config-yaml\">"))
            #expect(page.contains("password: &quot;&lt;secret&gt;&quot;"))
            #expect(page.contains(HTML.esc(config.redactedYAML())))
            let api = try await get(client, "/api/v1/status/config")
            let o = try api.object()
            #expect(o["status"] as? String == "success")
            let data = try #require(o["data"] as? [String: Any])
            #expect(Set(data.keys) == ["yaml"])
            #expect(data["yaml"] as? String == config.redactedYAML())
            for s in Secrets.all {
                #expect(!page.contains(s))
                #expect(!api.text.contains(s))
            }
        }
    }

    @Test func noSecretInAnyOutput() async throws {
        try await withRouter(try options()) { client in
            for uri in [
                "/", "/targets", "/service-discovery", "/config", "/metrics", "/api/v1/targets",
                "/api/v1/targets/metadata", "/api/v1/status/config", "/api/v1/scrape_pools",
            ] {
                let r = try await get(client, uri)
                for s in Secrets.all { #expect(!r.text.contains(s), "\(uri) leaks \(s)") }
            }
        }
    }

    /// 2,000 targets in 20 pools: every row rendered, and the render time printed (a bench,
    /// not a timed assertion).
    @Test func renders2000Targets() throws {
        var targets: [TargetStatus] = []
        for i in 0..<2000 {
            var t = FakeTargets().active[i % 2]
            t.scrapePool = "pool-\(i % 20)"
            t.scrapeURL = "http://10.1.\(i / 256).\(i % 256):9100/metrics"
            targets.append(t)
        }
        let clock = ContinuousClock()
        let start = clock.now
        let h = TargetsPage.render(pools: [], targets: targets, filter: .init(), nowMs: currentTimeMs())
        let elapsed = clock.now - start
        print("bench: /targets with 2000 targets rendered in \(elapsed), \(h.utf8.count) bytes")
        #expect(h.components(separatedBy: "<tr class=\"target\"").count - 1 == 2000)
        #expect(h.components(separatedBy: "<details class=\"pool\"").count - 1 == 20)
    }

    // Issue 18: conditions posted to the notice board (SLS refusing the credentials) are a
    // banner at the top of /targets, escaped, with how long they have lasted; none, no banner.
    @Test func noticesAreABannerOnTheTargetsPage() throws {
        let board = NoticeBoard()
        board.post(key: "remote_write sls-p-m", message: "SLS refuses the credentials: <401>", nowMs: 1_000_000)
        board.post(key: "remote_write sls-p-m", message: "SLS refuses the credentials: again", nowMs: 1_030_000)
        let h = TargetsPage.render(pools: [], targets: [], filter: .init(), nowMs: 1_090_000, notices: board.all)
        #expect(h.contains(#"<div class="notice" role="alert"><b>remote_write sls-p-m</b> (since 1m 30s ago)"#), "\(h)")
        #expect(h.contains("SLS refuses the credentials: again"))
        board.clear(key: "remote_write sls-p-m")
        #expect(
            !TargetsPage.render(pools: [], targets: [], filter: .init(), nowMs: 1, notices: board.all).contains(
                "class=\"notice\""))
        board.post(key: "k", message: "<script>", nowMs: 1)
        #expect(
            TargetsPage.render(pools: [], targets: [], filter: .init(), nowMs: 2, notices: board.all).contains(
                "&lt;script&gt;"))
    }
}
