import Foundation
import HummingbirdTesting
import Testing

@testable import StatusServer

/// `/api/v1/targets` compared field by field with Prometheus's documented shape
/// (https://prometheus.io/docs/prometheus/latest/querying/api/#targets).
@Suite struct TargetsAPITests {
    @Test func activeTargetFieldByField() async throws {
        try await withRouter(try options()) { client in
            let r = try await get(client, "/api/v1/targets")
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "application/json")
            let root = try r.object()
            #expect(root["status"] as? String == "success")
            let data = try #require(root["data"] as? [String: Any])
            #expect(Set(data.keys) == ["activeTargets", "droppedTargets", "droppedTargetCounts"])
            let active = try #require(data["activeTargets"] as? [[String: Any]])
            #expect(active.count == 2)
            let t = active[0]
            #expect(
                Set(t.keys) == [
                    "discoveredLabels", "labels", "scrapePool", "scrapeUrl", "globalUrl", "lastError", "lastScrape",
                    "lastScrapeDuration", "health", "scrapeInterval", "scrapeTimeout",
                ])
            #expect(
                t["discoveredLabels"] as? [String: String] == [
                    "__address__": "10.0.0.1:9100", "__metrics_path__": "/metrics", "__scheme__": "http", "job": "node",
                ])
            #expect(t["labels"] as? [String: String] == ["instance": "10.0.0.1:9100", "job": "node", "env": "prod"])
            #expect(t["scrapePool"] as? String == "node")
            #expect(t["scrapeUrl"] as? String == "http://10.0.0.1:9100/metrics")
            #expect(t["globalUrl"] as? String == "http://10.0.0.1:9100/metrics")
            #expect(t["lastError"] as? String == "")
            #expect(t["lastScrape"] as? String == "2023-11-14T22:13:20.123Z")
            #expect(t["lastScrapeDuration"] as? Double == 0.0125)
            #expect(t["health"] as? String == "up")
            #expect(t["scrapeInterval"] as? String == "15s")
            #expect(t["scrapeTimeout"] as? String == "10s")

            let down = active[1]
            #expect(down["health"] as? String == "down")
            #expect(down["lastError"] as? String == FakeTargets().active[1].lastError)
            #expect(down["scrapeInterval"] as? String == "1m")
            #expect(down["scrapeTimeout"] as? String == "1s500ms")

            let dropped = try #require(data["droppedTargets"] as? [[String: Any]])
            #expect(dropped.count == 2)
            #expect(Set(dropped[0].keys) == ["discoveredLabels", "scrapePool"])
            #expect(
                dropped[0]["discoveredLabels"] as? [String: String] == ["__address__": "10.0.0.9:9100", "drop": "yes"])
            #expect(data["droppedTargetCounts"] as? [String: Int] == ["node": 5, "empty": 0])
        }
    }

    @Test(arguments: [
        ("state=active", 2, 0, false),
        ("state=dropped", 0, 2, true),
        ("state=any", 2, 2, true),
        ("state=Active", 2, 0, false),
        ("scrapePool=empty", 0, 0, true),
        ("scrapePool=node&state=dropped", 0, 2, true),
    ])
    func stateAndPoolFilters(query: String, active: Int, dropped: Int, counts: Bool) async throws {
        try await withRouter(try options()) { client in
            let data = try #require(
                try await get(client, "/api/v1/targets?\(query)").object()["data"] as? [String: Any])
            #expect((data["activeTargets"] as? [Any])?.count == active)
            #expect((data["droppedTargets"] as? [Any])?.count == dropped)
            #expect((data["droppedTargetCounts"] is NSNull) == !counts)
        }
    }

    @Test func invalidStateIsBadData() async throws {
        try await withRouter(try options()) { client in
            let r = try await get(client, "/api/v1/targets?state=sleeping")
            #expect(r.status == .badRequest)
            let o = try r.object()
            #expect(o["status"] as? String == "error")
            #expect(o["errorType"] as? String == "bad_data")
        }
    }

    @Test func scrapePools() async throws {
        try await withRouter(try options()) { client in
            let data = try #require(try await get(client, "/api/v1/scrape_pools").object()["data"] as? [String: Any])
            #expect(data["scrapePools"] as? [String] == ["empty", "node"])
        }
    }

    @Test(arguments: [
        (0.0, "0s"), (15.0, "15s"), (60.0, "1m"), (90.0, "1m30s"), (0.25, "250ms"), (3600.0, "1h"), (86400.0, "1d"),
    ])
    func durations(seconds: Double, text: String) {
        #expect(JSON.duration(seconds: seconds) == text)
    }

    @Test(arguments: [
        (Int64(0), "0001-01-01T00:00:00Z"), (1_700_000_000_000, "2023-11-14T22:13:20Z"),
        (1_700_000_000_100, "2023-11-14T22:13:20.1Z"), (1_700_000_000_012, "2023-11-14T22:13:20.012Z"),
    ])
    func timestamps(ms: Int64, text: String) {
        #expect(JSON.rfc3339(ms: ms) == text)
    }

    @Test func jsonEscaping() {
        #expect(JSON.string("a\"b\\c\nd\u{1}é") == "\"a\\\"b\\\\c\\nd\\u0001é\"")
    }
}
