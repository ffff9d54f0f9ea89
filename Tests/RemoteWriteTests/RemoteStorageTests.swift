import AgentConfig
import PromModel
import Prometheus
import ServiceLifecycle
import TestSupport
import Testing

@testable import RemoteWrite

@Suite struct RemoteStorageTests {
    @Test func externalLabelsMergeSeriesLabelWins() {
        let ext = Labels(["cluster": "c1", "job": "ext", "zz": "z"])
        let merged = SeriesTable.merge(Labels(["__name__": "up", "job": "node"]), ext)
        #expect(merged == Labels(["__name__": "up", "cluster": "c1", "job": "node", "zz": "z"]))
        #expect(Array(merged.labels) == Labels(merged.labels).labels)  // still sorted
        #expect(SeriesTable.merge(Labels(), ext) == ext)
    }

    @Test func commitFansOutToEveryEndpointWithExternalLabels() async throws {
        var global = GlobalConfig()
        global.externalLabels = Labels(["cluster": "c1"])
        let reg = PrometheusCollectorRegistry()
        let a = ScriptedSender(), b = ScriptedSender()
        let qa = QueueManager(
            config: fastConfig(url: "http://a/", name: "a"), client: a, registry: reg, logger: testLogger)
        let qb = QueueManager(
            config: fastConfig(url: "http://b/", name: "b"), client: b, registry: reg, logger: testLogger)
        let storage = RemoteStorage(queues: [qa, qb], global: global, registry: reg)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await storage.run() }
            let app = storage.appender()
            try app.append(Labels(["__name__": "up", "job": "x"]), timestampMs: 1, value: 1)
            try app.append(Labels(["__name__": "up", "cluster": "own"]), timestampMs: 2, value: 0)
            try await app.commit()
            try app.append(Labels(["__name__": "dropped"]), timestampMs: 3, value: 1)
            app.rollback()
            // The deadline only bounds a failure: stop returns once both queues have delivered.
            // It was 5 s, which a CI run with both cores busy missed (nothing delivered).
            await storage.stop(deadline: .now + .seconds(30))
            try await group.waitForAll()
        }
        let want = [
            TimeSeriesSample(
                labels: Labels(["__name__": "up", "job": "x", "cluster": "c1"]), timestampMs: 1, value: 1),
            TimeSeriesSample(labels: Labels(["__name__": "up", "cluster": "own"]), timestampMs: 2, value: 0),
        ]
        #expect(a.delivered.flatMap(\.samples) == want)
        #expect(b.delivered.flatMap(\.samples) == want)
        #expect(metricValue(reg, "prometheus_remote_storage_highest_timestamp_in_seconds") == 0.002)
        #expect(metricValue(reg, "prometheus_remote_storage_samples_in_total") == 2)
    }

    @Test(.timeLimit(.minutes(1))) func aStuckEndpointDoesNotStopTheOthers() async throws {
        let reg = PrometheusCollectorRegistry()
        let good = ScriptedSender()
        let stuck = ScriptedSender { _ in
            SendResult(outcome: .recoverable(reason: "down", retryAfter: nil), statusCode: nil)
        }
        let clock = ManualClock()
        let qGood = QueueManager(
            config: fastConfig(url: "http://good/", name: "good"), client: good, registry: reg, logger: testLogger,
            clock: clock)
        let wal = qGood.wal
        let qStuck2 = QueueManager(
            config: fastConfig(url: "http://stuck/", name: "stuck", maxSamples: 5, capacity: 5), client: stuck,
            registry: reg, logger: testLogger, wal: wal, clock: clock)
        let storage = RemoteStorage(queues: [qGood, qStuck2], global: GlobalConfig(), registry: reg)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await storage.run() }
            for round in 0..<5 {
                let app = storage.appender()
                for s in makeSamples(10, job: "r\(round)") {
                    try app.append(s.labels, timestampMs: s.sample.timestampMs, value: s.sample.value)
                }
                try await app.commit()
            }
            // The healthy endpoint delivers everything while the other is stuck; the stuck one
            // gives up at the stop deadline (1 s of the manual clock).
            try await whileDriving(clock) {
                await good.waitUntilDelivered { $0.flatMap(\.samples).count >= 50 }
                await storage.stop(within: .seconds(1))
            }
            try await group.waitForAll()
        }
        #expect(good.delivered.flatMap(\.samples).count == 50)
        // Nothing dropped for the stuck endpoint: its backlog waits in the WAL.
        #expect(metricSum(reg, "prometheus_remote_storage_samples_dropped_total") == 0)
        #expect(qStuck2.ackedPosition < wal.end)
        #expect(qGood.ackedPosition == wal.end)
    }

    @Test func buildsFromConfigsAndSendsMetadata() async throws {
        let rx = TestReceiver { _ in (204, [], "") }
        let clock = ManualClock()
        try await rx.withServer { url in
            var c = fastConfig(url: url, name: "")
            c.metadataConfig.sendInterval = .milliseconds(50)
            let reg = PrometheusCollectorRegistry()
            let storage = try RemoteStorage(
                configs: [c], global: GlobalConfig(), registry: reg, logger: testLogger,
                writeRelabel: { _ in { $0["job"] == "drop" ? nil : $0 } }, clock: clock)
            #expect(storage.queues.map(\.remoteName) == [c.remoteName])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await storage.run() }
                let app = storage.appender()
                app.updateMetadata(MetricMetadata(familyName: "m", type: .gauge, help: "a gauge", unit: ""))
                try app.append(Labels(["__name__": "m", "job": "keep"]), timestampMs: 10, value: 1)
                try app.append(Labels(["__name__": "m", "job": "drop"]), timestampMs: 10, value: 2)
                try await app.commit()
                // The batch deadline and the metadata interval pass on the manual clock.
                try await whileDriving(clock) {
                    await rx.waitUntil { r in
                        r.contains { !($0.body?.metadata.isEmpty ?? true) }
                            && r.contains { !($0.body?.samples.isEmpty ?? true) }
                    }
                }
                await storage.stop(within: .seconds(30))
                try await group.waitForAll()
            }
        }
        #expect(rx.deliveredSamples.map(\.labels) == [Labels(["__name__": "m", "job": "keep"])])
        #expect(
            rx.received.contains {
                $0.body?.metadata == [MetricMetadata(familyName: "m", type: .gauge, help: "a gauge")]
            })
    }
}

@Suite struct RemoteStorageLifecycleTests {
    @Test func gracefulShutdownInAServiceGroupFlushesQueuedSamples() async throws {
        let reg = PrometheusCollectorRegistry()
        let sender = ScriptedSender()
        var c = fastConfig(url: "http://sg/", name: "sg", maxSamples: 1000)
        c.queueConfig.batchSendDeadline = .seconds(30)  // only the shutdown flush can send
        let qm = QueueManager(config: c, client: sender, registry: reg, logger: testLogger, flushTimeout: .seconds(5))
        let storage = RemoteStorage(queues: [qm], global: GlobalConfig(), registry: reg)
        let group = ServiceGroup(services: [storage], gracefulShutdownSignals: [], logger: testLogger)
        try await withThrowingTaskGroup(of: Void.self) { tg in
            tg.addTask { try await group.run() }
            let app = storage.appender()
            for s in makeSamples(7) {
                try app.append(s.labels, timestampMs: s.sample.timestampMs, value: s.sample.value)
            }
            try await app.commit()
            await group.triggerGracefulShutdown()
            try await tg.waitForAll()
        }
        #expect(sender.delivered.flatMap(\.samples) == makeSamples(7))
    }

    @Test func stopDuringLongRetryAfterReturnsByTheDeadline() async throws {
        let sender = ScriptedSender { _ in
            SendResult(outcome: .recoverable(reason: "429", retryAfter: .seconds(60)), statusCode: 429)
        }
        let reg = PrometheusCollectorRegistry()
        let clock = ManualClock()
        let qm = QueueManager(
            config: fastConfig(url: "http://ra/", name: "ra"), client: sender, registry: reg, logger: testLogger,
            clock: clock)
        let stopAt = LockedBox(Duration.zero)
        try await whileDriving(clock) {
            try await withRunning(qm, flush: .milliseconds(300)) {
                await qm.enqueue(makeSamples(3))
                await sender.waitUntil { requests, _ in requests.count == 1 }
                stopAt.mutate { $0 = clock.now.offset }
            }
        }
        // The stop returned by its 300 ms deadline (at it when the shard was already waiting
        // out the Retry-After, at once when the wait would overrun it), not after the 60 s
        // Retry-After (measured on the queue's clock), and sent nothing more.
        #expect(clock.now.offset - stopAt.value < .seconds(60))
        #expect(sender.requests.count == 1)
        // Not delivered, not dropped: still in the WAL, position not advanced.
        #expect(metricSum(reg, "prometheus_remote_storage_samples_dropped_total") == 0)
        #expect(qm.ackedPosition < qm.wal.end)
    }
}
