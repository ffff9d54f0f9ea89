import AgentConfig
import PromModel
import Prometheus
import Testing

@testable import Notifier

@Suite struct ShutdownTests {
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

    /// An Alertmanager that never answers holds shutdown for `drainTimeout`, not for its
    /// 60 s `timeout`; what was not sent is counted as dropped.
    @Test func shutdownIsBoundedByTheDrainTimeout() async throws {
        let hole = try BlackHole()
        defer { hole.close() }
        let registry = PrometheusCollectorRegistry()
        let m = try NotificationManager(
            config: alerting([staticSet(["127.0.0.1:\(hole.port)"], timeout: .seconds(60))]),
            externalLabels: Labels(), drainTimeout: .milliseconds(300), registry: registry, logger: quietLogger)
        m.send(makeAlerts(300))
        let start = ContinuousClock.now
        try await withRunning(m) {}
        // Half the Alertmanager's 60 s timeout: a shutdown that waited for the request would take
        // 60 s. (A 10 s bound was missed in a CI run whose test pool was starved for seconds.)
        #expect(ContinuousClock.now - start < .seconds(30))
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
