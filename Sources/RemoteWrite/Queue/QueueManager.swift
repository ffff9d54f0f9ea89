import AgentConfig
import Logging
import PromModel
import Prometheus
import ServiceLifecycle
import Synchronization

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
/// The decisions live in `QueueStateMachine`, held behind one `Mutex` (`state`); this class
/// is the I/O shell around it. Every wait (batch deadline, back-off, `Retry-After`, the shard
/// and position periods, the flush deadline) is on the injected clock.
///
/// Run it with `run()` (a swift-service-lifecycle `Service`): on graceful shutdown it reads
/// to the end of the WAL and delivers what it can within `flushTimeout`; when that deadline
/// passes the reader, the shards and their sends are cancelled and the rest stays in the WAL
/// for the next start. `stop(deadline:)` does the same outside a `ServiceGroup`.
public final class QueueManager: Service, Sendable {
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
    let positionSaveInterval: Duration
    /// Where SLS conditions (refused credentials, missing Metricstore) are shown to operators.
    let notices: NoticeBoard?
    let clock: QueueClock
    /// The lifecycle, ack tracking and send bookkeeping: the one lock of the queue.
    let state: Mutex<QueueStateMachine>
    /// Bumped when batches are acknowledged: wakes the position saver.
    let acknowledged = ChangeSignal()
    /// Bumped when a stop request moves the flush deadline: wakes the deadline timer.
    let stopRequests = ChangeSignal()
    /// Skips, while re-reading records after a restart, samples delivered before it.
    let deliveredFilter: DeliveredFilter?

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
    ///   - positionSaveInterval: how often, at most, the WAL position is saved.
    ///   - notices: where refused SLS credentials and a missing Metricstore are posted.
    ///   - clock: what every wait of the queue is measured on (tests pass a manual clock).
    public init<C: Clock<Duration>>(
        config: RemoteWriteConfig, remoteName: String? = nil, client: any WriteSending,
        registry: PrometheusCollectorRegistry, logger: Logger, relabel: WriteRelabel? = nil,
        metadataSource: (@Sendable () -> [MetricMetadata])? = nil, flushTimeout: Duration = .seconds(60),
        wal: WAL? = nil, shardUpdateInterval: Duration = .seconds(10), positionSaveInterval: Duration = .seconds(1),
        notices: NoticeBoard? = nil, clock: C = ContinuousClock()
    ) {
        self.notices = notices
        self.config = config
        self.remoteName = remoteName ?? config.remoteName
        self.url = config.url
        self.client = client
        self.relabel = relabel
        self.metadataSource = metadataSource
        self.flushTimeout = flushTimeout
        self.positionSaveInterval = positionSaveInterval
        self.clock = QueueClock(clock)
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
        let m = QueueMetrics(registry: registry, remoteName: self.remoteName, url: config.url)
        metrics = m
        let start = self.wal.registerReader(self.remoteName) { samples, _, _, _ in
            m.samplesDropped(.retention).increment(by: Int64(samples))
        }
        let filter = DeliveredFilter(start)
        deliveredFilter = filter
        state = Mutex(
            QueueStateMachine(
                start: start, resumedShardings: filter?.shardings ?? [],
                limits: .init(minShards: q.minShards, maxShards: q.maxShards, shardUpdateInterval: shardUpdateInterval)
            ))
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
            if let filter { md["delivered_by_some_shards_up_to"] = "\(filter.limit)" }
            logger.info("remote write resumes from its saved WAL position", metadata: md)
        }
    }

    /// The position up to which everything is delivered (or dropped for good).
    public var ackedPosition: WALPosition { state.withLock { $0.tracker.acked } }
    /// Shards running now.
    public var currentShards: Int { state.withLock { $0.shards } }

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

    /// Reads and delivers until stopped. The reader with its shards, the flush-deadline timer,
    /// the position saver, the shard calculation and the metadata loop run as child tasks;
    /// when delivery ends (a stop, caught up) or the flush deadline passes, the rest are
    /// cancelled. The position is saved last.
    public func run() async throws {
        guard state.withLock({ $0.start() }) == .run else { return }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Bool.self) { group in
                // Each child says whether its end ends the run.
                group.addTask {
                    await self.runReaderAndShards()
                    return true
                }
                group.addTask { await self.runDeadlineTimer() }
                group.addTask {
                    await self.runPositionSaver()
                    return false
                }
                group.addTask {
                    await self.runShardCalculation()
                    return false
                }
                group.addTask {
                    await self.runMetadataLoop()
                    return false
                }
                while let endsRun = await group.next(), !endsRun {}
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.requestStop(within: self.flushTimeout, waiting: false)
        }
        await savePosition(final: true)
        for c in state.withLock({ $0.finished() }) { c.resume() }
    }

    /// Stops reading new commits once caught up, delivers until `deadline`, saves the
    /// position and returns when `run()` has finished (at once if it has not started).
    public func stop(deadline: ContinuousClock.Instant) async {
        await stop(within: ContinuousClock.now.duration(to: deadline))
    }

    /// As `stop(deadline:)`, with the deadline `timeout` from now on the queue's clock.
    public func stop(within timeout: Duration) async {
        guard case .stopping(_, let waiter?) = requestStop(within: timeout, waiting: true) else { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            if state.withLock({ $0.park(waiter: waiter, c) }) { c.resume() }
        }
    }

    /// Records a stop request and wakes the reader (and the deadline timer if the deadline moved).
    @discardableResult
    func requestStop(within timeout: Duration, waiting: Bool) -> QueueStateMachine.StopAction {
        let deadline = clock.now() + timeout
        let action = state.withLock { $0.stopRequested(deadline: deadline, registerWaiter: waiting) }
        if case .stopping(deadlineMoved: true, _) = action { stopRequests.bump() }
        wal.appended.bump()
        return action
    }
}
