import AgentConfig
import Discovery
import Foundation
import PromModel
import Prometheus
import TestSupport
import Testing

@testable import Notifier

/// Alerts sent through the notifier to a real Alertmanager and read back from its API.
@Suite(.offThePool, .timeLimit(.minutes(2))) struct AlertmanagerIntegrationTests {
    /// Active alerts (endsAt in the future, so the Alertmanager lists them).
    private func liveAlerts(_ names: [String]) -> [NotifierAlert] {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return names.enumerated().map { i, name in
            NotifierAlert(
                labels: Labels(["alertname": name, "severity": i == 0 ? "page" : "ticket"]),
                annotations: Labels(["summary": "\(name) is firing", "description": "value 0.93 > 0.9"]),
                startsAt: now - 60_000 - Int64(i) * 1_001, endsAt: now + 3_600_000,
                generatorURL: "http://promsls:9090/graph?g0.expr=up")
        }
    }

    private func check(_ held: [PostedAlert], against sent: [NotifierAlert], extra: [String: String] = [:]) {
        let byName = Dictionary(uniqueKeysWithValues: held.map { ($0.labels["alertname"] ?? "", $0) })
        for a in sent {
            let name = a.labels["alertname"]!
            guard let got = byName[name] else {
                Issue.record("\(name) did not reach the Alertmanager; it holds \(held)")
                continue
            }
            var labels = Dictionary(uniqueKeysWithValues: a.labels.map { ($0.name, $0.value) })
            labels.merge(extra) { own, _ in own }
            #expect(got.labels == labels)
            #expect(got.annotations == Dictionary(uniqueKeysWithValues: a.annotations.map { ($0.name, $0.value) }))
            #expect(epochMs(got.startsAt) == a.startsAt)
            #expect(epochMs(got.endsAt) == a.endsAt)
            #expect(got.generatorURL == a.generatorURL)
        }
    }

    @Test func staticAlertmanagerReceivesLabelsAnnotationsAndTimes() async throws {
        let am = try await AlertmanagerPeer.start()
        defer { am.stop() }
        let registry = PrometheusCollectorRegistry()
        let batches = EventLog<BatchOutcome>()
        let m = try observedManager(
            alerting([staticSet([am.address])]), externalLabels: Labels(["cluster": "eu-1"]), registry: registry,
            batches: batches)
        let sent = liveAlerts(["DiskFull", "HighLatency"])
        try await withRunning(m) {
            m.send(sent)
            // The Alertmanager stores alerts before it answers the POST.
            #expect(await batches.wait(count: 1) == [BatchOutcome(alerts: 2, delivered: true)])
            let held = try await am.alerts()
            #expect(held.count == 2)
            check(held, against: sent, extra: ["cluster": "eu-1"])
        }
        let url = "alertmanager=\"http://\(am.address)/api/v2/alerts\""
        #expect(metric(registry, "prometheus_notifications_sent_total", url) == 2)
        #expect(metric(registry, "prometheus_notifications_errors_total") == 0)
        #expect(metric(registry, "prometheus_notifications_dropped_total") == 0)
    }

    /// A file_sd Alertmanager set behind a route prefix: discovered, relabeled (the port comes
    /// from a file label), reached at `path_prefix`.
    @Test func fileSDAlertmanagerWithPathPrefix() async throws {
        let am = try await AlertmanagerPeer.start(routePrefix: "/am")
        defer { am.stop() }
        let dir = NSTemporaryDirectory() + "promsls-notifier-sd-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/alertmanagers.json"
        try #"[{"targets":["127.0.0.1"],"labels":{"am_port":"\#(am.port)"}}]"#.write(
            toFile: file, atomically: true, encoding: .utf8)
        var set = AlertmanagerConfig()
        set.pathPrefix = "/am/"
        set.fileSDConfigs = [FileSDConfig(files: [file])]
        set.relabelConfigs = [
            rule(
                "replace", source: ["__address__", "am_port"], regex: "(.+);(.+)", target: "__address__",
                replacement: "$1:$2")
        ]
        let registry = PrometheusCollectorRegistry()
        let batches = EventLog<BatchOutcome>()
        // Discovery on a manual clock: the file is read at start, the update goes out at the
        // first tick of the update interval.
        let clock = ManualClock()
        let m = try observedManager(
            alerting([set]), registry: registry,
            discovery: AlertmanagerDiscovery(
                filePollInterval: .seconds(10), updateInterval: .seconds(1), clock: clock),
            batches: batches)
        #expect(m.alertmanagers().active.isEmpty)
        let sent = liveAlerts(["FromFileSD"])
        try await withRunning(m) {
            await clock.sleepers(atLeast: 2)  // the file was read and sent; the update tick waits
            #expect(m.alertmanagers().active.isEmpty)
            clock.advance(by: .seconds(1))
            await clock.sleepsStarted(atLeast: 3)  // the tick handed the update over
            #expect(m.alertmanagers().active == ["http://\(am.address)/am/api/v2/alerts"])
            #expect(metric(registry, "prometheus_notifications_alertmanagers_discovered") == 1)
            #expect(metric(registry, "prometheus_sd_discovered_targets", "config=\"config-0\",name=\"notify\"") == 1)
            m.send(sent)
            #expect(await batches.wait(count: 1) == [BatchOutcome(alerts: 1, delivered: true)])
            let held = try await am.alerts()
            #expect(held.count == 1)
            check(held, against: sent)
        }
    }

    /// The Alertmanager is down: the batch fails, is counted and not retried; the manager goes
    /// on, and the next alert reaches the Alertmanager once it is up.
    @Test func alertmanagerDownThenUp() async throws {
        let port = try BlackHole.closedPort()
        let registry = PrometheusCollectorRegistry()
        let batches = EventLog<BatchOutcome>()
        let m = try observedManager(
            alerting([staticSet(["127.0.0.1:\(port)"])]), registry: registry, batches: batches)
        let url = "alertmanager=\"http://127.0.0.1:\(port)/api/v2/alerts\""
        try await withRunning(m) {
            m.send(liveAlerts(["WhileDown"]))
            #expect(await batches.wait(count: 1) == [BatchOutcome(alerts: 1, delivered: false)])
            #expect(metric(registry, "prometheus_notifications_dropped_total") == 1)
            #expect(metric(registry, "prometheus_notifications_errors_total", url) == 1)
            let am = try await AlertmanagerPeer.start(port: port)
            defer { am.stop() }
            m.send(liveAlerts(["AfterRecovery"]))
            #expect(await batches.wait(count: 2).last == BatchOutcome(alerts: 1, delivered: true))
            let held = try await am.alerts()
            #expect(held.map { $0.labels["alertname"] } == ["AfterRecovery"])
            #expect(metric(registry, "prometheus_notifications_sent_total", url) == 2)
            #expect(metric(registry, "prometheus_notifications_errors_total", url) == 1)
        }
    }
}
