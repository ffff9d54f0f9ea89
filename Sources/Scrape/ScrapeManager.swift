import AgentConfig
import Logging
import PromModel
import Prometheus
import ServiceLifecycle

/// Runs one scrape pool per job and one scrape loop per target, as Prometheus's
/// `scrape.Manager`. A `Service`: `run()` lives until graceful shutdown.
///
/// `apply` syncs the running loops with a new set of jobs and discovered targets: loops of
/// unchanged targets keep running (with their caches and timing), new targets get a loop,
/// removed targets are stopped and get staleness markers.
public actor ScrapeManager: Service {
    private let storage: any Appendable
    private let logger: Logger
    private let metrics: ScrapeMetrics
    private var pools: [String: ScrapePool] = [:]
    private let snapshot = SnapshotBox()
    private var initialJobs: [ScrapeJob]
    private let onReady: @Sendable () -> Void

    /// - Parameters:
    ///   - jobs: the jobs to start with; their static targets are scraped.
    ///   - storage: where committed scrapes go.
    ///   - registry: self-metrics registry.
    ///   - onReady: called once the initial jobs' loops are started.
    public init(
        jobs: [ScrapeJob], storage: any Appendable, registry: PrometheusCollectorRegistry, logger: Logger,
        onReady: @escaping @Sendable () -> Void = {}
    ) {
        self.initialJobs = jobs
        self.onReady = onReady
        self.storage = storage
        self.logger = logger
        self.metrics = ScrapeMetrics(registry: registry)
        metrics.registerPoolCounters()
    }

    /// The read-only view for the status pages.
    public nonisolated var statusProvider: any TargetStatusProvider { snapshot }

    public func run() async throws {
        await apply(jobs: initialJobs, discovered: [:])
        initialJobs = []
        onReady()
        // Scrape loops run in their own tasks; wait here until shutdown.
        try? await gracefulShutdown()
        await stopAll()
    }

    /// Syncs pools and loops. `discovered` maps job names to discovered label sets (from
    /// service discovery); a job's static targets are always included.
    public func apply(jobs: [ScrapeJob], discovered: [String: [Labels]]) async {
        let names = Set(jobs.map(\.config.jobName))
        for (name, pool) in pools where !names.contains(name) {
            await pool.stop(removed: true)
            pools[name] = nil
            metrics.poolTargets(name).set(to: 0)
        }
        for job in jobs {
            let name = job.config.jobName
            if let pool = pools[name], pool.job.config != job.config {
                // Config changed: restart the pool (unchanged targets lose nothing but timing).
                metrics.poolReloads.increment()
                await pool.stop(removed: true)
                pools[name] = nil
            }
            if pools[name] == nil {
                do {
                    pools[name] = try ScrapePool(job: job, storage: storage, logger: logger, metrics: metrics)
                    metrics.poolsTotal.increment()
                } catch {
                    metrics.poolsFailed.increment()
                    logger.error("cannot create scrape pool", metadata: ["scrape_pool": "\(name)", "err": "\(error)"])
                    continue
                }
            }
            let sets = TargetBuilder.staticLabelSets(job.config) + (discovered[name] ?? [])
            let syncStart = ContinuousClock.now
            await pools[name]!.sync(discovered: sets)
            metrics.recordSync(name, ContinuousClock.now - syncStart)
            metrics.poolTargets(name).set(to: Double(pools[name]!.loopCount))
        }
        snapshot.set(pools.values.sorted { $0.job.config.jobName < $1.job.config.jobName })
    }

    private func stopAll() async {
        for pool in pools.values { await pool.stop(removed: false) }
        pools = [:]
        snapshot.set([])
    }
}

/// The targets of one job and their loops.
final class ScrapePool: @unchecked Sendable {
    let job: ScrapeJob
    let scraper: Scraper
    let storage: any Appendable
    let logger: Logger
    let metrics: ScrapeMetrics
    private let lock = NSLockLite()
    private var loops: [UInt64: (loop: ScrapeLoop, task: Task<Void, Never>)] = [:]
    private var dropped: [Labels] = []
    /// Pending end-of-run staleness writes of removed targets; cancelled at shutdown.
    private var stalenessTasks: [UInt64: Task<Void, Never>] = [:]
    private var droppedCount = 0

    init(job: ScrapeJob, storage: any Appendable, logger: Logger, metrics: ScrapeMetrics) throws {
        self.job = job
        self.scraper = try Scraper(config: job.config)
        self.storage = storage
        var l = logger
        l[metadataKey: "scrape_pool"] = "\(job.config.jobName)"
        self.logger = l
        self.metrics = metrics
    }

    var loopCount: Int { lock.withLock { loops.count } }

    /// Starts loops for new targets and stops loops of targets that are gone.
    func sync(discovered: [Labels]) async {
        var wanted: [UInt64: Target] = [:]
        var newDropped: [Labels] = []
        for d in discovered {
            switch TargetBuilder.build(discovered: d, job: job) {
            case .success(let t): wanted[t.identity] = t  // identical targets deduplicated
            case .failure(.invalidAddress(let why)):
                logger.warning("dropping target", metadata: ["reason": "\(why)"])
                newDropped.append(d)
            case .failure: newDropped.append(d)
            }
        }
        var toStop: [(ScrapeLoop, Task<Void, Never>)] = []
        lock.withLock {
            for (id, entry) in loops where wanted[id] == nil {
                toStop.append(entry)
                loops[id] = nil
            }
            for (id, target) in wanted where loops[id] == nil {
                let loop = ScrapeLoop(
                    target: target, job: job, scraper: scraper, storage: storage, logger: logger, metrics: metrics)
                loops[id] = (loop, Task { await loop.run() })
            }
            // Prometheus keeps at most `keep_dropped_targets` (0: all) for the status pages.
            let keep = job.config.keepDroppedTargets
            droppedCount = newDropped.count
            dropped = keep > 0 ? Array(newDropped.prefix(keep)) : newDropped
        }
        for (loop, task) in toStop {
            loop.markRemoved()
            task.cancel()
            await task.value
            scheduleStaleness(loop)
        }
    }

    /// Stops every loop; `removed` writes staleness markers (target gone), otherwise not
    /// (agent shutting down).
    func stop(removed: Bool) async {
        let all = lock.withLock { () -> [(ScrapeLoop, Task<Void, Never>)] in
            defer { loops = [:] }
            return Array(loops.values)
        }
        for (loop, task) in all {
            if removed { loop.markRemoved() }
            task.cancel()
        }
        for (_, task) in all { await task.value }
        if removed {
            for (loop, _) in all { scheduleStaleness(loop) }
        } else {
            let pending = lock.withLock { () -> [Task<Void, Never>] in
                defer { stalenessTasks = [:] }
                return Array(stalenessTasks.values)
            }
            for t in pending { t.cancel() }
        }
        await scraper.shutdown()
    }

    /// Starts the delayed staleness write of a removed target's loop.
    private func scheduleStaleness(_ loop: ScrapeLoop) {
        let id = loop.target.identity
        let task = Task { [weak self] in
            await loop.endOfRunStaleness()
            self?.lock.withLock { _ = self?.stalenessTasks.removeValue(forKey: id) }
        }
        lock.withLock { stalenessTasks[id] = task }
    }

    func statuses() -> [TargetStatus] {
        lock.withLock { loops.values.map(\.loop.status) }.sorted { $0.scrapeURL < $1.scrapeURL }
    }

    func droppedTargets() -> [Labels] { lock.withLock { dropped } }

    /// Targets dropped by the last sync, including those beyond `keep_dropped_targets`.
    func droppedTargetCount() -> Int { lock.withLock { droppedCount } }
}

/// Lock-protected list of pools, read by the status pages without touching the actor.
final class SnapshotBox: TargetStatusProvider, @unchecked Sendable {
    private let lock = NSLockLite()
    private var pools: [ScrapePool] = []

    func set(_ p: [ScrapePool]) { lock.withLock { pools = p } }

    func activeTargets() -> [TargetStatus] {
        lock.withLock { pools }.flatMap { $0.statuses() }
    }

    func droppedTargets() -> [(scrapePool: String, discoveredLabels: Labels)] {
        lock.withLock { pools }.flatMap { p in p.droppedTargets().map { (p.job.config.jobName, $0) } }
    }

    func droppedTargetCounts() -> [String: Int] {
        Dictionary(lock.withLock { pools }.map { ($0.job.config.jobName, $0.droppedTargetCount()) }) { a, _ in a }
    }

    func scrapePools() -> [String] { lock.withLock { pools }.map(\.job.config.jobName) }
}
