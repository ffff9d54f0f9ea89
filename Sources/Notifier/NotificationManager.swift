import AgentConfig
import Discovery
import Logging
import PromModel
import Prometheus
import Relabel
import ServiceLifecycle

/// Sends alerts to Alertmanagers, as Prometheus's `notifier.Manager`
/// (https://github.com/prometheus/prometheus/blob/main/notifier/manager.go).
///
/// The rule engine calls `send(_:)`; alerts get the external labels they lack and
/// `alerting.alert_relabel_configs`, then wait in a bounded queue (the oldest dropped when it
/// is full). `run()` discovers the Alertmanagers of every `alerting.alertmanagers` entry and
/// POSTs the queue in batches of at most `maxBatchSize` to all of them at once
/// (`/api/v2/alerts`). Nothing is retried: the rule engine sends active alerts again on its
/// resend delay. On graceful shutdown it stops accepting alerts and sends what is queued
/// within `drainTimeout`.
public final class NotificationManager: Service, Sendable {
    /// Alerts per POST (Prometheus `DefaultMaxBatchSize`).
    public static let maxBatchSize = 256
    /// `--alertmanager.notification-queue-capacity` default.
    public static let defaultQueueCapacity = 10000

    struct State {
        var queue: AlertQueue
        var externalLabels: Labels
        var alertRelabel: RelabelRules?
        var sets: [AlertmanagerSet]
        /// Discovered label sets by set name, from the newest discovery snapshot.
        var discovered: [String: [Labels]] = [:]
        var discoveredVersion: UInt64 = 0
        /// False once shutdown has started: `send` then drops.
        var accepting = true
        /// Set when graceful shutdown is first seen: sending stops by then (time on `timeline`).
        var shutdownDeadline: Duration?
        /// Clients of the sets a reload replaced, shut down by the send loop between batches
        /// (a batch may still be using them).
        var retired: [LazyHTTPClient] = []
    }

    let state: Locked<State>
    let metrics: NotifierMetrics
    let logger: Logger
    let discovery: DiscoveryManager
    let discoveryOptions: AlertmanagerDiscovery
    let drainOnShutdown: Bool
    let drainTimeout: Duration
    /// The injected clock (shutdown deadline, POST latency), read as time since `init`.
    let timeline: ClockTimeline
    /// Told about every batch once sent (its size, and whether every set took it).
    let onBatchSent: @Sendable (_ alerts: Int, _ delivered: Bool) -> Void
    /// One element whenever alerts were queued (or clients retired); at most one waits.
    let wake: AsyncStream<Void>
    let wakeUp: AsyncStream<Void>.Continuation

    /// - Parameters:
    ///   - config: `alerting:` (Alertmanager sets, `alert_relabel_configs`).
    ///   - externalLabels: `global.external_labels`, added to alerts that lack them.
    ///   - queueCapacity: `--alertmanager.notification-queue-capacity`.
    ///   - drainOnShutdown: `--alertmanager.drain-notification-queue-on-shutdown` (Prometheus
    ///     default true): send what is queued on graceful shutdown, else drop it.
    ///   - drainTimeout: the longest that last send takes; what is left is dropped.
    ///   - registry: where the `prometheus_notifications_*` and `prometheus_sd_*{name="notify"}`
    ///     metrics go.
    ///   - discovery: how Alertmanagers are discovered (`--discovery.dns.nameserver`, intervals).
    ///   - clock: what the drain deadline is measured on and POST latency timed by.
    /// - Throws: `NotifierConfigError` for a relabel rule that does not compile or TLS files
    ///   that cannot be loaded.
    public convenience init(
        config: AlertingConfig, externalLabels: Labels, queueCapacity: Int = defaultQueueCapacity,
        drainOnShutdown: Bool = true, drainTimeout: Duration = .seconds(10), registry: PrometheusCollectorRegistry,
        logger: Logger, discovery: AlertmanagerDiscovery = AlertmanagerDiscovery(),
        clock: any Clock<Duration> = ContinuousClock()
    ) throws(NotifierConfigError) {
        try self.init(
            config: config, externalLabels: externalLabels, queueCapacity: queueCapacity,
            drainOnShutdown: drainOnShutdown, drainTimeout: drainTimeout, registry: registry, logger: logger,
            discovery: discovery, clock: clock, onBatchSent: { _, _ in })
    }

    /// - Parameter onBatchSent: called after each batch (tests wait on it instead of polling
    ///   the metrics).
    init(
        config: AlertingConfig, externalLabels: Labels, queueCapacity: Int = defaultQueueCapacity,
        drainOnShutdown: Bool = true, drainTimeout: Duration = .seconds(10), registry: PrometheusCollectorRegistry,
        logger: Logger, discovery: AlertmanagerDiscovery = AlertmanagerDiscovery(),
        clock: any Clock<Duration> = ContinuousClock(),
        onBatchSent: @escaping @Sendable (_ alerts: Int, _ delivered: Bool) -> Void
    ) throws(NotifierConfigError) {
        let alertRelabel = try Self.compileAlertRelabel(config)
        let sets = try Self.buildSets(config)
        let metrics = NotifierMetrics(registry: registry)
        let state = Locked(
            State(
                queue: AlertQueue(capacity: queueCapacity), externalLabels: externalLabels,
                alertRelabel: alertRelabel, sets: sets))
        self.state = state
        self.metrics = metrics
        self.logger = logger
        self.discoveryOptions = discovery
        self.drainOnShutdown = drainOnShutdown
        self.drainTimeout = drainTimeout
        self.timeline = ClockTimeline(clock)
        self.onBatchSent = onBatchSent
        (wake, wakeUp) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.discovery = discovery.makeManager(
            config, metrics: DiscoveryMetrics(registry: registry, name: "notify"), logger: logger,
            onUpdate: { snapshot in Self.received(snapshot, state: state, metrics: metrics, logger: logger) })
        metrics.queueCapacity.set(to: Double(max(1, queueCapacity)))
        metrics.queueLength.set(to: 0)
        Self.resolveAll(state: state, metrics: metrics, logger: logger)
    }

    /// Queues alerts for sending, after external labels and `alert_relabel_configs`. Returns
    /// at once; when the queue is full the oldest alerts are dropped and counted in
    /// `prometheus_notifications_dropped_total`.
    public func send(_ alerts: [NotifierAlert]) {
        guard !alerts.isEmpty else { return }
        let (external, rules, accepting) = state.withLock { ($0.externalLabels, $0.alertRelabel, $0.accepting) }
        guard accepting else {
            metrics.dropped.increment(by: Double(alerts.count))
            logger.warning(
                "notification manager is shutting down, dropping alerts", metadata: ["count": "\(alerts.count)"])
            return
        }
        let relabeled = AlertRelabeling.apply(alerts, externalLabels: external, rules: rules)
        guard !relabeled.isEmpty else { return }
        let dropped = state.withLock { s in
            let n = s.queue.push(relabeled)
            metrics.queueLength.set(to: Double(s.queue.count))
            return n
        }
        if dropped > 0 {
            metrics.dropped.increment(by: Double(dropped))
            logger.warning("alert notification queue full, dropping alerts", metadata: ["num_dropped": "\(dropped)"])
        }
        wakeUp.yield()
    }

    /// The URLs of the active Alertmanagers and of those `relabel_configs` dropped, over all
    /// sets in config order (`/api/v1/alertmanagers`).
    public func alertmanagers() -> (active: [String], dropped: [String]) {
        state.withLock { s in (s.sets.flatMap { $0.active.map(\.url) }, s.sets.flatMap { $0.dropped.map(\.url) }) }
    }

    /// Alerts waiting to be sent.
    public var queueLength: Int { state.withLock { $0.queue.count } }

    /// Runs Alertmanager discovery and the send loop until graceful shutdown (or
    /// cancellation), then sends what is queued within `drainTimeout` and shuts its HTTP
    /// clients down.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await self.discovery.run() }
            group.addTask { await self.sendLoop() }
        }
        let clients = state.withLock { s in
            defer { s.retired = [] }
            return s.retired + s.sets.map(\.client)
        }
        for client in clients { await client.shutdown() }
        logger.info("notification manager stopped")
    }

    /// Reload (Prometheus `ApplyConfig`): new external labels, rules and Alertmanager sets.
    /// Discoverers whose config did not change keep running with what they know; a set
    /// whose discovery changed starts from its static Alertmanagers until its discoverers
    /// answer (this waits up to `AlertmanagerDiscovery.initialWait` for them).
    /// - Throws: `NotifierConfigError`; the running configuration is then left as it was.
    public func apply(config: AlertingConfig, externalLabels: Labels) async throws(NotifierConfigError) {
        let alertRelabel = try Self.compileAlertRelabel(config)
        let sets = try Self.buildSets(config)
        state.withLock { s in
            let oldJobs = Dictionary(uniqueKeysWithValues: s.sets.map { ($0.name, $0.discoveryJob) })
            for set in sets where oldJobs[set.name] != set.discoveryJob { s.discovered[set.name] = nil }
            s.retired += s.sets.map(\.client)
            s.sets = sets
            s.externalLabels = externalLabels
            s.alertRelabel = alertRelabel
        }
        Self.resolveAll(state: state, metrics: metrics, logger: logger)
        let snapshot = await discovery.apply(
            AlertmanagerDiscovery.jobs(config), initialWait: discoveryOptions.initialWait)
        Self.received(snapshot, state: state, metrics: metrics, logger: logger)
        wakeUp.yield()
    }

    static func compileAlertRelabel(_ config: AlertingConfig) throws(NotifierConfigError) -> RelabelRules? {
        try RuleCompiler.compile(config.alertRelabelConfigs, keyPath: "alerting.alert_relabel_configs")
    }

    /// The sets of `config`, each with a new HTTP client (TLS files are read again on reload,
    /// as Prometheus does).
    static func buildSets(_ config: AlertingConfig) throws(NotifierConfigError) -> [AlertmanagerSet] {
        var sets: [AlertmanagerSet] = []
        for (i, am) in config.alertmanagers.enumerated() { sets.append(try AlertmanagerSet(index: i, config: am)) }
        return sets
    }

    /// A discovery snapshot: newer than the last one seen, it replaces the discovered
    /// Alertmanagers.
    static func received(_ snapshot: DiscoveredTargets, state: Locked<State>, metrics: NotifierMetrics, logger: Logger)
    {
        let newer = state.withLock { s in
            guard snapshot.version > s.discoveredVersion else { return false }
            s.discoveredVersion = snapshot.version
            s.discovered = snapshot.byJob
            return true
        }
        if newer { resolveAll(state: state, metrics: metrics, logger: logger) }
    }

    static func resolveAll(state: Locked<State>, metrics: NotifierMetrics, logger: Logger) {
        state.withLock { s in
            for i in s.sets.indices {
                s.sets[i].resolve(discovered: s.discovered[s.sets[i].name] ?? [], logger: logger)
            }
            metrics.alertmanagersDiscovered.set(to: Double(s.sets.reduce(0) { $0 + $1.active.count }))
        }
    }
}
