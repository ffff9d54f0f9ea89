import Foundation
import HummingbirdTesting
import Testing

@testable import StatusServer

/// `/api/v1/targets/metadata` in Prometheus's shape
/// (https://prometheus.io/docs/prometheus/latest/querying/api/#querying-target-metadata).
@Suite struct MetadataAPITests {
    func entries(_ query: String) async throws -> [[String: Any]] {
        let (status, text) = try await withRouter(try options()) { client in
            let r = try await get(client, "/api/v1/targets/metadata" + query)
            return (r.status, r.text)
        }
        #expect(status == .ok, "\(text)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(o["status"] as? String == "success")
        return try #require(o["data"] as? [[String: Any]])
    }

    @Test func allMetadataFieldByField() async throws {
        let e = try await entries("")
        #expect(e.count == 4)
        let first = e[0]
        #expect(Set(first.keys) == ["target", "metric", "type", "help", "unit"])
        #expect(first["target"] as? [String: String] == ["instance": "10.0.0.1:9100", "job": "node", "env": "prod"])
        #expect(first["metric"] as? String == "mystery")
        #expect(first["type"] as? String == "unknown")  // text format "untyped", as Prometheus reports it
        #expect(first["help"] as? String == "")
        #expect(first["unit"] as? String == "")
        #expect(e[1]["metric"] as? String == "node_cpu_seconds_total")
        #expect(e[1]["type"] as? String == "counter")
        #expect(e[1]["help"] as? String == "Seconds the CPUs spent in each mode.")
        #expect(e[3]["target"] as? [String: String] == ["instance": "10.0.0.2:9100", "job": "node"])
    }

    @Test func oneMetricOmitsTheMetricField() async throws {
        let e = try await entries("?metric=node_load1")
        #expect(e.count == 2)
        #expect(Set(e[0].keys) == ["target", "type", "help", "unit"])
        #expect(e.map { ($0["target"] as? [String: String])?["instance"] } == ["10.0.0.1:9100", "10.0.0.2:9100"])
    }

    @Test(arguments: [
        ("?match_target=%7Binstance%3D%2210.0.0.2%3A9100%22%7D", 1),
        ("?match_target=%7Benv%3D%22prod%22%7D", 3),
        ("?match_target=%7Binstance%3D~%2210%5C%5C.0%5C%5C.0%5C%5C.%5B12%5D.*%22%7D", 4),
        ("?match_target=%7Bjob%3D%22node%22%2Cinstance!~%22.*1.*%22%7D", 0),
        ("?match_target=%7Bjob%3D%22node%22%2Cenv!%3D%22prod%22%7D&metric=node_load1", 1),
        ("?limit=1", 3),  // checked before each target, as Prometheus does
        ("?limit=0", 0),
        ("?metric=nope", 0),
    ])
    func filters(query: String, count: Int) async throws {
        #expect(try await entries(query).count == count)
    }

    @Test(arguments: [
        "?limit=x", "?match_target=%7Bjob%3D%7D", "?match_target=%7B%7D", "?match_target=%7Bjob%3D~%22(%22%7D",
        "?match_target=%7Binstance!~%22.*1.*%22%7D",
    ])
    func badRequests(query: String) async throws {
        try await withRouter(try options()) { client in
            let r = try await get(client, "/api/v1/targets/metadata" + query)
            #expect(r.status == .badRequest)
            #expect(try r.object()["errorType"] as? String == "bad_data")
        }
    }
}

@Suite struct LabelMatcherTests {
    @Test(arguments: [
        ("{job=\"a\"}", 1), ("up{job=\"a\", x!=\"b\"}", 3), ("{ a =~ \"x.*\" , b !~ 'y' }", 2), ("{a=`b\\`}", 1),
        ("{a=\"b\",}", 1),
    ])
    func parses(selector: String, count: Int) throws {
        #expect(try LabelMatcher.parseSelector(selector).count == count)
    }

    @Test(arguments: ["{", "{a}", "{a=b}", "{a==\"b\"}", "{a=\"b\"", "{a=\"b\"} x", "{}", "{a=~\".*\"}"])
    func rejects(selector: String) {
        #expect(throws: LabelMatcher.ParseError.self) { try LabelMatcher.parseSelector(selector) }
    }

    @Test func regexIsAnchored() throws {
        let m = try LabelMatcher.parseSelector("{a=~\"b\"}")[0]
        #expect(m.matches(.init(["a": "b"])))
        #expect(!m.matches(.init(["a": "abc"])))
    }
}
