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
    private let seams: ScrapeSeams
    private var pools: [String: ScrapePool] = [:]
    private let snapshot = SnapshotBox()
    private var initialJobs: [ScrapeJob]
    private let onReady: @Sendable () -> Void
    /// `apply` and `stopAll` run one at a time (they suspend while loops stop); later callers
    /// wait here.
    private var applying = false
    /// Set by `stopAll`: `apply` then does nothing.
    private var stopped = false
    private var applyWaiters: [CheckedContinuation<Void, Never>] = []
    /// Set by the first `apply`: `run()` then does not apply the initial jobs over it.
    private var applied = false

    /// - Parameters:
    ///   - jobs: the jobs to start with; their static targets are scraped.
    ///   - storage: where committed scrapes go.
    ///   - registry: self-metrics registry.
    ///   - clock: what scrape loops wait on (intervals, slot offsets, scrape timeouts, the
    ///     staleness delay of removed targets); sample timestamps stay wall-clock.
    ///   - onReady: called once the initial jobs' loops are started.
    public init(
        jobs: [ScrapeJob], storage: any Appendable, registry: PrometheusCollectorRegistry, logger: Logger,
        clock: any Clock<Duration> = ContinuousClock(), onReady: @escaping @Sendable () -> Void = {}
    ) {
        self.init(
            jobs: jobs, storage: storage, registry: registry, logger: logger, seams: ScrapeSeams(clock: clock),
            onReady: onReady)
    }

    /// - Parameter seams: the clock, wall clock and fetcher every pool and loop uses (tests
    ///   inject a `ManualClock` and an in-memory `Scraper`).
    init(
        jobs: [ScrapeJob], storage: any Appendable, registry: PrometheusCollectorRegistry, logger: Logger,
        seams: ScrapeSeams, onReady: @escaping @Sendable () -> Void = {}
    ) {
        self.seams = seams
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
    ///
    /// After `stopAll` (shutdown) a call does nothing: no loop starts that nobody would stop.
    public func apply(jobs: [ScrapeJob], discovered: [String: [Labels]]) async {
        applied = true
        await beginExclusive()
        defer { endExclusive() }
        guard !stopped else { return }
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
                    pools[name] = try ScrapePool(
                        job: job, storage: storage, logger: logger, metrics: metrics, seams: seams)
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
            guard let pool = pools[name] else { continue }
            let syncTime = ClockTimeline(seams.clock)
            await pool.sync(discovered: sets, predecessors: predecessors)
            await retired?.stop(removed: true)
            metrics.recordSync(name, syncTime.elapsed())
            metrics.poolTargets(name).set(to: Double(pool.loopCount))
        }
        snapshot.set(pools.values.sorted { $0.job.config.jobName < $1.job.config.jobName })
    }

    /// Stops every pool (shutdown). Waits for an `apply` in flight to finish first, so no
    /// pool it builds or syncs outlives the stop; later `apply` calls do nothing.
    func stopAll() async {
        await beginExclusive()
        defer { endExclusive() }
        stopped = true
        for pool in pools.values { await pool.stop(removed: false) }
        pools = [:]
        snapshot.set([])
    }

    /// Callers waiting for an `apply` or `stopAll` in flight (for tests).
    var exclusiveWaiters: Int { applyWaiters.count }

    /// Waits until no `apply` or `stopAll` runs, then marks one running.
    private func beginExclusive() async {
        while applying { await withCheckedContinuation { applyWaiters.append($0) } }
        applying = true
    }

    private func endExclusive() {
        applying = false
        if !applyWaiters.isEmpty { applyWaiters.removeFirst().resume() }
    }
}
