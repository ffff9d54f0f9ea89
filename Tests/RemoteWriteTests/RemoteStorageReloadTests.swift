import AgentConfig
import PromModel
import Prometheus
import TestSupport
import Testing

@testable import RemoteWrite

/// Reloading `remote_write` (issue 7): unchanged endpoints keep their queue, changed ones are
/// rebuilt, removed ones stop, new ones start; samples committed after the reload reach the
/// endpoints of the new config.
@Suite struct RemoteStorageReloadTests {
    func commit(_ storage: RemoteStorage, _ name: String, _ ts: Int64) async throws {
        let app = storage.appender()
        try app.append(Labels(["__name__": name]), timestampMs: ts, value: 1)
        try await app.commit()
    }

    @Test func unchangedEndpointsKeepTheirQueues() async throws {
        let a = TestReceiver { _ in (204, [], "") }
        let b = TestReceiver { _ in (204, [], "") }
        let c = TestReceiver { _ in (204, [], "") }
        try await a.withServer { urlA in
            try await b.withServer { urlB in
                try await c.withServer { urlC in
                    let reg = PrometheusCollectorRegistry()
                    let keep = fastConfig(url: urlA, name: "keep")
                    let change = fastConfig(url: urlB, name: "change")
                    let clock = ManualClock()
                    let storage = try RemoteStorage(
                        configs: [keep, change], global: GlobalConfig(), registry: reg, logger: testLogger,
                        clock: clock)
                    let keptQueue = storage.queues[0]
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { try await storage.run() }
                        try await commit(storage, "before", 1)
                        // Batch deadlines pass on the manual clock; wait for the deliveries.
                        try await whileDriving(clock) {
                            for rx in [a, b] { await rx.waitUntil { $0.contains { $0.status == 204 } } }
                        }
                        var changed = change
                        changed.headers = ["X-Tenant": "t2"]
                        var global = GlobalConfig()
                        global.externalLabels = Labels(["cluster": "c1"])
                        let result = try await storage.apply(
                            configs: [keep, changed, fastConfig(url: urlC, name: "new")], global: global,
                            flushTimeout: .seconds(2))
                        #expect(
                            result
                                == RemoteWriteReloadResult(
                                    kept: ["keep"], started: ["change", "new"], stopped: ["change"]))
                        #expect(storage.queues[0] === keptQueue)
                        #expect(storage.queues.map(\.remoteName) == ["keep", "change", "new"])
                        try await commit(storage, "after", 2)
                        try await whileDriving(clock) {
                            for rx in [a, b, c] {
                                await rx.waitUntil {
                                    $0.contains { $0.body?.samples.first?.labels["__name__"] == "after" }
                                }
                            }
                        }
                        await storage.stop(within: .seconds(3))
                        try await group.waitForAll()
                    }
                }
            }
        }
        let after = Labels(["__name__": "after", "cluster": "c1"])
        #expect(a.deliveredSamples.map(\.labels) == [Labels(["__name__": "before"]), after])
        // The changed endpoint resumes from its saved position: nothing twice.
        #expect(b.deliveredSamples.map(\.labels) == [Labels(["__name__": "before"]), after])
        #expect(b.received.last?.headers["x-tenant"] == "t2")
        // A new endpoint starts at the end of the WAL.
        #expect(c.deliveredSamples.map(\.labels) == [after])
    }
}
