import Logging
import PromModel
import ServiceLifecycle
import Synchronization

/// Runs every rule group of the config (Prometheus `rules.Manager`): one task per group, groups
/// replaced on reload with their alerts' state and last series carried over (rules matched by
/// name and labels), series of removed rules marked stale.
public final class RuleManager: Service, Sendable {
    /// Makes the query client for a target (the executable adds SLS credentials).
    public typealias ClientFactory = @Sendable (QueryTarget) throws -> any QueryClient

    let storage: any Appendable
    let notify: @Sendable ([OutgoingAlert]) -> Void
    let metrics: RuleMetrics
    let logger: Logger
    let makeClient: ClientFactory
    private let state = Mutex(State())

    struct State: Sendable {
        var groups: [String: RuleGroup] = [:]
        var order: [String] = []
        var tasks: [String: Task<Void, Never>] = [:]
        var running = false
        var stopped = false
        var target: Result<QueryTarget, NoQueryTarget>?
        var client: Result<any QueryClient, NoQueryTarget> = .failure(NoQueryTarget(reason: "not configured yet"))
        var options = RuleOptions()
        /// The first load restores alerts' `for` state; reloads do not.
        var loadedOnce = false
    }

    public init(
        storage: any Appendable, notify: @escaping @Sendable ([OutgoingAlert]) -> Void, metrics: RuleMetrics,
        logger: Logger, makeClient: @escaping ClientFactory
    ) {
        self.storage = storage
        self.notify = notify
        self.metrics = metrics
        self.logger = logger
        self.makeClient = makeClient
    }

    /// Installs the groups of a (re)loaded config. Unchanged groups keep running; changed ones
    /// are replaced and take over their predecessor's alerts and series.
    /// - Throws: `TemplateError` when an alerting template does not parse (the loader checks
    ///   them, so only hand-built groups get here); nothing is changed then.
    public func apply(
        groups definitions: [RuleGroupDefinition], query target: Result<QueryTarget, NoQueryTarget>,
        options: RuleOptions
    ) async throws(TemplateError) {
        let (oldTarget, oldClient, oldOptions, first) = state.withLock {
            ($0.target, $0.client, $0.options, !$0.loadedOnce)
        }
        var client = oldClient
        // A changed target (another URL, or none any more) replaces the client: the old one is
        // shut down below, and every group is rebuilt on the new client or the failure.
        let targetChanged = oldTarget != target || oldTarget == nil
        if targetChanged {
            switch target {
            case .failure(let none):
                client = .failure(none)
            case .success(let t):
                do {
                    let c = try makeClient(t)
                    client = .success(c)
                } catch {
                    client = .failure(NoQueryTarget(reason: "rule query client for \(t.queryURL): \(error)"))
                }
            }
        }
        switch target {
        case .success(let t):
            if !definitions.isEmpty {
                logger.info("rules are queried at \(t.queryURL)", metadata: ["chosen_by": "\(t.source)"])
            }
            metrics.queryConfigured.set(to: 1)
        case .failure(let none):
            if !definitions.isEmpty { logger.warning("\(none.reason)") }
            metrics.queryConfigured.set(to: definitions.isEmpty ? 1 : 0)
        }
        let sameEnvironment =
            !targetChanged && oldOptions.queryOffset == options.queryOffset
            && oldOptions.evaluationInterval == options.evaluationInterval
            && oldOptions.resendDelay == options.resendDelay && oldOptions.externalLabels == options.externalLabels
            && oldOptions.externalURL == options.externalURL
        let old = state.withLock { $0.groups }
        var built: [String: RuleGroup] = [:]
        var order: [String] = []
        for d in definitions {
            let key = d.file + ";" + d.name
            order.append(key)
            if sameEnvironment, let g = old[key], g.definition == d {
                built[key] = g
                continue
            }
            let g = try RuleGroup(
                definition: d, query: client, storage: storage, notify: notify, options: options, metrics: metrics,
                logger: logger, restore: first)
            if let previous = old[key] { g.takeState(from: previous) }
            built[key] = g
        }
        // Series of groups that are gone: marked stale by the first group that runs next, or
        // here at once when none is left.
        var orphaned: [Labels] = []
        for (key, g) in old where built[key] == nil { orphaned += g.allSeries() }
        if !orphaned.isEmpty {
            if let anyGroup = order.first.flatMap({ built[$0] }) {
                anyGroup.addStaleSeries(orphaned)
            } else {
                let app = storage.appender()
                let ts = currentTimeMs() - options.queryOffset.totalMilliseconds
                for l in orphaned { _ = try? app.append(l, timestampMs: ts, value: StaleNaN.value) }
                try? await app.commit()
            }
        }
        let (toStop, oldClientToShut) = state.withLock { s -> ([Task<Void, Never>], (any QueryClient)?) in
            var stop: [Task<Void, Never>] = []
            for (key, task) in s.tasks where built[key] !== s.groups[key] || built[key] == nil {
                stop.append(task)
                s.tasks[key] = nil
            }
            s.groups = built
            s.order = order
            s.target = target
            s.client = client
            s.options = options
            s.loadedOnce = true
            var shut: (any QueryClient)?
            if targetChanged, case .success(let c) = oldClient { shut = c }
            return (stop, shut)
        }
        // Replaced groups stop before their successors start: one evaluation of a group at a time.
        for t in toStop { t.cancel() }
        for t in toStop { await t.value }
        state.withLock { s in
            guard s.running else { return }
            for key in s.order where s.tasks[key] == nil {
                guard let g = s.groups[key] else { continue }
                s.tasks[key] = Task { await g.run() }
            }
        }
        await oldClientToShut?.shutdown()
    }

    public func run() async throws {
        state.withLock { s in
            s.running = true
            for key in s.order where s.tasks[key] == nil {
                let g = s.groups[key]!
                s.tasks[key] = Task { await g.run() }
            }
        }
        try? await gracefulShutdown()
        let (tasks, client) = state.withLock { s in
            s.running = false
            s.stopped = true
            defer { s.tasks = [:] }
            return (Array(s.tasks.values), s.client)
        }
        for t in tasks { t.cancel() }
        for t in tasks { await t.value }
        if case .success(let c) = client { await c.shutdown() }
    }

    /// Where rules are queried, or why nowhere, for `/rules`.
    public func queryNote() -> String {
        switch state.withLock({ $0.target }) {
        case .success(let t): "Rules are evaluated at \(t.queryURL) (chosen by \(t.source))."
        case .failure(let none): none.reason
        case nil: ""
        }
    }

    /// The groups in config order, for `/rules` and `/api/v1/rules`.
    public func groups() -> [RuleGroup] {
        state.withLock { s in s.order.compactMap { s.groups[$0] } }
    }
}
