import AgentConfig
import Logging
import PromModel
import Prometheus
import ServiceLifecycle

/// Rewrites or drops a series before it is queued for one endpoint (`write_relabel_configs`):
/// nil drops the series.
public typealias WriteRelabel = @Sendable (Labels) -> Labels?

/// The sending side of one `remote_write` entry, as Prometheus's `QueueManager`
/// (`storage/remote/queue_manager.go`): samples are sharded by series hash (per-series order
/// kept), each shard batches up to `max_samples_per_send` samples / `max_bytes_per_send`
/// bytes or `batch_send_deadline`, and sends with retries — exponential backoff from
/// `min_backoff` to `max_backoff`, forever while the error is recoverable (the shard blocks
/// meanwhile, and `enqueue` waits for space: backpressure).
///
/// Run it with `run()` (a swift-service-lifecycle `Service`): on graceful shutdown it stops
/// taking samples and flushes for at most `flushTimeout`. `stop(deadline:)` does the same
/// when it is not in a `ServiceGroup`.
public final class QueueManager: Service, @unchecked Sendable {
    public let remoteName: String
    public let url: String
    public let config: RemoteWriteConfig
    public let metrics: QueueMetrics
    let client: any WriteSending
    let relabel: WriteRelabel?
    let shards: [ShardQueue]
    let logger: Logger
    let flushTimeout: Duration
    let metadataSource: (@Sendable () -> [MetricMetadata])?

    private let lock = NSLockLite()
    private var flushDeadline: ContinuousClock.Instant?
    private var highestSentTimestampMs: Int64 = .min
    private var running = false
    private var finished = false
    private var finishWaiters = WaitList()

    /// - Parameters:
    ///   - config: the `remote_write` entry (queue and metadata settings are used here).
    ///   - remoteName: the `remote_name` label; defaults to `RemoteWriteConfig.remoteName`.
    ///   - client: where batches go (`WriteClient` in production).
    ///   - registry: where self-metrics are registered.
    ///   - relabel: `write_relabel_configs`, applied on enqueue.
    ///   - metadataSource: current metric metadata, sent every `metadata_config.send_interval`
    ///     when `metadata_config.send` is on.
    ///   - flushTimeout: how long a graceful shutdown may spend flushing (Prometheus: 1m).
    public init(
        config: RemoteWriteConfig, remoteName: String? = nil, client: any WriteSending,
        registry: PrometheusCollectorRegistry, logger: Logger, relabel: WriteRelabel? = nil,
        metadataSource: (@Sendable () -> [MetricMetadata])? = nil, flushTimeout: Duration = .seconds(60)
    ) {
        self.config = config
        self.remoteName = remoteName ?? config.remoteName
        self.url = config.url
        self.client = client
        self.relabel = relabel
        self.metadataSource = metadataSource
        self.flushTimeout = flushTimeout
        var logger = logger
        logger[metadataKey: "remote_name"] = .string(self.remoteName)
        logger[metadataKey: "url"] = .string(config.url)
        self.logger = logger
        let q = config.queueConfig
        let n = max(1, q.minShards)
        shards = (0..<n).map { _ in ShardQueue(capacity: q.capacity) }
        metrics = QueueMetrics(registry: registry, remoteName: self.remoteName, url: config.url)
        metrics.shards.set(to: Double(n))
        metrics.shardsMin.set(to: Double(n))
        metrics.shardsMax.set(to: Double(max(n, q.maxShards)))
        metrics.shardCapacity.set(to: Double(q.capacity))
    }

    // MARK: - Producer side

    /// Queues committed samples (in commit order), after `write_relabel_configs`. Waits while
    /// a shard is full (backpressure), at most `maxWait` (nil: until space or stop).
    /// Samples that do not fit in time, or arrive after `stop`, are dropped and counted in
    /// `prometheus_remote_storage_samples_dropped_total`.
    /// - Returns: the number of samples queued.
    @discardableResult
    public func enqueue(_ samples: [TimeSeriesSample], maxWait: Duration? = nil) async -> Int {
        var input = samples
        var relabelDropped = 0
        if let relabel {
            input = []
            input.reserveCapacity(samples.count)
            for s in samples {
                if let l = relabel(s.labels), !l.isEmpty {
                    input.append(TimeSeriesSample(labels: l, timestampMs: s.sample.timestampMs, value: s.sample.value))
                } else {
                    relabelDropped += 1
                }
            }
            if relabelDropped > 0 { metrics.samplesDropped.increment(by: Int64(relabelDropped)) }
        }
        guard !input.isEmpty else { return 0 }
        let deadline = maxWait.map { ContinuousClock.now + $0 }
        var accepted = 0
        if shards.count == 1 {
            accepted = await shards[0].push(input[...], deadline: deadline)
        } else {
            var parts = [[TimeSeriesSample]](repeating: [], count: shards.count)
            for s in input { parts[Int(s.labels.stableHash % UInt64(shards.count))].append(s) }
            for (i, part) in parts.enumerated() where !part.isEmpty {
                accepted += await shards[i].push(part[...], deadline: deadline)
            }
        }
        metrics.samplesPending.increment(by: Double(accepted))
        let dropped = input.count - accepted
        if dropped > 0 {
            metrics.samplesDropped.increment(by: Int64(dropped))
            logger.warning(
                "remote write queue full or stopped: samples dropped",
                metadata: ["dropped": "\(dropped)", "capacity_per_shard": "\(config.queueConfig.capacity)"])
        }
        return accepted
    }

    // MARK: - Lifecycle

    public func run() async throws {
        lock.withLock { running = true }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { outer in
                outer.addTask { await self.runMetadataLoop() }
                await withTaskGroup(of: Void.self) { group in
                    for shard in self.shards {
                        group.addTask { await self.runShard(shard) }
                    }
                }
                outer.cancelAll()
            }
        } onGracefulShutdown: {
            self.beginStop(deadline: .now + self.flushTimeout)
        }
        let wake = lock.withLock {
            finished = true
            return finishWaiters.fireAll()
        }
        for c in wake { c.resume() }
    }

    /// Stops taking samples, flushes what it can until `deadline`, and returns when `run()`
    /// has finished (at once if `run()` has not started: a later `run()` then only flushes).
    /// Samples still queued at the deadline are dropped and counted.
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
        for s in shards { s.close() }
    }

    var currentFlushDeadline: ContinuousClock.Instant? { lock.withLock { flushDeadline } }

    /// Whether a wait of `wait` would overrun the flush deadline (only while stopping).
    func pastFlushDeadline(after wait: Duration = .zero) -> Bool {
        guard let d = currentFlushDeadline else { return false }
        return ContinuousClock.now + wait > d
    }

    // MARK: - Shard loop

    private func runShard(_ queue: ShardQueue) async {
        let q = config.queueConfig
        var sender = BatchSender(manager: self)
        var batch: [TimeSeriesSample] = []
        batch.reserveCapacity(min(q.maxSamplesPerSend, 1 << 16))
        var batchBytes = 0
        var batchDeadline: ContinuousClock.Instant?
        while true {
            if Task.isCancelled || pastFlushDeadline() {
                let lost = batch.count + queue.removeAll()
                dropOnStop(lost)
                return
            }
            let r = queue.pop(
                into: &batch, batchBytes: &batchBytes, maxSamples: max(1, q.maxSamplesPerSend),
                maxBytes: max(1, q.maxBytesPerSend))
            if !batch.isEmpty && batchDeadline == nil { batchDeadline = .now + q.batchSendDeadline }
            if !batch.isEmpty && (r.full || r.closed || ContinuousClock.now >= batchDeadline!) {
                await sender.send(batch)
                batch.removeAll(keepingCapacity: true)
                batchBytes = 0
                batchDeadline = nil
                continue
            }
            if r.drained && batch.isEmpty { return }
            await queue.waitForData(until: batchDeadline)
        }
    }

    private func dropOnStop(_ n: Int) {
        guard n > 0 else { return }
        metrics.samplesDropped.increment(by: Int64(n))
        metrics.samplesPending.decrement(by: Double(n))
        logger.warning("remote write stopped before these samples could be sent", metadata: ["dropped": "\(n)"])
    }

    func noteSent(highestTimestampMs: Int64) {
        let v: Int64? = lock.withLock {
            guard highestTimestampMs > highestSentTimestampMs else { return nil }
            highestSentTimestampMs = highestTimestampMs
            return highestTimestampMs
        }
        if let v { metrics.highestSentTimestamp.set(to: Double(v) / 1000) }
    }

    // MARK: - Metadata

    private func runMetadataLoop() async {
        guard config.metadataConfig.send, let source = metadataSource else { return }
        while true {
            do { try await Task.sleep(for: config.metadataConfig.sendInterval) } catch { return }
            let md = source()
            if !md.isEmpty { await sendMetadata(md) }
        }
    }

    /// Sends `metadata` in requests of at most `metadata_config.max_samples_per_send` entries,
    /// retrying recoverable failures with backoff until stopped.
    public func sendMetadata(_ metadata: [MetricMetadata]) async {
        var sender = BatchSender(manager: self)
        let per = max(1, config.metadataConfig.maxSamplesPerSend)
        var i = 0
        while i < metadata.count {
            let chunk = metadata[i..<min(i + per, metadata.count)]
            await sender.send(metadata: chunk)
            i += per
        }
    }
}

extension RemoteWriteConfig {
    /// The `remote_name` label: `name`, or when empty a short stable hash of the URL (6 hex
    /// digits of FNV-1a; Prometheus hashes the whole config the same way).
    public var remoteName: String {
        guard name.isEmpty else { return name }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in url.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        let hex = String(h, radix: 16)
        return String((String(repeating: "0", count: max(0, 16 - hex.count)) + hex).prefix(6))
    }
}
