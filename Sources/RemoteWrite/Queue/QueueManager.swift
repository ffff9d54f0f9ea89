import AgentConfig
import Logging
import PromModel
import Prometheus
import ServiceLifecycle

/// Rewrites or drops a series before it is queued for one endpoint (`write_relabel_configs`):
/// nil drops the series.
public typealias WriteRelabel = @Sendable (Labels) -> Labels?

/// The sending side of one `remote_write` entry, as Prometheus's `QueueManager`
/// (`storage/remote/queue_manager.go`) fed by its WAL watcher: a reader task reads the WAL
/// from this endpoint's saved position, applies `write_relabel_configs`, and shards samples
/// by series hash (per-series order kept); each shard batches up to `max_samples_per_send`
/// samples / `max_bytes_per_send` bytes or `batch_send_deadline`, and sends with retries
/// (`BatchSender`, `SendOutcome.classify`). The position after the last record whose samples
/// are all delivered (or dropped for good) is saved every second and at stop, so a restart
/// resends nothing acknowledged and loses nothing written. A full queue only slows this
/// reader: the WAL holds the backlog, scraping and the other endpoints are not affected.
///
/// The number of shards follows the load between `min_shards` and `max_shards`
/// (`ShardCalculator`); a reshard drains the running shards before starting the new ones.
///
/// Run it with `run()` (a swift-service-lifecycle `Service`): on graceful shutdown it reads
/// to the end of the WAL and delivers what it can within `flushTimeout`; the rest stays in
/// the WAL for the next start. `stop(deadline:)` does the same outside a `ServiceGroup`.
public final class QueueManager: Service, @unchecked Sendable {
    public let remoteName: String
    public let url: String
    public let config: RemoteWriteConfig
    public let metrics: QueueMetrics
    /// The log this queue reads.
    public let wal: WAL
    let client: any WriteSending
    let relabel: WriteRelabel?
    let logger: Logger
    let flushTimeout: Duration
    let metadataSource: (@Sendable () -> [MetricMetadata])?
    let shardUpdateInterval: Duration
    let positionSaveInterval: Duration
    /// Where SLS conditions (refused credentials, missing Metricstore) are shown to operators.
    let notices: NoticeBoard?
    /// When the last rate-limited loud line was logged (`loudLogDue`), under `lock`.
    var lastLoudLog: ContinuousClock.Instant?

    let lock = NSLockLite()
    private var flushDeadline: ContinuousClock.Instant?
    var highestSentTimestampMs: Int64 = .min
    private var running = false
    private var finished = false
    private var finishWaiters = WaitList()
    var tracker: AckTracker
    var calculator = ShardCalculator()
    var numShards: Int
    var reshardTo: Int?
    var lastSuccess = ContinuousClock.now
    var savedPosition: ReaderPosition
    /// Bumped when batches are acknowledged: wakes the position saver.
    let acknowledged = ChangeSignal()
    /// Per-shard positions saved by the previous run: what of them is still ahead of `acked`
    /// is saved again (with this run's), until passed.
    let resumedShardings: [[ShardPosition]]
    /// Skips, while re-reading records after a restart, samples delivered before it.
    /// Reader task only, as `skippedDelivered`.
    private var deliveredFilter: DeliveredFilter?
    private var skippedDelivered = 0

    /// - Parameters:
    ///   - config: the `remote_write` entry (queue and metadata settings are used here).
    ///   - remoteName: the `remote_name` label and WAL reader name; defaults to
    ///     `RemoteWriteConfig.remoteName`. An endpoint keeps its WAL position across restarts
    ///     and reloads under this name.
    ///   - client: where batches go (`WriteClient` in production).
    ///   - registry: where self-metrics are registered.
    ///   - relabel: `write_relabel_configs`, applied as records are read.
    ///   - metadataSource: current metric metadata, sent every `metadata_config.send_interval`
    ///     when `metadata_config.send` is on.
    ///   - flushTimeout: how long a graceful shutdown may spend delivering (Prometheus: 1m).
    ///   - wal: the WAL to read; nil: a private in-memory one fed by `enqueue` (tests, tools).
    ///   - shardUpdateInterval: how often the shard count is recomputed (Prometheus: 10 s).
    ///   - notices: where refused SLS credentials and a missing Metricstore are posted.
    public init(
        config: RemoteWriteConfig, remoteName: String? = nil, client: any WriteSending,
        registry: PrometheusCollectorRegistry, logger: Logger, relabel: WriteRelabel? = nil,
        metadataSource: (@Sendable () -> [MetricMetadata])? = nil, flushTimeout: Duration = .seconds(60),
        wal: WAL? = nil, shardUpdateInterval: Duration = .seconds(10), positionSaveInterval: Duration = .seconds(1),
        notices: NoticeBoard? = nil
    ) {
        self.notices = notices
        self.config = config
        self.remoteName = remoteName ?? config.remoteName
        self.url = config.url
        self.client = client
        self.relabel = relabel
        self.metadataSource = metadataSource
        self.flushTimeout = flushTimeout
        self.shardUpdateInterval = shardUpdateInterval
        self.positionSaveInterval = positionSaveInterval
        var logger = logger
        logger[metadataKey: "remote_name"] = .string(self.remoteName)
        logger[metadataKey: "url"] = .string(config.url)
        self.logger = logger
        self.wal =
            wal
            ?? (try! WAL(
                store: MemorySegmentStore(), options: WALOptions(maxSize: 0, retention: .zero, fsync: .never),
                registry: PrometheusCollectorRegistry(), logger: logger))
        let q = config.queueConfig
        let n = max(1, q.minShards)
        numShards = n
        let m = QueueMetrics(registry: registry, remoteName: self.remoteName, url: config.url)
        metrics = m
        let start = self.wal.registerReader(self.remoteName) { samples, _, _, _ in
            m.samplesDropped("retention").increment(by: Int64(samples))
        }
        tracker = AckTracker(start: start.acked, shards: n)
        savedPosition = start
        deliveredFilter = DeliveredFilter(start)
        resumedShardings = deliveredFilter?.shardings ?? []
        m.shards.set(to: Double(n))
        m.shardsDesired.set(to: Double(n))
        m.shardsMin.set(to: Double(n))
        m.shardsMax.set(to: Double(max(n, q.maxShards)))
        m.shardCapacity.set(to: Double(q.capacity))
        m.walSegment.set(to: Double(start.acked.segment))
        if start.acked < self.wal.end {
            var md: Logger.Metadata = [
                "position": "\(start.acked)", "backlog_bytes": "\(self.wal.bytesAfter(start.acked))",
            ]
            if let f = deliveredFilter { md["delivered_by_some_shards_up_to"] = "\(f.limit)" }
            logger.info("remote write resumes from its saved WAL position", metadata: md)
        }
    }

    /// The position up to which everything is delivered (or dropped for good).
    public var ackedPosition: WALPosition { lock.withLock { tracker.acked } }
    /// Shards running now.
    public var currentShards: Int { lock.withLock { numShards } }

    // MARK: - Producer side (tests, tools)

    /// Appends samples to this queue's WAL (which other queues sharing it also read).
    /// - Returns: the number of samples written (0 when the WAL refused them).
    @discardableResult
    public func enqueue(_ samples: [TimeSeriesSample], maxWait: Duration? = nil) async -> Int {
        do {
            try wal.append(samples)
            return samples.count
        } catch {
            return 0
        }
    }

    // MARK: - Lifecycle

    public func run() async throws {
        lock.withLock { running = true }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { outer in
                outer.addTask { await self.runMetadataLoop() }
                outer.addTask { await self.runPositionSaver() }
                outer.addTask { await self.runShardCalculation() }
                await self.runReaderAndShards()
                outer.cancelAll()
            }
        } onGracefulShutdown: {
            self.beginStop(deadline: .now + self.flushTimeout)
        }
        await savePosition(final: true)
        let wake = lock.withLock {
            finished = true
            return finishWaiters.fireAll()
        }
        for c in wake { c.resume() }
    }

    /// Stops reading new commits once caught up, delivers until `deadline`, saves the
    /// position and returns when `run()` has finished (at once if it has not started).
    public func stop(deadline: ContinuousClock.Instant) async {
        beginStop(deadline: deadline)
        let id: Int? = lock.withLock { finished || !running ? nil : finishWaiters.register() }
        guard let id else { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            if lock.withLock({ finishWaiters.park(id, c) }) { c.resume() }
        }
    }

    func beginStop(deadline: ContinuousClock.Instant) {
        lock.withLock {
            if flushDeadline == nil || deadline < flushDeadline! { flushDeadline = deadline }
        }
        wal.appended.bump()
    }

    var currentFlushDeadline: ContinuousClock.Instant? { lock.withLock { flushDeadline } }
    var isStopping: Bool { lock.withLock { flushDeadline != nil } }

    /// Whether a wait of `wait` would overrun the flush deadline (only while stopping).
    func pastFlushDeadline(after wait: Duration = .zero) -> Bool {
        guard let d = currentFlushDeadline else { return false }
        return ContinuousClock.now + wait > d
    }

    // MARK: - Reader and shards

    private enum ProducerEnd {
        case stop
        case reshard(Int)
    }

    private func runReaderAndShards() async {
        var reader = WALReader(
            wal: wal, from: ackedPosition, logger: logger,
            makeSeries: relabel.map { WALReader.relabeling($0) })
        var n = currentShards
        while true {
            let shards = (0..<n).map { _ in ShardQueue(capacity: config.queueConfig.capacity) }
            let end: ProducerEnd = await withTaskGroup(of: Void.self) { group in
                for (i, shard) in shards.enumerated() { group.addTask { await self.runShard(shard, index: i) } }
                let r = await self.produce(&reader, into: shards)
                for s in shards { s.close() }
                await group.waitForAll()
                // Pushed after a shard gave up at the deadline: still in the WAL.
                leftInWAL(shards.reduce(0) { $0 + $1.removeAll() })
                return r
            }
            guard case .reshard(let k) = end else { return }
            // Samples left undelivered by the drain: only when stopping (deadline passed or
            // cancelled). Keep the per-shard positions of the shards they belong to.
            let drained = lock.withLock { () -> Bool in
                guard tracker.pending == 0 else { return false }
                tracker.reshard(to: k)
                return true
            }
            guard drained else { return }
            logger.info("remote write resharding", metadata: ["from": "\(n)", "to": "\(k)"])
            n = k
            lock.withLock { numShards = k }
            metrics.shards.set(to: Double(k))
        }
    }

    /// Reads the WAL into the shards until stopped (and caught up) or a reshard is due.
    private func produce(_ reader: inout WALReader, into shards: [ShardQueue]) async -> ProducerEnd {
        let q = config.queueConfig
        let batchRead = max(q.maxSamplesPerSend, 1000)
        var lastSegment = reader.position.segment
        var unknown = reader.unknownRefSamples
        while true {
            if Task.isCancelled || pastFlushDeadline() { return .stop }
            if let k = lock.withLock({ () -> Int? in
                defer { reshardTo = nil }
                return reshardTo
            }), k != shards.count {
                return .reshard(k)
            }
            let seen = wal.appended.current
            let records: [WALReader.Record]
            do {
                records = try await reader.next(maxSamples: batchRead)
            } catch {
                logger.error("WAL read failed; retrying in 1s", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            if reader.unknownRefSamples > unknown {
                metrics.samplesDropped("unintentionally_dropped").increment(
                    by: Int64(reader.unknownRefSamples - unknown))
                unknown = reader.unknownRefSamples
            }
            if reader.position.segment != lastSegment {
                lastSegment = reader.position.segment
                metrics.walSegment.set(to: Double(lastSegment))
            }
            wal.updateReader(remoteName, read: reader.position)
            if records.isEmpty {
                if isStopping { return .stop }
                // Woken by an append, a stop or a reshard (each bumps `appended`), or by
                // cancellation: no timer while idle.
                await wal.appended.wait(seen: seen, until: nil)
                continue
            }
            for rec in records {
                if let f = deliveredFilter, rec.start > f.limit {
                    deliveredFilter = nil
                    if skippedDelivered > 0 {
                        logger.info(
                            "remote write skipped samples delivered before the restart",
                            metadata: ["samples": "\(skippedDelivered)"])
                    }
                }
                // Parts per shard, each sample with its place in the record (the per-shard
                // positions count it); the record's sequence number is stamped once added.
                var parts = [[QueuedSample]](repeating: [], count: shards.count)
                var kept = 0
                // Exemplars ride with their sample (same shard, same ack), for this endpoint only
                // if it sends them.
                let exemplars = config.sendExemplars ? rec.exemplars : []
                var ex = 0
                filter(rec.wire) { index, s in
                    let hash = s.series.hash
                    if let f = deliveredFilter, f.delivered(hash: hash, recordStart: rec.start, index: index) {
                        skippedDelivered += 1
                        return
                    }
                    var q = QueuedSample(sample: s, seq: 0, index: Int32(index))
                    while ex < exemplars.count && exemplars[ex].index < index { ex += 1 }
                    if ex < exemplars.count && exemplars[ex].index == index { q.exemplar = exemplars[ex].exemplar }
                    parts[Int(hash % UInt64(shards.count))].append(q)
                    kept += 1
                }
                let seq = lock.withLock {
                    calculator.samplesIn(rec.wire.count)
                    return tracker.add(start: rec.start, end: rec.end, counts: kept == 0 ? [] : parts.map(\.count))
                }
                guard kept > 0 else { continue }
                metrics.samplesPending.increment(by: Double(kept))
                for i in parts.indices where !parts[i].isEmpty {
                    for j in parts[i].indices { parts[i][j].seq = seq }
                    guard await push(parts[i], into: shards[i]) else { return .stop }
                }
            }
        }
    }

    /// Pushes all of `items` into `shard`, waiting for space (backpressure: the rest waits in
    /// the WAL). Returns false when stopped first (past the flush deadline, or cancelled):
    /// what was not pushed is not acknowledged, so it is read again after the next start.
    private func push(_ items: [QueuedSample], into shard: ShardQueue) async -> Bool {
        var rest = items[...]
        while !rest.isEmpty {
            // Wake at least twice a second to notice a stop.
            let n = await shard.push(
                rest, deadline: min(currentFlushDeadline ?? .now + .milliseconds(500), .now + .milliseconds(500)))
            rest = rest.dropFirst(n)
            if !rest.isEmpty && (Task.isCancelled || pastFlushDeadline()) {
                metrics.samplesPending.decrement(by: Double(rest.count))
                return false
            }
        }
        return true
    }

    /// `write_relabel_configs` (applied to each series once, when the reader met its
    /// definition) and `sample_age_limit`: calls `keep` with each sample kept and its index in
    /// `samples`; drops are counted by reason.
    private func filter(_ samples: [WireSample], keep: (Int, WireSample) -> Void) {
        let ageLimit = config.queueConfig.sampleAgeLimit
        let oldest = ageLimit > .zero ? currentTimeMs() - ageLimit.components.seconds * 1000 : .min
        var relabelDropped = 0
        var tooOld = 0
        for (i, s) in samples.enumerated() {
            if s.series.isDropped {
                relabelDropped += 1
            } else if s.timestampMs < oldest {
                tooOld += 1
            } else {
                keep(i, s)
            }
        }
        if relabelDropped > 0 { metrics.samplesDropped("dropped_series").increment(by: Int64(relabelDropped)) }
        if tooOld > 0 { metrics.samplesDropped("too_old").increment(by: Int64(tooOld)) }
    }

    private func runShard(_ queue: ShardQueue, index: Int) async {
        let q = config.queueConfig
        var sender = BatchSender(manager: self)
        var batch: [QueuedSample] = []
        batch.reserveCapacity(min(q.maxSamplesPerSend, 1 << 16))
        var batchBytes = 0
        var batchDeadline: ContinuousClock.Instant?
        while true {
            if Task.isCancelled || pastFlushDeadline() {
                leftInWAL(batch.count + queue.removeAll())
                return
            }
            let r = queue.pop(
                into: &batch, batchBytes: &batchBytes, maxSamples: max(1, q.maxSamplesPerSend),
                maxBytes: max(1, q.maxBytesPerSend))
            if !batch.isEmpty && batchDeadline == nil { batchDeadline = .now + q.batchSendDeadline }
            if !batch.isEmpty && (r.full || r.closed || ContinuousClock.now >= batchDeadline!) {
                switch await sender.send(batch) {
                case .delivered, .dropped:
                    acknowledge(batch, shard: index)
                case .aborted:
                    leftInWAL(batch.count + queue.removeAll())
                    return
                }
                batch.removeAll(keepingCapacity: true)
                batchBytes = 0
                batchDeadline = nil
                continue
            }
            if r.drained && batch.isEmpty { return }
            await queue.waitForData(until: batchDeadline)
        }
    }
}
