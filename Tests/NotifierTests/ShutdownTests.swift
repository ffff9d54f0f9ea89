import AgentConfig
import PromModel
import Prometheus
import ServiceLifecycle
import TestSupport
import Testing

@testable import Notifier

@Suite(.timeLimit(.minutes(1))) struct ShutdownTests {
    @Test func gracefulShutdownSendsWhatIsQueuedThenRefuses() async throws {
        let sink = AlertSink()
        let registry = PrometheusCollectorRegistry()
        try await sink.run { address in
            let m = try NotificationManager(
                config: alerting([staticSet([address])]), externalLabels: Labels(), registry: registry,
                logger: quietLogger)
            m.send(makeAlerts(300))
            try await withRunning(m) {}  // shut down at once
            #expect(sink.delivered.count == 300)
            #expect(metric(registry, "prometheus_notifications_dropped_total") == 0)
            m.send(makeAlerts(1))
            #expect(metric(registry, "prometheus_notifications_dropped_total") == 1)
            #expect(m.queueLength == 0)
        }
    }

    /// An Alertmanager that never answers holds shutdown for `drainTimeout` (on the manager's
    /// clock), not for its 60 s `timeout`; what was not sent is counted as dropped.
    @Test func shutdownIsBoundedByTheDrainTimeout() async throws {
        let hole = try BlackHole()
        defer { hole.close() }
        let registry = PrometheusCollectorRegistry()
        let clock = ManualClock()
        let m = try NotificationManager(
            config: alerting([staticSet(["127.0.0.1:\(hole.port)"], timeout: .seconds(60))]),
            externalLabels: Labels(), drainTimeout: .seconds(10), registry: registry, logger: quietLogger,
            clock: clock)
        m.send(makeAlerts(300))
        let group = ServiceGroup(services: [m], gracefulShutdownSignals: [], logger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { tg in
            tg.addTask { try await group.run() }
            await group.triggerGracefulShutdown()
            // A batch in flight or the drain: either waits for the deadline on the clock.
            await clock.sleepers(atLeast: 1)
            clock.advance(by: .milliseconds(9999))
            #expect(clock.sleeperCount == 1, "shutdown waits until drainTimeout has passed")
            clock.advance(by: .milliseconds(1))
            try await tg.waitForAll()
        }
        #expect(metric(registry, "prometheus_notifications_dropped_total") == 300)
        #expect(metric(registry, "prometheus_notifications_queue_length") == 0)
    }

    @Test func withoutDrainingTheQueueIsDropped() async throws {
        let hole = try BlackHole()
        defer { hole.close() }
        let registry = PrometheusCollectorRegistry()
        let m = try NotificationManager(
            config: alerting([staticSet(["127.0.0.1:\(hole.port)"], timeout: .seconds(60))]),
            externalLabels: Labels(), drainOnShutdown: false, drainTimeout: .milliseconds(200), registry: registry,
            logger: quietLogger)
        m.send(makeAlerts(600))
        try await withRunning(m) {}
        // The first batch may have been in flight (cut at the deadline); the rest never sent.
        #expect(metric(registry, "prometheus_notifications_dropped_total") == 600)
    }
}
