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
    /// `apply` runs one at a time (it suspends while loops stop); later callers wait here.
    private var applying = false
    private var applyWaiters: [CheckedContinuation<Void, Never>] = []
    /// Set by the first `apply`: `run()` then does not apply the initial jobs over it.
    private var applied = false

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
        if !applied { await apply(jobs: initialJobs, discovered: [:]) }
        initialJobs = []
        onReady()
        // Scrape loops run in their own tasks; wait here until shutdown.
        try? await gracefulShutdown()
        await stopAll()
    }

    /// Syncs pools and loops. `discovered` maps job names to discovered label sets (from
    /// service discovery); a job's static targets are always included.
    ///
    /// Calls run one after another. A job whose config changed only in how targets are found
    /// (`static_configs`, `*_sd_configs`, `relabel_configs`, `target_limit`) keeps its pool
    /// and the loops of unchanged targets; any other change builds a new pool whose loops
    /// take over from the old ones between two scrapes (see `ScrapePool.sync`), so an
    /// unchanged target loses and repeats no scrape.
    public func apply(jobs: [ScrapeJob], discovered: [String: [Labels]]) async {
        applied = true
        while applying { await withCheckedContinuation { applyWaiters.append($0) } }
        applying = true
        defer {
            applying = false
            if !applyWaiters.isEmpty { applyWaiters.removeFirst().resume() }
        }
        let names = Set(jobs.map(\.config.jobName))
        for (name, pool) in pools where !names.contains(name) {
            // A job removed from the config: Prometheus cancels the pool's context, so its
            // targets get no end-of-run staleness markers.
            await pool.stop(removed: false)
            pools[name] = nil
            metrics.poolTargets(name).set(to: 0)
        }
        for job in jobs {
            let name = job.config.jobName
            var predecessors: [UInt64: ScrapePool.LoopEntry] = [:]
            var retired: ScrapePool? = nil
            if let pool = pools[name], pool.job.config != job.config {
                metrics.poolReloads.increment()
                if ScrapePool.loopSettings(pool.job.config) == ScrapePool.loopSettings(job.config) {
                    // Only target selection changed: keep the pool and its loops.
                    pool.update(job: job)
                } else {
                    // New scrape settings: new pool; its loops take over from the old ones.
                    predecessors = pool.detachLoops()
                    retired = pool
                    pools[name] = nil
                }
            }
            if pools[name] == nil {
                do {
                    pools[name] = try ScrapePool(job: job, storage: storage, logger: logger, metrics: metrics)
                    metrics.poolsTotal.increment()
                } catch {
                    metrics.poolsFailed.increment()
                    logger.error("cannot create scrape pool", metadata: ["scrape_pool": "\(name)", "err": "\(error)"])
                    if let retired {
                        // Keep scraping with the old settings rather than not at all.
                        retired.reattach(predecessors)
                        pools[name] = retired
                    }
                    continue
                }
            }
            let sets = TargetBuilder.staticLabelSets(job.config) + (discovered[name] ?? [])
            let syncStart = ContinuousClock.now
            await pools[name]!.sync(discovered: sets, predecessors: predecessors)
            await retired?.stop(removed: true)
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
    typealias LoopEntry = (loop: ScrapeLoop, task: Task<Void, Never>)
    /// The job; replaced by `update(job:)` when only target selection changed.
    var job: ScrapeJob { lock.withLock { _job } }
    private var _job: ScrapeJob
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
        self._job = job
        self.scraper = try Scraper(config: job.config)
        self.storage = storage
        var l = logger
        l[metadataKey: "scrape_pool"] = "\(job.config.jobName)"
        self.logger = l
        self.metrics = metrics
    }

    var loopCount: Int { lock.withLock { loops.count } }

    /// Starts loops for new targets and stops loops of targets that are gone.
    ///
    /// - Parameter predecessors: loops of the job's previous pool (its scrape settings
    ///   changed), by target identity. A wanted target's predecessor is stopped between two
    ///   of its scrapes and this pool's loop starts at once, keeping the slot phase: no
    ///   scrape lost or repeated. Predecessors of targets no longer wanted are removed.
    func sync(discovered: [Labels], predecessors: [UInt64: LoopEntry] = [:]) async {
        let job = self.job
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
        var handovers: [(Target, LoopEntry)] = []
        for (id, entry) in predecessors where wanted[id] == nil { toStop.append(entry) }
        lock.withLock {
            for (id, entry) in loops where wanted[id] == nil {
                toStop.append(entry)
                loops[id] = nil
            }
            for (id, target) in wanted {
                if let (loop, _) = loops[id] {
                    // Same target, perhaps discovered with other `__meta_*` labels: the status
                    // pages show the latest, as Prometheus's SetDiscoveredLabels.
                    loop.setDiscoveredLabels(target.discoveredLabels)
                    continue
                }
                if let previous = predecessors[id] {
                    handovers.append((target, previous))
                    continue
                }
                let loop = ScrapeLoop(
                    target: target, job: job, scraper: scraper, storage: storage, logger: logger, metrics: metrics)
                loops[id] = (loop, Task { await loop.run() })
            }
            // Prometheus keeps at most `keep_dropped_targets` (0: all) for the status pages.
            let keep = job.config.keepDroppedTargets
            droppedCount = newDropped.count
            dropped = keep > 0 ? Array(newDropped.prefix(keep)) : newDropped
        }
        await withTaskGroup(of: Void.self) { group in
            for (target, previous) in handovers {
                group.addTask { await self.takeOver(target: target, from: previous, job: job) }
            }
        }
        applyTargetLimit(count: wanted.count)
        for (loop, task) in toStop {
            loop.markRemoved()
            task.cancel()
            await task.value
            scheduleStaleness(loop)
        }
    }

    /// `target_limit`, as Prometheus's `refreshTargetLimitErr`: more targets than the limit
    /// fails every scrape of the pool (`up` 0, the reason as the targets' last error) until
    /// discovery or relabeling brings the count back under it.
    private func applyTargetLimit(count: Int) {
        let limit = job.config.targetLimit
        metrics.targetLimit(job.config.jobName).set(to: Double(limit))
        var forced: String? = nil
        if limit > 0 && count > limit {
            forced = "target_limit exceeded (number of targets: \(count), limit: \(limit))"
            metrics.exceededTargetLimit.increment()
            logger.warning(
                "scrape pool exceeds its target_limit: every target fails",
                metadata: ["targets": "\(count)", "limit": "\(limit)"])
        }
        for entry in lock.withLock({ Array(loops.values) }) { entry.loop.setForcedError(forced) }
    }

    /// Replaces `previous` (a loop of the job's old pool for the same target) by a loop of
    /// this pool: waits until `previous` has committed the scrape of its latest slot and is
    /// sleeping towards the next (bounded by the scrape timeout plus 1 s), stops it — no
    /// staleness markers, the target stays — and starts the new loop, which picks the same
    /// slot phase (offset from the target's identity) and so scrapes next at the next slot.
    private func takeOver(target: Target, from previous: LoopEntry, job: ScrapeJob) async {
        await Self.waitBetweenScrapes(previous.loop)
        previous.task.cancel()
        await previous.task.value
        let loop = ScrapeLoop(
            target: target, job: job, scraper: scraper, storage: storage, logger: logger, metrics: metrics)
        lock.withLock { loops[target.identity] = (loop, Task { await loop.run() }) }
    }

    /// Waits until `loop` is between two scrapes with room to spare before the next slot.
    static func waitBetweenScrapes(_ loop: ScrapeLoop) async {
        let intervalMs = max(Int64(loop.target.intervalSeconds * 1000), 1)
        let offset = ScrapeLoop.offsetMs(identity: loop.target.identity, intervalMs: intervalMs)
        // Room needed before the next slot: stopping one loop and starting another takes
        // well under a millisecond; keep a margin for a loaded machine.
        let marginMs = min(100, intervalMs / 4)
        let deadline = ContinuousClock.now + .milliseconds(Int64(loop.target.timeoutSeconds * 1000) + 1000)
        while ContinuousClock.now < deadline {
            let now = currentTimeMs()
            let lastSlot = now - ((now - offset) % intervalMs + intervalMs) % intervalMs
            let sinceSlot = now - lastSlot
            if loop.status.lastScrapeMs >= lastSlot && sinceSlot > 0 && sinceSlot < intervalMs - marginMs { return }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Settings that change what a running loop does with its target (everything but how
    /// targets are found): pools whose settings are equal can keep their loops.
    static func loopSettings(_ c: ScrapeConfig) -> ScrapeConfig {
        var c = c
        c.staticConfigs = []
        c.fileSDConfigs = []
        c.httpSDConfigs = []
        c.dnsSDConfigs = []
        c.relabelConfigs = []
        c.targetLimit = 0
        c.keepDroppedTargets = 0
        return c
    }

    /// Swaps in a job whose `loopSettings` are equal to the current one's.
    func update(job: ScrapeJob) { lock.withLock { _job = job } }

    /// Takes every loop out of the pool (still running), for a successor pool.
    func detachLoops() -> [UInt64: LoopEntry] {
        lock.withLock {
            defer { loops = [:] }
            return loops
        }
    }

    /// Puts loops taken by `detachLoops` back.
    func reattach(_ entries: [UInt64: LoopEntry]) {
        lock.withLock { for (id, e) in entries { loops[id] = e } }
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
