import AgentConfig
import Foundation
import PromModel
import Prometheus
import Testing

@testable import RemoteWrite

/// Issue 18: the Metricstore's data model is enforced for `sls:` entries only.
@Suite struct SLSDataModelTests {
    static func sanitizer(_ model: SLSDataModel = SLSDataModel()) -> (SLSSanitizer, PrometheusCollectorRegistry) {
        let reg = PrometheusCollectorRegistry()
        return (SLSSanitizer(model: model, registry: reg, remoteName: "sls", logger: testLogger), reg)
    }

    static func count(_ reg: PrometheusCollectorRegistry, _ reason: String) -> Double {
        metricValue(reg, "promsls_sls_series_sanitized_total{remote_name=\"sls\",reason=\"\(reason)\"}") ?? -1
    }

    @Test func namesAndValuesAreFittedAndCountedByReason() {
        let (s, reg) = Self.sanitizer()
        let valid = Labels(["__name__": "redis_up", "instance": "a:1", "le": "+Inf", "x": "a#$#b"])
        #expect(s.apply(valid) == valid)
        #expect(
            s.apply(Labels(["__name__": "0http.requests-total", "cmd": "client|setname|x", "pod.name": "p"]))
                == Labels(["__name__": "_http_requests_total", "cmd": "client_setname_x", "pod_name": "p"]))
        #expect(
            s.apply(Labels(["__name__": "ns:m", "9lives": "v", "naïve": "v2"]))
                == Labels(["__name__": "ns:m", "_lives": "v", "na_ve": "v2"]))
        // `a.b` and `a_b` become one name: one label kept, counted.
        #expect(s.apply(Labels(["__name__": "m", "a.b": "1", "a_b": "2"])).count == 2)
        #expect(Self.count(reg, "metric_name") == 1)
        #expect(Self.count(reg, "label_value_pipe") == 1)
        #expect(Self.count(reg, "label_name") == 3)
        #expect(Self.count(reg, "label_name_collision") == 1)
    }

    @Test func pipesAreKeptOrReplacedAsConfigured() {
        let (keep, keepReg) = Self.sanitizer(SLSDataModel(pipeReplacement: nil))
        let l = Labels(["__name__": "m", "cmd": "client|setname"])
        #expect(keep.apply(l) == l)
        #expect(Self.count(keepReg, "label_value_pipe") == 0)
        let (dash, _) = Self.sanitizer(SLSDataModel(pipeReplacement: "::"))
        #expect(dash.apply(l)["cmd"] == "client::setname")
    }

    /// The series of the redis_exporter fixture (`name{k="v",…} value` lines).
    static func redisSeries() throws -> [TimeSeriesSample] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/redis_exporter.prom").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let (series, value) = (
                line[..<line.lastIndex(of: " ")!], line[line.index(after: line.lastIndex(of: " ")!)...]
            )
            var labels = ["__name__": String(series.prefix { $0 != "{" })]
            if let open = series.firstIndex(of: "{") {
                for pair in series[series.index(after: open)..<series.index(before: series.endIndex)]
                    .split(separator: ",")
                {
                    let kv = pair.split(separator: "=", maxSplits: 1)
                    labels[String(kv[0])] = String(kv[1].dropFirst().dropLast())
                }
            }
            return TimeSeriesSample(labels: Labels(labels), timestampMs: 1_000, value: Double(value)!)
        }
    }

    // The redis_exporter body through an `sls:` entry and a plain remote_write entry of the
    // same storage: no `|` reaches the first, the counter says how many series changed; the
    // second gets every label set unchanged.
    @Test(.timeLimit(.minutes(1))) func redisExporterSeriesThroughAnSLSEntryAndAPlainOne() async throws {
        let series = try Self.redisSeries()
        let withPipe = series.filter { $0.labels.contains { $0.value.contains("|") } }.count
        #expect(series.count == 18 && withPipe == 9)
        let slsRx = TestReceiver { _ in (200, [], "") }
        let plainRx = TestReceiver { _ in (200, [], "") }
        let reg = PrometheusCollectorRegistry()
        try await slsRx.withServer { slsURL in
            try await plainRx.withServer { plainURL in
                var sls = fastConfig(url: slsURL, name: "sls", maxSamples: 100)
                sls.slsDataModel = SLSDataModel()
                let plain = fastConfig(url: plainURL, name: "plain", maxSamples: 100)
                let storage = try RemoteStorage(
                    configs: [sls, plain], global: GlobalConfig(), registry: reg, logger: testLogger)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await storage.run() }
                    let app = storage.appender()
                    for s in series {
                        try app.append(s.labels, timestampMs: s.sample.timestampMs, value: s.sample.value)
                    }
                    try await app.commit()
                    await storage.stop(deadline: .now + .seconds(10))
                    try await group.waitForAll()
                }
            }
        }
        let toSLS = slsRx.deliveredSamples
        #expect(toSLS.count == series.count)
        #expect(!toSLS.contains { $0.labels.contains { $0.value.contains("|") } })
        #expect(toSLS.contains { $0.labels["cmd"] == "client_setname" })
        #expect(Self.count(reg, "label_value_pipe") == Double(withPipe))
        #expect(Set(plainRx.deliveredSamples) == Set(series))
    }
}
