import AgentConfig
import Foundation
import Hummingbird
import Logging
import PromModel
import Prometheus
import ServiceLifecycle
import TestSupport

@testable import Notifier

let quietLogger: Logger = {
    var l = Logger(label: "notifier-test")
    l.logLevel = .critical
    return l
}()

/// A failure of the test machinery (a missing peer, a timeout).
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One alert of a JSON body, as an Alertmanager reads it.
struct PostedAlert: Equatable, CustomStringConvertible {
    var labels: [String: String]
    var annotations: [String: String]
    var startsAt: String?
    var endsAt: String?
    var generatorURL: String?

    var description: String { "\(labels)" }

    /// Parses a `PostableAlerts` body (or `GET /api/v2/alerts`' answer: extra keys ignored).
    static func parse(_ body: [UInt8]) throws -> [PostedAlert] {
        guard let list = try JSONSerialization.jsonObject(with: Data(body)) as? [[String: Any]] else {
            throw TestFailure("not a JSON array: \(String(decoding: body, as: UTF8.self).prefix(300))")
        }
        return list.map { o in
            PostedAlert(
                labels: o["labels"] as? [String: String] ?? [:],
                annotations: o["annotations"] as? [String: String] ?? [:],
                startsAt: o["startsAt"] as? String, endsAt: o["endsAt"] as? String,
                generatorURL: o["generatorURL"] as? String)
        }
    }
}

/// An in-process Alertmanager stand-in on 127.0.0.1: records every POST to
/// `/api/v2/alerts` and answers with `status` (a function of the request number).
final class AlertSink: @unchecked Sendable {
    struct Request {
        var headers: [String: String]
        var alerts: [PostedAlert]
        var status: Int
    }

    private let lock = NSLockLite()
    /// Every request, once answered, in arrival order.
    let log = EventLog<Request>()
    let status: @Sendable (Int) -> Int

    init(status: @escaping @Sendable (Int) -> Int = { _ in 200 }) { self.status = status }

    var requests: [Request] { log.events }
    /// Alerts of the requests answered 2xx.
    var delivered: [PostedAlert] { Self.delivered(requests) }

    static func delivered(_ requests: [Request]) -> [PostedAlert] {
        requests.filter { (200..<300).contains($0.status) }.flatMap(\.alerts)
    }

    /// Returns once `n` alerts have been answered 2xx.
    func waitDelivered(_ n: Int) async { await log.wait { Self.delivered($0).count >= n } }

    /// Returns once `n` requests have been answered.
    func waitRequests(_ n: Int) async { await log.wait(count: n) }

    /// Runs the sink while `body` runs; `body` gets its `host:port`.
    func run<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/api/v2/alerts") { request, _ -> Response in
            var headers: [String: String] = [:]
            for f in request.headers { headers[f.name.canonicalName.lowercased()] = f.value }
            let buf = try await request.body.collect(upTo: 16 << 20)
            let alerts = (try? PostedAlert.parse(Array(buffer: buf))) ?? []
            let status = self.lock.withLock {
                let s = self.status(self.log.count)
                self.log.append(Request(headers: headers, alerts: alerts, status: s))
                return s
            }
            let text =
                (200..<300).contains(status) ? "" : "{\"code\":\(status),\"message\":\"refused by the test sink\"}"
            return Response(status: .init(code: status), body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let listening = EventLog<Int>()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { ch in listening.append(ch.localAddress?.port ?? 0) }, logger: quietLogger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await app.runService(gracefulShutdownSignals: [])
                return nil
            }
            let p = await listening.wait(count: 1)[0]
            let result = try await body("127.0.0.1:\(p)")
            group.cancelAll()
            return result
        }
    }
}

/// What a notification manager did with one batch: its size, and whether every set took it.
struct BatchOutcome: Sendable, Equatable {
    var alerts: Int
    var delivered: Bool
}

/// A notification manager that reports each batch it finished to `batches`, so a test waits
/// for "the batch is done" (metrics counted) instead of polling the metrics.
func observedManager(
    _ config: AlertingConfig, externalLabels: Labels = Labels(), queueCapacity: Int = 10000, drain: Bool = true,
    drainTimeout: Duration = .seconds(10), registry: PrometheusCollectorRegistry,
    discovery: AlertmanagerDiscovery = AlertmanagerDiscovery(), clock: any Clock<Duration> = ContinuousClock(),
    batches: EventLog<BatchOutcome>
) throws -> NotificationManager {
    try NotificationManager(
        config: config, externalLabels: externalLabels, queueCapacity: queueCapacity, drainOnShutdown: drain,
        drainTimeout: drainTimeout, registry: registry, logger: quietLogger, discovery: discovery, clock: clock,
        onBatchSent: { batches.append(BatchOutcome(alerts: $0, delivered: $1)) })
}

/// Runs `manager` in a service group while `body` runs, then shuts it down gracefully and
/// waits for it.
func withRunning<T: Sendable>(_ manager: NotificationManager, _ body: () async throws -> T) async throws -> T {
    let group = ServiceGroup(services: [manager], gracefulShutdownSignals: [], logger: quietLogger)
    return try await withThrowingTaskGroup(of: Void.self) { tg in
        tg.addTask { try await group.run() }
        do {
            let result = try await body()
            await group.triggerGracefulShutdown()
            try await tg.waitForAll()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            try? await tg.waitForAll()
            throw error
        }
    }
}

/// The value of the series `name{labels}` (labels as written, e.g. `alertmanager="…"`), or
/// the sum over a family's series when `labels` is nil; 0 when absent.
func metric(_ registry: PrometheusCollectorRegistry, _ name: String, _ labels: String? = nil) -> Double {
    var perJob: [UInt8] = []
    LabeledFamilies.attached(to: registry).emit(into: &perJob)
    let text = registry.emitToString() + String(decoding: perJob, as: UTF8.self)
    var total = 0.0
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        let key = line.split(separator: " ").dropLast().joined(separator: " ")
        let matches = labels.map { key == "\(name){\($0)}" } ?? (key == name || key.hasPrefix(name + "{"))
        if matches, let v = line.split(separator: " ").last.flatMap({ Double($0) }) { total += v }
    }
    return total
}

/// An `alerting.alertmanagers` entry with static targets.
func staticSet(_ targets: [String], pathPrefix: String = "/", timeout: Duration = .seconds(5)) -> AlertmanagerConfig {
    var c = AlertmanagerConfig()
    c.staticConfigs = [StaticConfig(targets: targets)]
    c.pathPrefix = pathPrefix
    c.timeout = timeout
    return c
}

func alerting(_ sets: [AlertmanagerConfig], alertRelabel: [RelabelRuleConfig] = []) -> AlertingConfig {
    var a = AlertingConfig()
    a.alertmanagers = sets
    a.alertRelabelConfigs = alertRelabel
    return a
}

func rule(
    _ action: String, source: [String] = [], regex: String = "(.*)", target: String = "", replacement: String = "$1"
) -> RelabelRuleConfig {
    var r = RelabelRuleConfig()
    r.action = action
    r.sourceLabels = source
    r.regex = regex
    r.targetLabel = target
    r.replacement = replacement
    return r
}

/// `n` alerts named `name`, `i` numbering them, starting at 2026-01-02T03:04:05.006Z.
func makeAlerts(_ n: Int, name: String = "Test", from: Int = 0) -> [NotifierAlert] {
    (from..<from + n).map { i in
        NotifierAlert(
            labels: Labels(["alertname": name, "i": "\(i)"]), annotations: Labels(["summary": "alert \(i)"]),
            startsAt: 1_767_323_045_006, generatorURL: "http://promsls/graph?g0.expr=up")
    }
}
