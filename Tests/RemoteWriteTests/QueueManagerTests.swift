import AgentConfig
import PromModel
import Prometheus
import TestSupport
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
        let clock = ManualClock()
        let qm = QueueManager(config: c, client: sender, registry: reg, logger: testLogger, clock: clock)
        let start = qm.ackedPosition
        // Back-off and the 100 ms flush deadline pass on the manual clock.
        let accepted = try await whileDriving(clock) {
            try await withRunning(qm, flush: .milliseconds(100)) {
                let n = await qm.enqueue(makeSamples(20))
                // Three answered attempts: two retries counted.
                await sender.waitUntil { requests, _ in requests.count >= 3 }
                return n
            }
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

    /// A hung endpoint cannot hold a stop past its deadline: the send in progress is cancelled
    /// when the deadline passes on the queue's clock, and the batch stays in the WAL.
    @Test(.timeLimit(.minutes(1))) func aStopCancelsAHungSendAtTheDeadline() async throws {
        let sender = HungSender()
        let reg = PrometheusCollectorRegistry()
        let clock = ManualClock()
        let qm = QueueManager(
            config: fastConfig(url: "http://hung/", name: "hung"), client: sender, registry: reg, logger: testLogger,
            clock: clock)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await qm.run() }
            await qm.enqueue(makeSamples(3))
            // The batch deadline (50 ms) passes; the send starts and hangs.
            try await whileDriving(clock) { await sender.started.first { _ in true } }
            let stopped = clock.now.offset
            try await whileDriving(clock) { await qm.stop(within: .seconds(5)) }
            #expect(clock.now.offset - stopped >= .seconds(5))
            try await group.waitForAll()
        }
        #expect(sender.cancelled.value == 1)
        #expect(qm.ackedPosition < qm.wal.end)
        #expect(metricSum(reg, "prometheus_remote_storage_samples_dropped_total") == 0)
        #expect(metricSum(reg, "prometheus_remote_storage_samples_failed_total") == 0)
        #expect(
            metricValue(reg, #"prometheus_remote_storage_samples_pending{remote_name="hung",url="http://hung/"}"#)
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
        let clock = ManualClock()
        let qm = QueueManager(
            config: c, client: sender, registry: reg, logger: testLogger, metadataSource: { md }, clock: clock)
        // The 100 ms send interval passes on the manual clock: wait for every family.
        try await withRunning(qm) {
            try await whileDriving(clock) { await sender.waitUntilDelivered { $0.flatMap(\.metadata).count >= 5 } }
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

/// Never answers: each send waits until its task is cancelled (a hung endpoint).
final class HungSender: WriteSending, Sendable {
    let cancelled = LockedBox(0)
    let started: AsyncStream<Void>
    private let startedContinuation: AsyncStream<Void>.Continuation

    init() { (started, startedContinuation) = AsyncStream.makeStream() }

    func send(_ compressedBody: [UInt8]) async -> SendResult {
        startedContinuation.yield()
        let stream = AsyncStream<Void> { _ in }
        for await _ in stream {}  // ends on cancellation
        cancelled.mutate { $0 += 1 }
        return SendResult(outcome: .recoverable(reason: "cancelled", retryAfter: nil), statusCode: nil)
    }
}
