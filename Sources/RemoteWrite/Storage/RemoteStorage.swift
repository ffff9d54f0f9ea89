import AgentConfig
import Logging
import PromModel
import Prometheus
import ServiceLifecycle

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
public final class RemoteStorage: Appendable, Service, @unchecked Sendable {
    public let queues: [QueueManager]
    /// The WAL every queue built by `init(configs:…)` reads.
    public let wal: WAL
    let externalLabels: Labels
    let metrics: StorageMetrics
    let metadata: MetadataStore
    private let wals: [WAL]
    private let clients: [WriteClient]
    private let lock = NSLockLite()
    private var highestTimestampMs: Int64 = .min

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
    /// - Throws: `WriteClientError` when an entry's TLS files cannot be loaded; `WALIOError`
    ///   when the WAL directory cannot be created.
    public convenience init(
        configs: [RemoteWriteConfig], global: GlobalConfig, registry: PrometheusCollectorRegistry, logger: Logger,
        writeRelabel: ((RemoteWriteConfig) throws -> WriteRelabel?)? = nil,
        maxEnqueueWait: Duration? = nil, flushTimeout: Duration = .seconds(60),
        storagePath: String? = nil, walOptions: WALOptions = WALOptions()
    ) throws {
        let wal = try WAL(
            directory: storagePath.map { ($0.hasSuffix("/") ? String($0.dropLast()) : $0) + "/wal" },
            options: walOptions,
            registry: registry, logger: logger)
        let store = MetadataStore()
        var clients: [WriteClient] = []
        var queues: [QueueManager] = []
        var usedNames: Set<String> = []
        for (i, c) in configs.enumerated() {
            var name = c.remoteName
            if usedNames.contains(name) { name += "-\(i)" }
            usedNames.insert(name)
            let client = try WriteClient(config: c, logger: logger)
            clients.append(client)
            queues.append(
                QueueManager(
                    config: c, remoteName: name, client: client, registry: registry, logger: logger,
                    relabel: try writeRelabel?(c), metadataSource: { store.snapshot() }, flushTimeout: flushTimeout,
                    wal: wal))
        }
        // Positions of endpoints no longer configured would pin nothing but could resend an
        // old backlog if the name came back: forget them.
        wal.removePositions(except: usedNames)
        self.init(queues: queues, clients: clients, metadata: store, wal: wal, global: global, registry: registry)
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
        self.init(queues: queues, clients: [], metadata: MetadataStore(), wal: wal, global: global, registry: registry)
    }

    private init(
        queues: [QueueManager], clients: [WriteClient], metadata: MetadataStore, wal: WAL, global: GlobalConfig,
        registry: PrometheusCollectorRegistry
    ) {
        self.queues = queues
        self.clients = clients
        self.metadata = metadata
        self.wal = wal
        var seen: Set<ObjectIdentifier> = []
        var wals: [WAL] = []
        for w in [wal] + queues.map(\.wal) where seen.insert(ObjectIdentifier(w)).inserted { wals.append(w) }
        self.wals = wals
        self.externalLabels = global.externalLabels
        self.metrics = StorageMetrics(registry: registry)
    }

    /// The metadata collected so far, one entry per family.
    @Sendable public func metadataSnapshot() -> [MetricMetadata] { metadata.snapshot() }

    public func appender() -> any Appender { RemoteAppender(storage: self) }

    /// Runs every queue and the WAL's housekeeping (fsync, segment deletion, bounds) until
    /// graceful shutdown; then syncs and closes the WAL and shuts the HTTP clients down.
    public func run() async throws {
        if queues.isEmpty {
            // No remote_write configured: nothing to run, but a Service must live until
            // shutdown (a service that returns early fails the whole ServiceGroup).
            try? await gracefulShutdown()
            return
        }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for w in wals { group.addTask { await w.runMaintenance() } }
                await withTaskGroup(of: Void.self) { inner in
                    for q in queues { inner.addTask { try? await q.run() } }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            // Scraping has stopped: make every appended sample durable first.
            for w in self.wals { w.sync() }
        }
        for w in wals {
            w.housekeeping()
            w.close()
        }
        for c in clients { await c.shutdown() }
    }

    /// Stops every queue, delivering until `deadline`; returns when they have finished.
    public func stop(deadline: ContinuousClock.Instant) async {
        for w in wals { w.sync() }
        await withTaskGroup(of: Void.self) { group in
            for q in queues { group.addTask { await q.stop(deadline: deadline) } }
        }
    }

    /// Adds external labels and appends to the WAL.
    /// - Throws: `WALIOError` when the WAL cannot be written (disk full): the samples are
    ///   lost (counted in `promsls_wal_samples_failed_total`), nothing corrupt is left.
    func commit(_ samples: [TimeSeriesSample], metadata md: [MetricMetadata]) async throws {
        if !md.isEmpty { metadata.update(md) }
        guard !samples.isEmpty else { return }
        var out = samples
        var highest = Int64.min
        for i in out.indices {
            if !externalLabels.isEmpty { out[i].labels = Self.merge(out[i].labels, externalLabels) }
            if out[i].sample.timestampMs > highest { highest = out[i].sample.timestampMs }
        }
        metrics.samplesIn.increment(by: Int64(out.count))
        let newHighest: Int64? = lock.withLock {
            guard highest > highestTimestampMs else { return nil }
            highestTimestampMs = highest
            return highest
        }
        if let newHighest { metrics.highestTimestamp.set(to: Double(newHighest) / 1000) }
        for w in wals { try w.append(out) }
    }

    /// `series` plus every external label whose name it does not have (the series' own
    /// label wins, as in Prometheus). Both inputs are sorted; one merge pass.
    static func merge(_ series: Labels, _ external: Labels) -> Labels {
        var out: [Label] = []
        out.reserveCapacity(series.count + external.count)
        var i = series.startIndex
        var j = external.startIndex
        while i < series.endIndex || j < external.endIndex {
            if j == external.endIndex {
                out.append(series[i])
                i += 1
            } else if i == series.endIndex {
                out.append(external[j])
                j += 1
            } else if series[i].name == external[j].name {
                out.append(series[i])
                i += 1
                j += 1
            } else if series[i] < external[j] {
                out.append(series[i])
                i += 1
            } else {
                out.append(external[j])
                j += 1
            }
        }
        return Labels(trustedSorted: out)
    }
}

/// One scrape's appender: not shared between tasks (see `Appender`).
final class RemoteAppender: Appender {
    let storage: RemoteStorage
    var pending: [TimeSeriesSample] = []
    var pendingMetadata: [MetricMetadata] = []

    init(storage: RemoteStorage) { self.storage = storage }

    func append(_ labels: Labels, timestampMs: Int64, value: Double) throws {
        pending.append(TimeSeriesSample(labels: labels, timestampMs: timestampMs, value: value))
    }

    func updateMetadata(_ metadata: MetricMetadata) { pendingMetadata.append(metadata) }

    func commit() async throws {
        let s = pending
        let m = pendingMetadata
        pending.removeAll(keepingCapacity: true)
        pendingMetadata.removeAll(keepingCapacity: true)
        try await storage.commit(s, metadata: m)
    }

    func rollback() {
        pending.removeAll(keepingCapacity: true)
        pendingMetadata.removeAll(keepingCapacity: true)
    }
}

/// The latest metadata per metric family.
final class MetadataStore: @unchecked Sendable {
    private let lock = NSLockLite()
    private var byFamily: [String: MetricMetadata] = [:]

    func update(_ md: [MetricMetadata]) {
        lock.withLock { for m in md { byFamily[m.familyName] = m } }
    }

    func snapshot() -> [MetricMetadata] {
        lock.withLock { byFamily.values.sorted { $0.familyName < $1.familyName } }
    }
}
