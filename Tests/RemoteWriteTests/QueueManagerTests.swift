import AgentConfig
import PromModel
import Prometheus
import Testing

@testable import RemoteWrite

@Suite struct QueueManagerTests {
    @Test func deliversEverySampleOnceInOrderAcrossShards() async throws {
        var c = fastConfig(url: "http://unused/", maxSamples: 7)
        c.queueConfig.minShards = 3
        let sender = ScriptedSender()
        let reg = PrometheusCollectorRegistry()
        let qm = QueueManager(config: c, client: sender, registry: reg, logger: testLogger)
        let input = makeSamples(200, series: 10)
        try await withRunning(qm) {
            for chunk in stride(from: 0, to: input.count, by: 25) {
                await qm.enqueue(Array(input[chunk..<min(chunk + 25, input.count)]))
            }
        }
        let got = sender.delivered.flatMap(\.samples)
        #expect(got.count == input.count)
        #expect(Set(got) == Set(input))
        // Per-series order kept.
        for series in Set(input.map(\.labels)) {
            #expect(got.filter { $0.labels == series } == input.filter { $0.labels == series })
        }
        #expect(sender.requests.allSatisfy { $0.samples.count <= 7 })
        #expect(
            metricValue(reg, #"prometheus_remote_storage_samples_total{remote_name="test",url="http://unused/"}"#)
                == 200)
        #expect(
            metricValue(reg, #"prometheus_remote_storage_samples_pending{remote_name="test",url="http://unused/"}"#)
                == 0)
        #expect(metricValue(reg, #"prometheus_remote_storage_shards{remote_name="test",url="http://unused/"}"#) == 3)
        #expect(
            metricValue(
                reg,
                #"prometheus_remote_storage_queue_highest_sent_timestamp_seconds{remote_name="test",url="http://unused/"}"#
            ) == 1.199)
    }

    @Test func batchesAreCappedByBytes() async throws {
        var c = fastConfig(url: "http://unused/", maxSamples: 1000)
        let one = WriteRequestEncoder.standaloneSize(makeSamples(1)[0])
        c.queueConfig.maxBytesPerSend = one * 4
        let sender = ScriptedSender()
        let qm = QueueManager(config: c, client: sender, registry: PrometheusCollectorRegistry(), logger: testLogger)
        try await withRunning(qm) { await qm.enqueue(makeSamples(20)) }
        #expect(sender.delivered.flatMap(\.samples) == makeSamples(20))
        #expect(sender.requests.allSatisfy { $0.samples.count <= 4 })
    }

    @Test(.timeLimit(.minutes(1))) func aDownEndpointKeepsItsBacklogInTheWALAndDropsNothing() async throws {
        // The endpoint never recovers: the shard blocks retrying, the small queue fills, the
        // rest waits in the WAL. Nothing is dropped; the position stays before the backlog.
        let c = fastConfig(url: "http://unused/", name: "stuck", maxSamples: 2, capacity: 5)
        let sender = ScriptedSender { _ in
            SendResult(outcome: .recoverable(reason: "down", retryAfter: nil), statusCode: 503)
        }
        let reg = PrometheusCollectorRegistry()
        let qm = QueueManager(config: c, client: sender, registry: reg, logger: testLogger)
        let start = qm.ackedPosition
        let accepted = try await withRunning(qm, flush: .milliseconds(100)) {
            let n = await qm.enqueue(makeSamples(20))
            // Three answered attempts: two retries counted (a fixed 150 ms sleep failed under load).
            await sender.waitUntil { requests, _ in requests.count >= 3 }
            return n
        }
        #expect(accepted == 20)
        #expect(qm.ackedPosition == start)
        #expect(sender.delivered.isEmpty)
        #expect(metricSum(reg, "prometheus_remote_storage_samples_dropped_total") == 0)
        #expect(
            (metricValue(
                reg, #"prometheus_remote_storage_samples_retried_total{remote_name="stuck",url="http://unused/"}"#) ?? 0)
                >= 2)
        #expect(
            (metricValue(
                reg,
                #"promsls_remote_storage_http_failures_total{remote_name="stuck",url="http://unused/",status_code="503"}"#
            ) ?? 0) >= 1)
        #expect(
            metricValue(reg, #"prometheus_remote_storage_samples_pending{remote_name="stuck",url="http://unused/"}"#)
                == 0)
    }

    @Test func writeRelabelDropsAndRewrites() async throws {
        let sender = ScriptedSender()
        let reg = PrometheusCollectorRegistry()
        let qm = QueueManager(
            config: fastConfig(url: "http://unused/", name: "rl"), client: sender, registry: reg, logger: testLogger,
            relabel: { l in
                if l["i"] == "0" { return nil }
                var b = LabelsBuilder(l)
                b.set("env", "prod")
                return b.labels()
            })
        try await withRunning(qm) { await qm.enqueue(makeSamples(9)) }
        let got = sender.delivered.flatMap(\.samples)
        #expect(got.count == 6)
        #expect(got.allSatisfy { $0.labels["env"] == "prod" && $0.labels["i"] != "0" })
        #expect(
            metricValue(
                reg,
                #"prometheus_remote_storage_samples_dropped_total{remote_name="rl",url="http://unused/",reason="dropped_series"}"#
            ) == 3)
    }

    @Test(.timeLimit(.minutes(1))) func metadataIsSentInItsOwnRequests() async throws {
        var c = fastConfig(url: "http://unused/", name: "md")
        c.metadataConfig.maxSamplesPerSend = 2
        let sender = ScriptedSender()
        let reg = PrometheusCollectorRegistry()
        let md = (0..<5).map { MetricMetadata(familyName: "f\($0)", type: .counter, help: "h") }
        let qm = QueueManager(config: c, client: sender, registry: reg, logger: testLogger, metadataSource: { md })
        // 100 ms send interval: wait for every family to be delivered (a fixed 350 ms sleep
        // failed CI on a loaded machine with 3 of 5 sent).
        try await withRunning(qm) {
            await sender.waitUntilDelivered { $0.flatMap(\.metadata).count >= 5 }
        }
        let mdRequests = sender.delivered.filter { !$0.metadata.isEmpty }
        #expect(mdRequests.count >= 3)
        #expect(mdRequests.allSatisfy { $0.timeseries.isEmpty && $0.metadata.count <= 2 })
        #expect(Array(mdRequests.flatMap(\.metadata).prefix(5)) == md)
        #expect(
            (metricValue(reg, #"prometheus_remote_storage_metadata_total{remote_name="md",url="http://unused/"}"#) ?? 0)
                >= 5)
    }

    @Test func remoteNameDefaultsToShortStableURLHash() {
        let a = RemoteWriteConfig(url: "https://p.cn-hangzhou.log.aliyuncs.com/prometheus/p/m/api/v1/write")
        #expect(a.remoteName.count == 6)
        #expect(a.remoteName == RemoteWriteConfig(url: a.url).remoteName)
        #expect(a.remoteName != RemoteWriteConfig(url: "http://other/").remoteName)
        var named = a
        named.name = "sls"
        #expect(named.remoteName == "sls")
    }
}
