import AgentConfig
import Logging
import PromModel
import Prometheus
import ServiceLifecycle
import Synchronization

/// The remote-write side of the `Appender` seam: appenders collect samples; `commit()` adds
/// `global.external_labels` and appends them to the WAL (durable per its fsync policy), then
/// returns. Each `remote_write` entry's `QueueManager` reads the WAL at its own pace from its
/// own saved position, so a slow or down endpoint never slows scraping or the others, and
/// nothing is dropped while the WAL is within `--storage.agent.max-size` /
/// `--storage.agent.retention`. Metric metadata from appenders is kept (latest per family)
/// and sent by each queue every `metadata_config.send_interval`.
///
/// Put it in the `ServiceGroup` *before* the scrape manager so it shuts down after it (a
/// `ServiceGroup` stops services in reverse order): on graceful shutdown the WAL is synced,
/// every queue delivers what it can within `flushTimeout`, positions are saved, and what was
/// not delivered is sent after the next start.
public final class RemoteStorage: Appendable, Service, Sendable {
    /// The queues, one per `remote_write` entry (changes on reload, see `apply`).
    public var queues: [QueueManager] { state.withLock { $0.endpoints.map(\.queue) } }
    /// The WAL every queue built by `init(configs:…)` reads.
    public let wal: WAL
    var externalLabels: Labels { state.withLock { $0.externalLabels } }
    let metrics: StorageMetrics
    let metadata: MetadataStore
    private let wals: [WAL]
    /// What reloads and commits change: the storage's one lock.
    let state: Mutex<State>
    /// Builds the queue of a `remote_write` entry added by a reload (nil: built from queues).
    let factory: EndpointFactory?
    /// Queues started by a reload, picked up by `run()`.
    let startedQueues: AsyncStream<QueueManager>
    let startedQueuesContinuation: AsyncStream<QueueManager>.Continuation

    struct State {
        /// The running endpoints: config (as configured), queue, and the client it owns (if any).
        var endpoints: [Endpoint]
        var externalLabels: Labels
        /// The newest sample timestamp committed (ms; `.min`: none yet).
        var highestTimestampMs: Int64 = .min
    }

    /// One running `remote_write` entry.
    struct Endpoint {
        var config: RemoteWriteConfig?
        var name: String
        var queue: QueueManager
        var client: WriteClient?
    }

    /// Makes the client and queue of one entry (`config`, unique `name`).
    typealias EndpointFactory = @Sendable (RemoteWriteConfig, String) throws -> (QueueManager, WriteClient)

    /// Opens the WAL and builds one `WriteClient` and `QueueManager` per `remote_write` entry.
    /// - Parameters:
    ///   - configs: the `remote_write` entries.
    ///   - global: `external_labels` are taken from here.
    ///   - registry: self-metrics registry.
    ///   - writeRelabel: builds an entry's `write_relabel_configs` function (nil: none).
    ///   - maxEnqueueWait: unused since the WAL (kept for source compatibility).
    ///   - flushTimeout: bound on delivering at graceful shutdown.
    ///   - storagePath: `--storage.agent.path`; the WAL lives in `<path>/wal`. nil: in memory
    ///     (nothing survives a restart).
    ///   - walOptions: segment size, size and age bounds, fsync policy.
    ///   - notices: where the queues post conditions operators must see (refused SLS credentials).
    ///   - clock: what the queues' waits are measured on (tests pass a manual clock).
    /// - Throws: `WriteClientError` when an entry's TLS files cannot be loaded; `WALIOError`
    ///   when the WAL directory cannot be created.
    public convenience init<C: Clock<Duration>>(
        configs: [RemoteWriteConfig], global: GlobalConfig, registry: PrometheusCollectorRegistry, logger: Logger,
        writeRelabel: (@Sendable (RemoteWriteConfig) throws -> WriteRelabel?)? = nil,
        maxEnqueueWait: Duration? = nil, flushTimeout: Duration = .seconds(60),
        storagePath: String? = nil, walOptions: WALOptions = WALOptions(), notices: NoticeBoard? = nil,
        clock: C = ContinuousClock()
    ) throws {
        let wal = try WAL(
            directory: storagePath.map { ($0.hasSuffix("/") ? String($0.dropLast()) : $0) + "/wal" },
            options: walOptions,
            registry: registry, logger: logger)
        let store = MetadataStore()
        let factory: EndpointFactory = { c, name in
            let client = try WriteClient(config: c, logger: logger)
            var relabel = try writeRelabel?(c)
            if let model = c.slsDataModel {
                relabel = SLSSanitizer(model: model, registry: registry, remoteName: name, logger: logger).after(
                    relabel)
            }
            let queue = QueueManager(
                config: c, remoteName: name, client: client, registry: registry, logger: logger,
                relabel: relabel, metadataSource: { store.snapshot() }, flushTimeout: flushTimeout, wal: wal,
                notices: notices, clock: clock)
            return (queue, client)
        }
        var endpoints: [Endpoint] = []
        for (c, name) in zip(configs, Self.names(configs)) {
            let (queue, client) = try factory(c, name)
            endpoints.append(Endpoint(config: c, name: name, queue: queue, client: client))
        }
        // Positions of endpoints no longer configured would pin nothing but could resend an
        // old backlog if the name came back: forget them.
        wal.removePositions(except: Set(endpoints.map(\.name)))
        self.init(
            endpoints: endpoints, factory: factory, metadata: store, wal: wal, global: global, registry: registry)
    }

    /// Unique remote names for `configs` (`name`, or a hash of the URL; repeats get `-<index>`).
    static func names(_ configs: [RemoteWriteConfig]) -> [String] {
        var used: Set<String> = []
        return configs.enumerated().map { i, c in
            var name = c.remoteName
            if used.contains(name) { name += "-\(i)" }
            used.insert(name)
            return name
        }
    }

    /// Wraps queues built by the caller (tests, custom clients); commits go to every distinct
    /// WAL the queues read. Metadata reaches them only if they were built with
    /// `metadataSource: storage.metadataSnapshot` — use `init(configs:…)` for the usual wiring.
    public convenience init(
        queues: [QueueManager], global: GlobalConfig, registry: PrometheusCollectorRegistry,
        maxEnqueueWait: Duration? = nil
    ) {
        let wal =
            queues.first?.wal
            ?? (try! WAL(
                directory: nil, options: WALOptions(maxSize: 0, retention: .zero), registry: registry,
                logger: Logger(label: "wal")))
        self.init(
            endpoints: queues.map { Endpoint(config: nil, name: $0.remoteName, queue: $0, client: nil) },
            factory: nil, metadata: MetadataStore(), wal: wal, global: global, registry: registry)
    }

    private init(
        endpoints: [Endpoint], factory: EndpointFactory?, metadata: MetadataStore, wal: WAL, global: GlobalConfig,
        registry: PrometheusCollectorRegistry
    ) {
        self.factory = factory
        self.metadata = metadata
        self.wal = wal
        var seen: Set<ObjectIdentifier> = []
        var wals: [WAL] = []
        for w in [wal] + endpoints.map(\.queue.wal) where seen.insert(ObjectIdentifier(w)).inserted { wals.append(w) }
        self.wals = wals
        self.state = Mutex(State(endpoints: endpoints, externalLabels: global.externalLabels))
        for w in wals { w.series.setExternalLabels(global.externalLabels) }
        self.metrics = StorageMetrics(registry: registry)
        (startedQueues, startedQueuesContinuation) = AsyncStream.makeStream(of: QueueManager.self)
    }

    /// The metadata collected so far, one entry per family.
    @Sendable public func metadataSnapshot() -> [MetricMetadata] { metadata.snapshot() }

    public func appender() -> any Appender { RemoteAppender(storage: self) }

    /// Runs every queue and the WAL's housekeeping (fsync, segment deletion, bounds) until
    /// graceful shutdown; then syncs and closes the WAL and shuts the HTTP clients down.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for w in wals { group.addTask { await w.runMaintenance() } }
                await withTaskGroup(of: Void.self) { inner in
                    for q in queues { inner.addTask { try? await q.run() } }
                    // Queues of endpoints added by a reload; the stream ends at shutdown, so
                    // this also keeps the service alive with no remote_write at all.
                    for await q in startedQueues { inner.addTask { try? await q.run() } }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            // Scraping has stopped: make every appended sample durable first.
            for w in self.wals { w.sync() }
            self.startedQueuesContinuation.finish()
        }
        for w in wals {
            w.housekeeping()
            w.close()
        }
        for c in state.withLock({ $0.endpoints.compactMap(\.client) }) { await c.shutdown() }
    }

    /// Stops every queue, delivering until `deadline`; returns when they have finished.
    public func stop(deadline: ContinuousClock.Instant) async {
        await stop(within: ContinuousClock.now.duration(to: deadline))
    }

    /// Stops every queue, delivering for at most `timeout` on each queue's clock; returns when
    /// they have finished.
    public func stop(within timeout: Duration) async {
        for w in wals { w.sync() }
        startedQueuesContinuation.finish()
        await withTaskGroup(of: Void.self) { group in
            for q in queues { group.addTask { await q.stop(within: timeout) } }
        }
    }

    /// The series appenders append by ref (the WAL's table).
    var series: SeriesTable { wal.series }

    /// Appends one commit to the WAL (every WAL the queues read); series are defined there
    /// with `global.external_labels` added (the series' own label wins).
    /// - Throws: `WALIOError` when the WAL cannot be written (disk full): the samples are
    ///   lost (counted in `promsls_wal_samples_failed_total`), nothing corrupt is left.
    /// Exemplars (`index` into `samples`) are written with their samples when some endpoint
    /// has `send_exemplars`; their own labels get no external labels.
    func commit(
        _ samples: [RefSample], exemplars: [IndexedExemplar] = [], metadata md: [MetricMetadata]
    ) async throws {
        if !md.isEmpty { metadata.update(md) }
        guard !samples.isEmpty else { return }
        let exemplars = exemplars.isEmpty || !wantsExemplars ? [] : exemplars
        var highest = Int64.min
        for s in samples where s.timestampMs > highest { highest = s.timestampMs }
        metrics.samplesIn.increment(by: Int64(samples.count))
        let newHighest: Int64? = state.withLock {
            guard highest > $0.highestTimestampMs else { return nil }
            $0.highestTimestampMs = highest
            return highest
        }
        if let newHighest { metrics.highestTimestamp.set(to: Double(newHighest) / 1000) }
        for w in wals {
            try await w.commit(samples, series: series, exemplars: exemplars)
        }
    }

    /// Appends samples given by label set (tests, tools): as `commit(_:exemplars:metadata:)`.
    func commit(
        _ samples: [TimeSeriesSample], exemplars: [IndexedExemplar] = [], metadata md: [MetricMetadata]
    ) async throws {
        let refs = samples.map {
            RefSample(ref: series.ref(for: $0.labels), timestampMs: $0.sample.timestampMs, value: $0.sample.value)
        }
        try await commit(refs, exemplars: exemplars, metadata: md)
    }

    /// Whether some running endpoint sends exemplars.
    var wantsExemplars: Bool { state.withLock { $0.endpoints.contains { $0.queue.config.sendExemplars } } }
}

/// One scrape's appender: not shared between tasks (see `Appender`). Samples are kept as
/// (ref, timestamp, value) until `commit`; a series is resolved by labels only on its first
/// sample.
final class RemoteAppender: Appender {
    let storage: RemoteStorage
    let series: SeriesTable
    var pending: [RefSample] = []
    var pendingExemplars: [IndexedExemplar] = []
    var pendingMetadata: [MetricMetadata] = []

    init(storage: RemoteStorage) {
        self.storage = storage
        self.series = storage.series
    }

    func append(_ labels: Labels, timestampMs: Int64, value: Double) throws -> SeriesRef {
        let ref = series.ref(for: labels)
        pending.append(RefSample(ref: ref, timestampMs: timestampMs, value: value))
        return ref
    }

    func append(ref: SeriesRef, timestampMs: Int64, value: Double) throws -> Bool {
        guard series.touch(ref) else { return false }
        pending.append(RefSample(ref: ref, timestampMs: timestampMs, value: value))
        return true
    }

    /// Attaches `exemplar` to the latest pending sample of `ref` (the one just appended, in a
    /// scrape); without one, or when that sample has an exemplar already, it is ignored.
    func appendExemplar(ref: SeriesRef, exemplar: Exemplar) throws {
        var i = pending.count - 1
        while i >= 0 && pending[i].ref != ref { i -= 1 }
        guard i >= 0 else { return }
        if let last = pendingExemplars.last, last.index >= i { return }
        pendingExemplars.append(IndexedExemplar(index: i, exemplar: exemplar))
    }

    func updateMetadata(_ metadata: MetricMetadata) { pendingMetadata.append(metadata) }

    func commit() async throws {
        let s = pending
        let e = pendingExemplars
        let m = pendingMetadata
        pending.removeAll(keepingCapacity: true)
        pendingExemplars.removeAll(keepingCapacity: true)
        pendingMetadata.removeAll(keepingCapacity: true)
        try await storage.commit(s, exemplars: e, metadata: m)
    }

    func rollback() {
        pending.removeAll(keepingCapacity: true)
        pendingExemplars.removeAll(keepingCapacity: true)
        pendingMetadata.removeAll(keepingCapacity: true)
    }
}

/// The latest metadata per metric family.
final class MetadataStore: Sendable {
    private let byFamily = Mutex<[String: MetricMetadata]>([:])

    func update(_ md: [MetricMetadata]) {
        byFamily.withLock { for m in md { $0[m.familyName] = m } }
    }

    func snapshot() -> [MetricMetadata] {
        byFamily.withLock { $0.values.sorted { $0.familyName < $1.familyName } }
    }
}
