import AgentConfig
import Logging
import PromModel
import ServiceLifecycle

/// The discovered label sets of every job, with a version that grows with every snapshot
/// so a consumer can ignore one that arrives after a newer one.
public struct DiscoveredTargets: Sendable, Equatable {
    public var version: UInt64
    /// Job name → label sets (group labels merged into each target's).
    public var byJob: [String: [Labels]]

    public init(version: UInt64 = 0, byJob: [String: [Labels]] = [:]) {
        self.version = version
        self.byJob = byJob
    }
}

/// One service-discovery config of a job.
public enum ProviderConfig: Sendable, Equatable {
    case file(FileSDConfig)
    case http(HTTPSDConfig)
    case dns(DNSSDConfig)
    case kubernetes(KubernetesSDConfig)

    /// The providers of a job, in config order.
    public static func of(_ job: ScrapeConfig) -> [ProviderConfig] {
        job.fileSDConfigs.map(ProviderConfig.file) + job.httpSDConfigs.map(ProviderConfig.http)
            + job.dnsSDConfigs.map(ProviderConfig.dns) + job.kubernetesSDConfigs.map(ProviderConfig.kubernetes)
    }

    var mechanism: String {
        switch self {
        case .file: "file"
        case .http: "http"
        case .dns: "dns"
        case .kubernetes: "kubernetes"
        }
    }
}

/// Runs the discoverers of every job and hands their targets to the scrape side, as
/// Prometheus's `discovery.Manager`: a `Service` whose `run()` sends the latest targets to
/// `onUpdate` at most once per `updateInterval` (only when something changed).
///
/// `apply(_:)` (reload) keeps the discoverers whose job and config did not change — with
/// the targets they know — stops the others and starts new ones, waits a bounded time for
/// the new ones' first results, and returns the complete snapshot, so the caller can apply
/// the new jobs and their targets together.
public actor DiscoveryManager: Service {
    public typealias Factory = @Sendable (_ job: String, _ config: ProviderConfig) throws -> any Discoverer
    public typealias UpdateHandler = @Sendable (DiscoveredTargets) async -> Void

    struct Provider {
        let id: Int
        let job: String
        let config: ProviderConfig
        var task: Task<Void, Never>?
        /// nil until the discoverer's first result.
        var groups: [TargetGroup]?
    }

    private let metrics: DiscoveryMetrics
    private let logger: Logger
    private let updateInterval: Duration
    private let clock: any Clock<Duration>
    private let factory: Factory
    private let onUpdate: UpdateHandler
    private var initialConfigs: [ScrapeConfig]?
    private var providers: [Provider] = []
    private var nextID = 0
    private var version: UInt64 = 0
    private var dirty = false
    private var applying = 0
    private var knownJobs: Set<String> = []
    private var waiters: [Int: (ids: Set<Int>, continuation: CheckedContinuation<Void, Never>)] = [:]
    private var nextWaiter = 0

    /// - Parameters:
    ///   - configs: the jobs to discover for when `run()` starts.
    ///   - updateInterval: the longest a change waits before it is sent (Prometheus: 5 s).
    ///   - clock: what the update throttle and a reload's wait for first results run on.
    ///   - factory: builds discoverers (tests inject fakes); default: `standardFactory`.
    ///   - onUpdate: receives each new snapshot.
    public init(
        configs: [ScrapeConfig], metrics: DiscoveryMetrics, logger: Logger, updateInterval: Duration = .seconds(1),
        clock: any Clock<Duration> = ContinuousClock(), factory: @escaping Factory, onUpdate: @escaping UpdateHandler
    ) {
        self.initialConfigs = configs
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
        self.updateInterval = updateInterval
        self.factory = factory
        self.onUpdate = onUpdate
    }

    /// The discoverers promsls ships: file (polled every `filePollInterval`), HTTP, DNS,
    /// Kubernetes; every one waits on `clock`.
    public static func standardFactory(
        metrics: DiscoveryMetrics, logger: Logger, resolver: DNSResolver = DNSResolver(),
        filePollInterval: Duration = .seconds(1), clock: any Clock<Duration> = ContinuousClock()
    ) -> Factory {
        { job, config in
            var l = logger
            l[metadataKey: "config"] = "\(job)"
            switch config {
            case .file(let c):
                l[metadataKey: "discovery"] = "file"
                return FileDiscoverer(
                    config: c, pollInterval: filePollInterval, metrics: metrics, logger: l, clock: clock)
            case .http(let c):
                l[metadataKey: "discovery"] = "http"
                return try HTTPDiscoverer(config: c, metrics: metrics, logger: l, clock: clock)
            case .dns(let c):
                l[metadataKey: "discovery"] = "dns"
                return DNSDiscoverer(config: c, resolver: resolver, metrics: metrics, logger: l, clock: clock)
            case .kubernetes(let c):
                l[metadataKey: "discovery"] = "kubernetes"
                l[metadataKey: "role"] = "\(c.role.rawValue)"
                return try KubernetesDiscoverer(config: c, metrics: metrics, logger: l, clock: clock)
            }
        }
    }

    public func run() async throws {
        if let configs = initialConfigs {
            initialConfigs = nil
            sync(configs)
        }
        let (interval, clock) = (updateInterval, clock)
        try? await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                try await clock.sleep(for: interval)
                await self.flushIfDirty()
            }
        }
        for p in providers { p.task?.cancel() }
        for p in providers { await p.task?.value }
        providers = []
    }

    /// Reload: syncs the discoverers with `configs`, waits up to `initialWait` for the new
    /// ones' first results, and returns the full snapshot (also marking it as sent).
    public func apply(_ configs: [ScrapeConfig], initialWait: Duration = .seconds(5)) async -> DiscoveredTargets {
        applying += 1
        defer { applying -= 1 }
        initialConfigs = nil
        let started = sync(configs)
        if !started.isEmpty { await waitForFirstResults(started, timeout: initialWait) }
        dirty = false
        return snapshot()
    }

    /// The current snapshot, without sending it.
    public func current() -> DiscoveredTargets { DiscoveredTargets(version: version, byJob: byJob()) }

    /// Starts and stops discoverers; returns the ids of those started.
    @discardableResult
    private func sync(_ configs: [ScrapeConfig]) -> Set<Int> {
        var wanted: [(String, ProviderConfig)] = []
        for job in configs {
            for c in ProviderConfig.of(job) where !wanted.contains(where: { $0.0 == job.jobName && $0.1 == c }) {
                wanted.append((job.jobName, c))
            }
        }
        var kept: [Provider] = []
        for p in providers {
            if wanted.contains(where: { $0.0 == p.job && $0.1 == p.config }) {
                kept.append(p)
            } else {
                p.task?.cancel()
                dirty = true
            }
        }
        var started = Set<Int>()
        for (job, config) in wanted where !kept.contains(where: { $0.job == job && $0.config == config }) {
            let id = nextID
            nextID += 1
            var p = Provider(id: id, job: job, config: config)
            do {
                let discoverer = try factory(job, config)
                p.task = Task { [weak self] in
                    await discoverer.run { [weak self] groups in await self?.received(id: id, groups) }
                }
                started.insert(id)
            } catch {
                logger.error(
                    "cannot create service discovery",
                    metadata: ["config": "\(job)", "mechanism": "\(config.mechanism)", "err": "\(error)"])
                p.groups = []
            }
            kept.append(p)
            dirty = true
        }
        providers = kept
        for job in knownJobs.subtracting(configs.map(\.jobName)) { metrics.discoveredTargets(job: job).set(to: 0) }
        knownJobs = Set(configs.map(\.jobName))
        return started
    }

    private func received(id: Int, _ groups: [TargetGroup]) {
        guard let i = providers.firstIndex(where: { $0.id == id }) else { return }  // stopped meanwhile
        metrics.receivedUpdates.increment()
        providers[i].groups = groups
        dirty = true
        for (key, w) in waiters where w.ids.allSatisfy({ id in providers.first { $0.id == id }?.groups != nil }) {
            waiters[key] = nil
            w.continuation.resume()
        }
    }

    private func waitForFirstResults(_ ids: Set<Int>, timeout: Duration) async {
        let pending = ids.filter { id in providers.first { $0.id == id }?.groups == nil }
        guard !pending.isEmpty else { return }
        let key = nextWaiter
        nextWaiter += 1
        let timer = Task { [weak self, clock] in
            try? await clock.sleep(for: timeout)
            await self?.expireWaiter(key)
        }
        await withCheckedContinuation { c in waiters[key] = (pending, c) }
        timer.cancel()
    }

    private func expireWaiter(_ key: Int) {
        if let w = waiters.removeValue(forKey: key) {
            logger.warning("service discovery did not answer in time; continuing with what is known")
            w.continuation.resume()
        }
    }

    private func flushIfDirty() async {
        guard dirty, applying == 0 else { return }
        dirty = false
        let s = snapshot()
        metrics.updates.increment()
        await onUpdate(s)
    }

    private func snapshot() -> DiscoveredTargets {
        version += 1
        let map = byJob()
        for job in knownJobs { metrics.discoveredTargets(job: job).set(to: Double(map[job]?.count ?? 0)) }
        return DiscoveredTargets(version: version, byJob: map)
    }

    private func byJob() -> [String: [Labels]] {
        var out: [String: [Labels]] = [:]
        for p in providers {
            out[p.job, default: []].append(contentsOf: (p.groups ?? []).flatMap { $0.labelSets() })
        }
        return out
    }
}
