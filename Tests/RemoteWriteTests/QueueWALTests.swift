import AgentConfig
import Foundation
import PromModel
import Prometheus
import Testing

@testable import RemoteWrite

@Suite struct QueueWALTests {
    /// An outage, a restart in the middle, recovery: every sample exactly once, in order.
    @Test func aRestartResumesFromTheSavedPositionExactlyOnce() async throws {
        let dir = try WALDir()
        defer { dir.remove() }
        let down = LockedBox(true)
        let sender = ScriptedSender { _ in
            down.value
                ? SendResult(outcome: .recoverable(reason: "down", retryAfter: nil), statusCode: 503)
                : SendResult(outcome: .success, statusCode: 204)
        }
        var c = fastConfig(url: "http://r/", name: "r", maxSamples: 7)
        c.queueConfig.minShards = 3
        c.queueConfig.maxShards = 3
        let input = (0..<30).flatMap { series($0, 5) }

        // Run 1: the first 10 commits are delivered, then the endpoint goes down.
        do {
            let reg = PrometheusCollectorRegistry()
            let wal = try WAL(directory: dir.path, registry: reg, logger: testLogger)
            let qm = QueueManager(
                config: c, client: sender, registry: reg, logger: testLogger, wal: wal,
                positionSaveInterval: .milliseconds(20))
            down.mutate { $0 = false }
            try await withRunning(qm, flush: .milliseconds(200)) {
                for i in 0..<10 { try wal.append(series(i, 5)) }
                try await Task.sleep(for: .milliseconds(300))
                down.mutate { $0 = true }
                for i in 10..<20 { try wal.append(series(i, 5)) }
                try await Task.sleep(for: .milliseconds(200))
            }
            wal.close()
        }
        #expect(sender.delivered.flatMap(\.samples).count == 50)

        // Run 2 (a restart): more commits while down, then the endpoint recovers.
        let reg = PrometheusCollectorRegistry()
        let wal = try WAL(directory: dir.path, registry: reg, logger: testLogger)
        let qm = QueueManager(config: c, client: sender, registry: reg, logger: testLogger, wal: wal)
        try await withRunning(qm) {
            for i in 20..<30 { try wal.append(series(i, 5)) }
            try await Task.sleep(for: .milliseconds(100))
            down.mutate { $0 = false }
            for _ in 0..<100 where qm.ackedPosition < wal.end { try await Task.sleep(for: .milliseconds(20)) }
        }
        let got = sender.delivered.flatMap(\.samples)
        #expect(got.count == input.count)
        #expect(Set(got) == Set(input))
        for s in Set(input.map(\.labels)) {
            #expect(got.filter { $0.labels == s } == input.filter { $0.labels == s })
        }
        #expect(qm.ackedPosition == wal.end)
        #expect(FileManager.default.fileExists(atPath: dir.path + "/positions/r"))
    }

    /// A slow endpoint with a big backlog: shards go up; a reshard keeps per-series order.
    @Test func reshardingUpKeepsPerSeriesOrderAndExactlyOnce() async throws {
        let sender = SlowSender(delay: .milliseconds(20))
        var c = fastConfig(url: "http://s/", name: "s", maxSamples: 50, capacity: 200)
        c.queueConfig.minShards = 1
        c.queueConfig.maxShards = 8
        let reg = PrometheusCollectorRegistry()
        let qm = QueueManager(
            config: c, client: sender, registry: reg, logger: testLogger, shardUpdateInterval: .milliseconds(200))
        let input = (0..<200).flatMap { series($0, 20, ts0: currentTimeMs() - 300_000) }
        let maxShards = LockedBox(1)
        try await withRunning(qm) {
            for i in 0..<200 {
                await qm.enqueue(Array(input[(i * 20)..<((i + 1) * 20)]))
                if i % 20 == 0 { try await Task.sleep(for: .milliseconds(50)) }
                maxShards.mutate { $0 = max($0, qm.currentShards) }
            }
            for _ in 0..<500 where qm.ackedPosition < qm.wal.end {
                maxShards.mutate { $0 = max($0, qm.currentShards) }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        #expect(maxShards.value > 1)
        let got = sender.delivered
        #expect(got.count == input.count)
        for s in Set(input.map(\.labels)) {
            #expect(got.filter { $0.labels == s } == input.filter { $0.labels == s })
        }
        #expect(
            (metricValue(reg, #"prometheus_remote_storage_shards_desired{remote_name="s",url="http://s/"}"#) ?? 0) > 1)
    }
}

/// Succeeds after a delay (a slow endpoint); records delivered samples.
final class SlowSender: WriteSending, @unchecked Sendable {
    let delay: Duration
    private let box = LockedBox<[TimeSeriesSample]>([])
    init(delay: Duration) { self.delay = delay }
    var delivered: [TimeSeriesSample] { box.value }
    func send(_ compressedBody: [UInt8]) async -> SendResult {
        try? await Task.sleep(for: delay)
        let s = (try? WriteRequestDecoder.decode(snappyCompressed: compressedBody))?.samples ?? []
        box.mutate { $0 += s }
        return SendResult(outcome: .success, statusCode: 204)
    }
}
