import AgentConfig
import Foundation
import PromModel
import Prometheus
import TestSupport
import Testing

@testable import Notifier

@Suite(.timeLimit(.minutes(1))) struct SendingTests {
    private func manager(
        _ config: AlertingConfig, external: Labels = Labels(), capacity: Int = 10000, drain: Bool = true,
        drainTimeout: Duration = .seconds(10), registry: PrometheusCollectorRegistry,
        batches: EventLog<BatchOutcome> = EventLog()
    ) throws -> NotificationManager {
        try observedManager(
            config, externalLabels: external, queueCapacity: capacity, drain: drain, drainTimeout: drainTimeout,
            registry: registry, discovery: AlertmanagerDiscovery(updateInterval: .milliseconds(50)), batches: batches)
    }

    @Test func queuedAlertsGoOutInBatchesOf256() async throws {
        let sink = AlertSink()
        let registry = PrometheusCollectorRegistry()
        try await sink.run { address in
            let m = try manager(alerting([staticSet([address])]), registry: registry)
            m.send(makeAlerts(600))
            #expect(metric(registry, "prometheus_notifications_queue_length") == 600)
            try await withRunning(m) {
                await sink.waitDelivered(600)
            }
            let url = "http://\(address)/api/v2/alerts"
            #expect(sink.requests.map(\.alerts.count) == [256, 256, 88])
            #expect(sink.delivered.map { $0.labels["i"]! } == (0..<600).map(String.init))
            #expect(sink.requests.first?.headers["content-type"] == "application/json")
            #expect(sink.requests.first?.headers["user-agent"]?.hasPrefix("promsls/") == true)
            #expect(metric(registry, "prometheus_notifications_sent_total", "alertmanager=\"\(url)\"") == 600)
            #expect(metric(registry, "prometheus_notifications_errors_total") == 0)
            #expect(metric(registry, "prometheus_notifications_dropped_total") == 0)
            #expect(metric(registry, "prometheus_notifications_queue_length") == 0)
            #expect(metric(registry, "prometheus_notifications_queue_capacity") == 10000)
            #expect(metric(registry, "prometheus_notifications_alertmanagers_discovered") == 1)
            #expect(metric(registry, "prometheus_notifications_latency_seconds_count", "alertmanager=\"\(url)\"") == 3)
        }
    }

    /// External labels and the global `alert_relabel_configs` apply to every set; a set's own
    /// `alert_relabel_configs` only to what that set receives.
    @Test func externalLabelsGlobalAndPerSetRelabeling() async throws {
        let plain = AlertSink()
        let tagged = AlertSink()
        let registry = PrometheusCollectorRegistry()
        try await plain.run { plainAddress in
            try await tagged.run { taggedAddress in
                var second = staticSet([taggedAddress])
                second.alertRelabelConfigs = [
                    rule("replace", target: "team", replacement: "ops"),
                    rule("drop", source: ["i"], regex: "1"),
                ]
                let config = alerting(
                    [staticSet([plainAddress]), second], alertRelabel: [rule("drop", source: ["i"], regex: "2")])
                let m = try manager(config, external: Labels(["cluster": "c1", "i": "ext"]), registry: registry)
                m.send(makeAlerts(3))
                try await withRunning(m) {
                    await plain.waitDelivered(2)
                    await tagged.waitDelivered(1)
                }
            }
        }
        #expect(
            plain.delivered.map(\.labels) == [
                ["alertname": "Test", "cluster": "c1", "i": "0"], ["alertname": "Test", "cluster": "c1", "i": "1"],
            ])
        #expect(tagged.delivered.map(\.labels) == [["alertname": "Test", "cluster": "c1", "i": "0", "team": "ops"]])
        #expect(plain.delivered.first?.annotations == ["summary": "alert 0"])
        #expect(metric(registry, "prometheus_notifications_dropped_total") == 0)
    }

    /// Each set talks with its own HTTP client settings (the shared `ConfiguredHTTPClient`).
    @Test func setsSendTheirOwnAuthorization() async throws {
        let basic = AlertSink()
        let bearer = AlertSink()
        try await basic.run { first in
            try await bearer.run { second in
                var a = staticSet([first])
                a.httpClient.basicAuth = BasicAuth(username: "am", password: Secret("s3cret"))
                var b = staticSet([second])
                b.httpClient.authorization = Authorization(credentials: Secret("token-1"))
                let m = try manager(alerting([a, b]), registry: PrometheusCollectorRegistry())
                m.send(makeAlerts(1))
                try await withRunning(m) {
                    await basic.waitRequests(1)
                    await bearer.waitRequests(1)
                }
            }
        }
        #expect(basic.requests.first?.headers["authorization"] == "Basic YW06czNjcmV0")
        #expect(bearer.requests.first?.headers["authorization"] == "Bearer token-1")
    }

    /// A batch counts as sent when one Alertmanager of each set took it; every failed POST is
    /// counted against its Alertmanager.
    @Test func failuresAreCountedPerAlertmanagerAndDropsPerSet() async throws {
        let failing = AlertSink(status: { _ in 503 })
        let working = AlertSink()
        let registry = PrometheusCollectorRegistry()
        try await failing.run { bad in
            try await working.run { good in
                let m = try manager(alerting([staticSet([bad, good])]), registry: registry)
                m.send(makeAlerts(5))
                try await withRunning(m) {
                    await failing.waitRequests(1)
                    await working.waitRequests(1)
                }
                let badURL = "alertmanager=\"http://\(bad)/api/v2/alerts\""
                let goodURL = "alertmanager=\"http://\(good)/api/v2/alerts\""
                #expect(metric(registry, "prometheus_notifications_errors_total", badURL) == 5)
                #expect(metric(registry, "prometheus_notifications_errors_total", goodURL) == 0)
                #expect(metric(registry, "prometheus_notifications_sent_total", badURL) == 5)
                #expect(metric(registry, "prometheus_notifications_sent_total", goodURL) == 5)
                #expect(metric(registry, "prometheus_notifications_dropped_total") == 0)

                // Now a second set whose only Alertmanager fails: the batch is dropped.
                let registry2 = PrometheusCollectorRegistry()
                let batches = EventLog<BatchOutcome>()
                let m2 = try manager(
                    alerting([staticSet([good]), staticSet([bad])]), registry: registry2, batches: batches)
                m2.send(makeAlerts(4))
                try await withRunning(m2) {
                    #expect(await batches.wait(count: 1) == [BatchOutcome(alerts: 4, delivered: false)])
                    #expect(metric(registry2, "prometheus_notifications_errors_total") == 4)
                }
                #expect(metric(registry2, "prometheus_notifications_dropped_total") == 4)
                #expect(working.delivered.count == 9)
            }
        }
    }

    /// Nothing listens: the POST fails, is counted, and the manager goes on sending.
    @Test func unreachableAlertmanagerIsCountedAndTheLoopGoesOn() async throws {
        let closed = try BlackHole.closedPort()
        let registry = PrometheusCollectorRegistry()
        let batches = EventLog<BatchOutcome>()
        let m = try manager(alerting([staticSet(["127.0.0.1:\(closed)"])]), registry: registry, batches: batches)
        try await withRunning(m) {
            m.send(makeAlerts(2))
            await batches.wait(count: 1)
            #expect(metric(registry, "prometheus_notifications_dropped_total") == 2)
            m.send(makeAlerts(3, from: 2))
            let done = await batches.wait(count: 2)
            #expect(done == [BatchOutcome(alerts: 2, delivered: false), BatchOutcome(alerts: 3, delivered: false)])
            #expect(metric(registry, "prometheus_notifications_dropped_total") == 5)
        }
        #expect(metric(registry, "prometheus_notifications_errors_total") == 5)
        #expect(m.alertmanagers().active == ["http://127.0.0.1:\(closed)/api/v2/alerts"])
    }

    /// A set without any Alertmanager (all dropped by relabel_configs) cannot take the batch:
    /// counted as dropped (Prometheus 2), not lost silently (Prometheus 3).
    @Test func setWithoutAlertmanagersDropsTheBatch() async throws {
        var set = staticSet(["a:9093"])
        set.relabelConfigs = [rule("drop", source: ["__address__"], regex: "a:.*")]
        var skipping = staticSet(["b:9093"])  // its own rules drop every alert: not counted
        skipping.relabelConfigs = set.relabelConfigs
        skipping.alertRelabelConfigs = [rule("drop", source: ["alertname"], regex: "Test")]
        let registry = PrometheusCollectorRegistry()
        let batches = EventLog<BatchOutcome>()
        let m = try manager(alerting([set]), registry: registry, batches: batches)
        let m2 = try manager(alerting([skipping]), registry: registry)
        #expect(m.alertmanagers().active.isEmpty)
        try await withRunning(m) {
            m.send(makeAlerts(3))
            #expect(await batches.wait(count: 1) == [BatchOutcome(alerts: 3, delivered: false)])
            #expect(metric(registry, "prometheus_notifications_dropped_total") == 3)
        }
        try await withRunning(m2) { m2.send(makeAlerts(2)) }
        #expect(m2.queueLength == 0)
        #expect(metric(registry, "prometheus_notifications_dropped_total") == 3)
    }

    @Test func fullQueueDropsTheOldestAndCountsThem() throws {
        let registry = PrometheusCollectorRegistry()
        let m = try manager(alerting([staticSet(["127.0.0.1:1"])]), capacity: 10, registry: registry)
        m.send(makeAlerts(8))
        m.send(makeAlerts(5, from: 8))
        #expect(metric(registry, "prometheus_notifications_dropped_total") == 3)
        m.send(makeAlerts(25, from: 13))
        #expect(metric(registry, "prometheus_notifications_dropped_total") == 28)
        #expect(metric(registry, "prometheus_notifications_queue_length") == 10)
        #expect(metric(registry, "prometheus_notifications_queue_capacity") == 10)
        #expect(m.queueLength == 10)
    }

    @Test func alertmanagersListsActiveAndDroppedAtOnce() throws {
        var set = staticSet(["a:9093", "b:9093"], pathPrefix: "/am")
        set.scheme = "https"
        set.relabelConfigs = [rule("drop", source: ["__address__"], regex: "b:.*")]
        let registry = PrometheusCollectorRegistry()
        let m = try manager(alerting([set, staticSet(["c:9093"])]), registry: registry)
        let ams = m.alertmanagers()
        #expect(ams.active == ["https://a:9093/am/api/v2/alerts", "http://c:9093/api/v2/alerts"])
        #expect(ams.dropped == ["https://b:9093/am/api/v2/alerts"])
        #expect(metric(registry, "prometheus_notifications_alertmanagers_discovered") == 2)
    }

    @Test func badTLSFileIsAConfigError() {
        var set = staticSet(["a:9093"])
        set.httpClient.tlsConfig.caFile = "/nonexistent/ca.pem"
        #expect(throws: NotifierConfigError.self) {
            _ = try manager(alerting([staticSet(["b:1"]), set]), registry: PrometheusCollectorRegistry())
        }
    }

    /// Reload: new sets and external labels take over; the old Alertmanager gets nothing more.
    @Test func applySwitchesAlertmanagersAndLabels() async throws {
        let before = AlertSink()
        let after = AlertSink()
        let registry = PrometheusCollectorRegistry()
        try await before.run { first in
            try await after.run { second in
                let m = try manager(alerting([staticSet([first])]), external: Labels(["v": "1"]), registry: registry)
                try await withRunning(m) {
                    m.send(makeAlerts(1))
                    await before.waitDelivered(1)
                    try await m.apply(config: alerting([staticSet([second])]), externalLabels: Labels(["v": "2"]))
                    #expect(m.alertmanagers().active == ["http://\(second)/api/v2/alerts"])
                    m.send(makeAlerts(1, from: 1))
                    await after.waitDelivered(1)
                }
            }
        }
        #expect(before.delivered.map(\.labels) == [["alertname": "Test", "i": "0", "v": "1"]])
        #expect(after.delivered.map(\.labels) == [["alertname": "Test", "i": "1", "v": "2"]])
        #expect(metric(registry, "prometheus_notifications_alertmanagers_discovered") == 1)
    }

    @Test func failedReloadKeepsTheRunningConfig() async throws {
        let m = try manager(alerting([staticSet(["a:1"])]), registry: PrometheusCollectorRegistry())
        var bad = staticSet(["b:1"])
        bad.relabelConfigs = [rule("hashmod", source: ["__address__"], target: "x")]  // no modulus
        await #expect(throws: NotifierConfigError.self) {
            try await m.apply(config: alerting([bad]), externalLabels: Labels())
        }
        #expect(m.alertmanagers().active == ["http://a:1/api/v2/alerts"])
    }
}
