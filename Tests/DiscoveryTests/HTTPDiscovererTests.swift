import AgentConfig
import Hummingbird
import PromModel
import TestSupport
import Testing

@testable import Discovery

@Suite("http_sd", .timeLimit(.minutes(1)))
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
            // The refresh interval runs on a manual clock; requests get the real 60 s timeout.
            var config = HTTPSDConfig(url: url, refreshInterval: .seconds(60))
            config.httpClient.basicAuth = BasicAuth(username: "u", password: Secret("p"))
            let (metrics, registry) = makeMetrics()
            let clock = ManualClock()
            let d = try HTTPDiscoverer(config: config, metrics: metrics, logger: quietLogger, clock: clock)
            let sent = EventLog<[TargetGroup]>()
            let task = Task { await d.run { sent.append($0) } }
            defer { task.cancel() }

            // Each refresh ends with the loop sleeping towards the next one.
            await clock.sleepsStarted(atLeast: 1)
            let first = try #require(sent.events.last)
            #expect(sent.count == 1)
            #expect(addresses(first) == ["a:1", "b:1"])
            #expect(first[0].labels == Labels(["dc": "x", "__meta_url": url]))
            #expect(first[0].source == "\(url):0")
            #expect(seen.value == ["Basic dTpw|60"])

            // Server errors, wrong content type and bad JSON: counted once each, nothing sent
            // (the last good targets stay).
            let bad = [(500, "application/json", "[]"), (200, "text/plain", "[]"), (200, "application/json", "[{")]
            for (n, answerNow) in bad.enumerated() {
                answer.value = answerNow
                clock.advance(by: .seconds(60))
                await clock.sleepsStarted(atLeast: n + 2)
                #expect(metricSum(registry, "prometheus_sd_http_failures_total") == Double(n + 1), "\(answerNow)")
                #expect(sent.count == 1, "after \(answerNow)")
            }
            #expect(metricSum(registry, "prometheus_sd_refresh_failures_total") == 3)
            #expect(seen.value.count == 4)

            answer.value = (200, "application/json; charset=utf-8", #"[{"targets": ["c:1"]}]"#)
            clock.advance(by: .seconds(60))
            #expect(await sent.wait(count: 2).map(addresses)[1] == ["c:1"])
        }
    }
}
