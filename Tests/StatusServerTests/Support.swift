import AgentConfig
import Foundation
import Hummingbird
import HummingbirdTesting
import PromModel
import Prometheus
import Testing

@testable import StatusServer

/// A fixed scrape state: pool "node" (one up, one down with an HTML-hostile error), pool
/// "empty" with no targets, and two targets dropped by relabeling in "node".
struct FakeTargets: TargetStatusProvider {
    static let scrapeMs: Int64 = 1_700_000_000_123

    var active: [TargetStatus] = [
        TargetStatus(
            scrapePool: "node", scrapeURL: "http://10.0.0.1:9100/metrics",
            discoveredLabels: Labels([
                "__address__": "10.0.0.1:9100", "__metrics_path__": "/metrics", "__scheme__": "http", "job": "node",
            ]),
            labels: Labels(["instance": "10.0.0.1:9100", "job": "node", "env": "prod"]), health: .up,
            lastScrapeMs: scrapeMs, lastScrapeDurationSeconds: 0.0125, lastSamples: 42, scrapeIntervalSeconds: 15,
            scrapeTimeoutSeconds: 10),
        TargetStatus(
            scrapePool: "node", scrapeURL: "http://10.0.0.2:9100/metrics",
            discoveredLabels: Labels(["__address__": "10.0.0.2:9100", "job": "node"]),
            labels: Labels(["instance": "10.0.0.2:9100", "job": "node"]), health: .down,
            lastError: "Get \"http://10.0.0.2:9100/metrics\": dial tcp: connection refused <script>alert(1)</script>",
            lastScrapeMs: scrapeMs, lastScrapeDurationSeconds: 0.5, scrapeIntervalSeconds: 60, scrapeTimeoutSeconds: 1.5
        ),
    ]
    var dropped: [(scrapePool: String, discoveredLabels: Labels)] = [
        ("node", Labels(["__address__": "10.0.0.9:9100", "drop": "yes"])),
        ("node", Labels(["__address__": "10.0.0.8:9100", "drop": "yes"])),
    ]
    var droppedTotal = ["node": 5, "empty": 0]

    init() {
        active[0].metadata = [
            "node_cpu_seconds_total": MetricMetadata(
                familyName: "node_cpu_seconds_total", type: .counter, help: "Seconds the CPUs spent in each mode."),
            "node_load1": MetricMetadata(familyName: "node_load1", type: .gauge, help: "1m load average."),
            "mystery": MetricMetadata(familyName: "mystery", type: .untyped),
        ]
        active[1].metadata = [
            "node_load1": MetricMetadata(familyName: "node_load1", type: .gauge, help: "1m load average.")
        ]
    }

    func activeTargets() -> [TargetStatus] { active }
    func droppedTargets() -> [(scrapePool: String, discoveredLabels: Labels)] { dropped }
    func droppedTargetCounts() -> [String: Int] { droppedTotal }
    func scrapePools() -> [String] { ["empty", "node"] }
}

/// Distinct secrets that must never appear in any output.
enum Secrets {
    static let all = ["S3cr3t-scrape-pw-1a", "S3cr3t-bearer-2b", "S3cr3t-rw-pw-3c", "S3cr3t-sls-4d"]

    static let configYAML = """
        global:
          scrape_interval: 15s
        scrape_configs:
          - job_name: node
            basic_auth: {username: u, password: \(all[0])}
            static_configs: [{targets: ["10.0.0.1:9100"]}]
          - job_name: api
            authorization: {credentials: \(all[1])}
            static_configs: [{targets: ["10.0.0.3:8080"]}]
        remote_write:
          - url: http://127.0.0.1:1/api/v1/write
            basic_auth: {username: rw, password: \(all[2])}
        sls:
          project: p
          endpoint: cn-hangzhou.log.aliyuncs.com
          metricstore: m
          access_key_id: id
          access_key_secret: \(all[3])
        """

    static func config() throws -> Config { try ConfigLoader.load(yaml: configYAML, environment: [:]) }
}

/// Fixture options: fake targets, a loaded config, readiness on.
func options(
    targets: any TargetStatusProvider = FakeTargets(), reload: StatusServer.ReloadHandler? = nil,
    quit: StatusServer.QuitHandler? = nil, webConfig: WebConfig? = nil, ready: Bool = true
) throws -> StatusServer.Options {
    let config = try Secrets.config()
    let readiness = ReadinessFlag()
    readiness.set(ready)
    return StatusServer.Options(
        host: "127.0.0.1", port: 0, registry: PrometheusCollectorRegistry(), targets: targets, readiness: readiness,
        config: { config }, reload: reload, quit: quit, webConfig: webConfig)
}

/// Runs `body` against the router of `options`, without a socket.
@discardableResult
func withRouter<T: Sendable>(
    _ o: StatusServer.Options, _ body: @Sendable (any TestClientProtocol) async throws -> T
) async throws -> T {
    let app = Application(router: StatusServer.makeRouter(o))
    return try await app.test(.router, body)
}

extension TestResponse {
    var text: String { String(buffer: body) }

    /// The body as a JSON object.
    func object() throws -> [String: Any] {
        let v = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(v as? [String: Any], "not a JSON object: \(text)")
    }
}

/// GET `uri` and return the response.
func get(_ client: any TestClientProtocol, _ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
    try await client.execute(uri: uri, method: .get, headers: headers)
}
