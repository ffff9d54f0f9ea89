import AgentConfig
import Hummingbird
import PromModel
import Testing

@testable import Discovery

@Suite("http_sd")
struct HTTPDiscovererTests {
    /// Serves `/sd` from `answer`, records the Authorization and refresh headers.
    static func router(_ answer: Box<(Int, String, String)>, _ seen: Box<[String]>) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/sd") { request, _ -> Response in
            seen.value.append(
                (request.headers[.authorization] ?? "") + "|"
                    + (request.headers.first { $0.name.canonicalName == "x-prometheus-refresh-interval-seconds" }?.value
                        ?? ""))
            let (status, type, body) = answer.value
            return Response(
                status: .init(code: status), headers: [.contentType: type], body: .init(byteBuffer: .init(string: body))
            )
        }
        return router
    }

    @Test("targets, __meta_url, auth header; failures keep the last good targets and are counted")
    func refresh() async throws {
        let answer = Box((200, "application/json", #"[{"targets": ["a:1", "b:1"], "labels": {"dc": "x"}}]"#))
        let seen = Box<[String]>([])
        try await withServer(Self.router(answer, seen)) { port in
            let url = "http://127.0.0.1:\(port)/sd"
            var config = HTTPSDConfig(url: url, refreshInterval: .milliseconds(100))
            config.httpClient.basicAuth = BasicAuth(username: "u", password: Secret("p"))
            let (metrics, registry) = makeMetrics()
            let d = try HTTPDiscoverer(config: config, metrics: metrics, logger: quietLogger)
            let last = Box<[TargetGroup]?>(nil)
            let task = Task { await d.run { last.value = $0 } }
            defer { task.cancel() }

            // A first refresh that fails (a slow machine) sends [] once: wait for the targets.
            let first = try #require(try await eventually { last.value.flatMap { $0.isEmpty ? nil : $0 } })
            #expect(addresses(first) == ["a:1", "b:1"])
            #expect(first[0].labels == Labels(["dc": "x", "__meta_url": url]))
            #expect(first[0].source == "\(url):0")
            #expect(seen.value.first == "Basic dTpw|0")

            // Server errors, wrong content type and bad JSON: counted, last good kept.
            for bad in [(500, "application/json", "[]"), (200, "text/plain", "[]"), (200, "application/json", "[{")] {
                let before = metricSum(registry, "prometheus_sd_http_failures_total")
                answer.value = bad
                _ = try await eventually {
                    metricSum(registry, "prometheus_sd_http_failures_total") > before ? true : nil
                }
                #expect(addresses(last.value ?? []) == ["a:1", "b:1"], "after \(bad)")
            }
            #expect(metricSum(registry, "prometheus_sd_refresh_failures_total") >= 3)

            answer.value = (200, "application/json; charset=utf-8", #"[{"targets": ["c:1"]}]"#)
            #expect(try await eventually { last.value.map(addresses) == ["c:1"] ? true : nil } == true)
        }
    }
}
