import AgentConfig
import Logging
import PromModel

/// The targets of one job and their loops.
// @unchecked: every stored `var` is read and written under `lock` only; the compiler cannot see a lock discipline.
final class ScrapePool: @unchecked Sendable {
    typealias LoopEntry = (loop: ScrapeLoop, task: Task<Void, Never>)
    /// The job; replaced by `update(job:)` when only target selection changed.
    var job: ScrapeJob { lock.withLock { _job } }
    private var _job: ScrapeJob
    let scraper: any Scraper
    /// `scrape_failure_log_file`, if set.
    let failureLog: ScrapeFailureLog?
    let storage: any Appendable
    let seams: ScrapeSeams
    let logger: Logger
    let metrics: ScrapeMetrics
    private let lock = NSLockLite()
    private var loops: [UInt64: (loop: ScrapeLoop, task: Task<Void, Never>)] = [:]
    private var dropped: [Labels] = []
    /// Pending end-of-run staleness writes of removed targets; cancelled at shutdown.
    private var stalenessTasks: [UInt64: Task<Void, Never>] = [:]
    private var droppedCount = 0

    /// - Throws: when the job's scraper cannot be built (TLS or auth files unreadable).
    init(job: ScrapeJob, storage: any Appendable, logger: Logger, metrics: ScrapeMetrics, seams: ScrapeSeams) throws {
        self._job = job
        self.scraper = try seams.makeScraper(job.config)
        self.failureLog = job.config.scrapeFailureLogFile.map {
            ScrapeFailureLog(path: $0, jobName: job.config.jobName)
        }
        self.seams = seams
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
                let loop = makeLoop(target: target, job: job)
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
        let loop = makeLoop(target: target, job: job)
        lock.withLock { loops[target.identity] = (loop, Task { await loop.run() }) }
    }

    private func makeLoop(target: Target, job: ScrapeJob) -> ScrapeLoop {
        ScrapeLoop(
            target: target, job: job, scraper: scraper, failureLog: failureLog, storage: storage, logger: logger,
            metrics: metrics, seams: seams)
    }

    /// Waits until `loop` is between two scrapes with room to spare before the next slot.
    static func waitBetweenScrapes(_ loop: ScrapeLoop) async {
        let intervalMs = max(Int64(loop.target.intervalSeconds * 1000), 1)
        let offset = ScrapeLoop.offsetMs(identity: loop.target.identity, intervalMs: intervalMs)
        // Room needed before the next slot: stopping one loop and starting another takes
        // well under a millisecond; keep a margin for a loaded machine.
        let marginMs = min(100, intervalMs / 4)
        let limit = Duration.milliseconds(Int64(loop.target.timeoutSeconds * 1000) + 1000)
        let waited = ClockTimeline(loop.clock)
        while waited.elapsed() < limit {
            let now = loop.nowMs()
            let lastSlot = now - ((now - offset) % intervalMs + intervalMs) % intervalMs
            let sinceSlot = now - lastSlot
            if loop.status.lastScrapeMs >= lastSlot && sinceSlot > 0 && sinceSlot < intervalMs - marginMs { return }
            try? await loop.clock.sleep(for: .milliseconds(5))
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
// @unchecked: every stored `var` is read and written under `lock` only; the compiler cannot see a lock discipline.
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
