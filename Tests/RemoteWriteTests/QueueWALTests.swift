import AgentConfig
import Foundation
import PromModel
import Prometheus
import Synchronization
import TestSupport
import Testing

@testable import RemoteWrite

/// The queue over a WAL on disk across restarts. Time is a manual clock moved by the test
/// (`whileDriving`); the tests wait for deliveries and acknowledged positions, not for time.
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
            let clock = ManualClock()
            let qm = QueueManager(
                config: c, client: sender, registry: reg, logger: testLogger, wal: wal,
                positionSaveInterval: .milliseconds(20), clock: clock)
            down.mutate { $0 = false }
            try await whileDriving(clock) {
                try await withRunning(qm, flush: .milliseconds(200)) {
                    for i in 0..<10 { try wal.append(series(i, 5)) }
                    await sender.waitUntilDelivered { $0.flatMap(\.samples).count == 50 }
                    down.mutate { $0 = true }
                    for i in 10..<20 { try wal.append(series(i, 5)) }
                    // Sent and refused at least once: the stop comes while they are retried.
                    await sender.waitUntil { requests, delivered in requests.count > delivered.count }
                }
            }
            wal.close()
        }
        #expect(sender.delivered.flatMap(\.samples).count == 50)

        // Run 2 (a restart): more commits while down, then the endpoint recovers.
        let reg = PrometheusCollectorRegistry()
        let wal = try WAL(directory: dir.path, registry: reg, logger: testLogger)
        let clock = ManualClock()
        let qm = QueueManager(config: c, client: sender, registry: reg, logger: testLogger, wal: wal, clock: clock)
        try await whileDriving(clock) {
            try await withRunning(qm) {
                let before = sender.requests.count
                for i in 20..<30 { try wal.append(series(i, 5)) }
                await sender.waitUntil { requests, _ in requests.count > before }
                down.mutate { $0 = false }
                await qm.waitUntilAcked(wal.end)
            }
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

    /// One shard delivers everything while another cannot: a graceful stop, then a restart,
    /// must not send the first shard's samples again (the saved position is the slowest
    /// shard's; the per-shard positions tell which samples after it were delivered).
    @Test func aRestartDoesNotResendWhatAFasterShardDelivered() async throws {
        let dir = try WALDir()
        defer { dir.remove() }
        let blocked = Set((0..<6).map(seriesLabels).filter { $0.stableHash % 2 == 1 })
        try #require(!blocked.isEmpty && blocked.count < 6)
        let sender = GateSender(blocked: blocked)
        var c = fastConfig(url: "http://g/", name: "g", maxSamples: 7)
        c.queueConfig.minShards = 2
        c.queueConfig.maxShards = 2
        let input = (0..<20).flatMap { series($0, 6) }

        // Run 1: shard 0 delivers its 10 commits, shard 1 fails until the graceful stop.
        do {
            let reg = PrometheusCollectorRegistry()
            let wal = try WAL(directory: dir.path, registry: reg, logger: testLogger)
            let clock = ManualClock()
            let qm = QueueManager(config: c, client: sender, registry: reg, logger: testLogger, wal: wal, clock: clock)
            let want = 10 * (6 - blocked.count)
            try await whileDriving(clock) {
                try await withRunning(qm, flush: .milliseconds(100)) {
                    for i in 0..<10 { try wal.append(series(i, 6)) }
                    await sender.waitUntilDelivered(want)
                }
            }
            wal.close()
            #expect(sender.delivered.count == want)
            #expect(!sender.delivered.contains { blocked.contains($0.labels) })
        }
        #expect(try String(contentsOfFile: dir.path + "/positions/g", encoding: .utf8).contains("\nshards 2 "))

        // Run 2: the endpoint takes everything.
        sender.open()
        let reg = PrometheusCollectorRegistry()
        let wal = try WAL(directory: dir.path, registry: reg, logger: testLogger)
        let clock = ManualClock()
        let qm = QueueManager(config: c, client: sender, registry: reg, logger: testLogger, wal: wal, clock: clock)
        try await whileDriving(clock) {
            try await withRunning(qm) {
                for i in 10..<20 { try wal.append(series(i, 6)) }
                await qm.waitUntilAcked(wal.end)
            }
        }
        expectExactlyOnce(sender.delivered, input)
        #expect(qm.ackedPosition == wal.end)
        // Everything delivered: nothing left to say per shard.
        #expect(
            try String(contentsOfFile: dir.path + "/positions/g", encoding: .utf8).split(separator: "\n").count == 1)
    }

    /// Restarts while a shard is still behind, with a different shard count each time and a
    /// queue too small for the reader to catch up: the positions of every earlier run are
    /// kept until passed, so still nothing is sent twice.
    @Test func repeatedRestartsWithOtherShardCountsSendNothingTwice() async throws {
        let dir = try WALDir()
        defer { dir.remove() }
        let blocked = Set((0..<6).map(seriesLabels).filter { $0.stableHash % 2 == 1 })
        try #require(!blocked.isEmpty && blocked.count < 6)
        let sender = GateSender(blocked: blocked)
        var c = fastConfig(url: "http://h/", name: "h", maxSamples: 5, capacity: 5)
        let input = (0..<30).flatMap { series($0, 6) }
        for (run, shards) in [2, 3, 1].enumerated() {
            c.queueConfig.minShards = shards
            c.queueConfig.maxShards = shards
            if run == 2 { sender.open() }
            let reg = PrometheusCollectorRegistry()
            let wal = try WAL(directory: dir.path, registry: reg, logger: testLogger)
            let clock = ManualClock()
            let qm = QueueManager(config: c, client: sender, registry: reg, logger: testLogger, wal: wal, clock: clock)
            try await whileDriving(clock) {
                try await withRunning(qm, flush: .milliseconds(100)) {
                    for i in (run * 10)..<(run * 10 + 10) { try wal.append(series(i, 6)) }
                    if run < 2 {
                        // Until the open shard has delivered something.
                        await sender.waitUntilDelivered(1)
                    } else {
                        await qm.waitUntilAcked(wal.end)
                    }
                }
            }
            wal.close()
            #expect(!sender.delivered.isEmpty)
        }
        expectExactlyOnce(sender.delivered, input)
    }

    /// A slow endpoint with a big backlog: shards go up; a reshard keeps per-series order.
    @Test func reshardingUpKeepsPerSeriesOrderAndExactlyOnce() async throws {
        let clock = ManualClock()
        // Each send takes 20 ms of the queue's time.
        let sender = SlowSender(clock: clock, delay: .milliseconds(20))
        var c = fastConfig(url: "http://s/", name: "s", maxSamples: 50, capacity: 200)
        c.queueConfig.minShards = 1
        c.queueConfig.maxShards = 8
        let reg = PrometheusCollectorRegistry()
        let qm = QueueManager(
            config: c, client: sender, registry: reg, logger: testLogger, shardUpdateInterval: .milliseconds(200),
            clock: clock)
        let input = (0..<200).flatMap { series($0, 20, ts0: currentTimeMs() - 300_000) }
        // The most shards running, and wanted, seen at a send.
        let maxShards = LockedBox((running: 1, desired: 0.0))
        let desired = #"prometheus_remote_storage_shards_desired{remote_name="s",url="http://s/"}"#
        sender.onSend = {
            let d = metricValue(reg, desired) ?? 0
            maxShards.mutate { $0 = (max($0.running, qm.currentShards), max($0.desired, d)) }
        }
        try await withRunning(qm) {
            try await whileDriving(clock) {
                for i in 0..<200 { await qm.enqueue(Array(input[(i * 20)..<((i + 1) * 20)])) }
                await qm.waitUntilAcked(qm.wal.end)
            }
        }
        #expect(maxShards.value.running > 1)
        #expect(maxShards.value.desired > 1)
        let got = sender.delivered
        #expect(got.count == input.count)
        for s in Set(input.map(\.labels)) {
            #expect(got.filter { $0.labels == s } == input.filter { $0.labels == s })
        }
    }
}

private func seriesLabels(_ k: Int) -> Labels { series(0, k + 1)[k].labels }

/// Every input sample delivered once, in order per series.
private func expectExactlyOnce(
    _ got: [TimeSeriesSample], _ input: [TimeSeriesSample], sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(got.count == input.count, sourceLocation: sourceLocation)
    for s in Set(input.map(\.labels)) {
        #expect(got.filter { $0.labels == s } == input.filter { $0.labels == s }, sourceLocation: sourceLocation)
    }
}

/// Fails (503) every request holding a series of `blocked` until `open()`; records the
/// samples of the requests it accepts.
final class GateSender: WriteSending, Sendable {
    let blocked: Set<Labels>
    private struct State {
        var isOpen = false
        var delivered: [TimeSeriesSample] = []
        var waiters: [(count: Int, c: CheckedContinuation<Void, Never>)] = []
    }
    private let state = Mutex(State())
    init(blocked: Set<Labels>) { self.blocked = blocked }
    var delivered: [TimeSeriesSample] { state.withLock { $0.delivered } }
    func open() { state.withLock { $0.isOpen = true } }

    /// Returns once at least `count` samples were delivered.
    func waitUntilDelivered(_ count: Int) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s in
                if s.delivered.count >= count { return true }
                s.waiters.append((count, c))
                return false
            }
            if ready { c.resume() }
        }
    }

    func send(_ compressedBody: [UInt8]) async -> SendResult {
        let samples = (try? WriteRequestDecoder.decode(snappyCompressed: compressedBody))?.samples ?? []
        let (ok, wake) = state.withLock { s -> (Bool, [CheckedContinuation<Void, Never>]) in
            guard s.isOpen || !samples.contains(where: { blocked.contains($0.labels) }) else { return (false, []) }
            s.delivered += samples
            let n = s.delivered.count
            defer { s.waiters.removeAll { $0.count <= n } }
            return (true, s.waiters.filter { $0.count <= n }.map(\.c))
        }
        for c in wake { c.resume() }
        return ok
            ? SendResult(outcome: .success, statusCode: 204)
            : SendResult(outcome: .recoverable(reason: "down", retryAfter: nil), statusCode: 503)
    }
}

/// Succeeds after `delay` of the queue's manual clock (a slow endpoint: the send moves the
/// clock); records delivered samples and calls `onSend` before each answer.
final class SlowSender: WriteSending, Sendable {
    let clock: ManualClock
    let delay: Duration
    private let box = LockedBox<[TimeSeriesSample]>([])
    private let hook = LockedBox<(@Sendable () -> Void)?>(nil)
    init(clock: ManualClock, delay: Duration) {
        self.clock = clock
        self.delay = delay
    }
    var delivered: [TimeSeriesSample] { box.value }
    var onSend: (@Sendable () -> Void)? {
        get { hook.value }
        set { hook.mutate { $0 = newValue } }
    }
    func send(_ compressedBody: [UInt8]) async -> SendResult {
        clock.advance(by: delay)
        hook.value?()
        let s = (try? WriteRequestDecoder.decode(snappyCompressed: compressedBody))?.samples ?? []
        box.mutate { $0 += s }
        return SendResult(outcome: .success, statusCode: 204)
    }
}
