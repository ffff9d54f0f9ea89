import AgentConfig
import Logging
import PromModel
import Prometheus
import ServiceLifecycle

/// The remote-write side of the `Appender` seam: appenders collect samples; `commit()` adds
/// `global.external_labels` and queues the samples into every `remote_write` entry's
/// `QueueManager`. Metric metadata from appenders is kept (latest per family) and sent by
/// each queue every `metadata_config.send_interval`.
///
/// **A slow endpoint** cannot block the others forever: each queue has a bounded buffer
/// (`capacity` samples per shard). `commit()` queues into all endpoints concurrently and
/// waits for space at most `maxEnqueueWait`; samples an endpoint cannot take by then are
/// dropped for that endpoint only (counted in `prometheus_remote_storage_samples_dropped_total`
/// and logged). Scrapes therefore slow down by at most `maxEnqueueWait` per commit while an
/// endpoint is stuck, and the healthy endpoints keep receiving everything.
///
/// Put it in the `ServiceGroup` *before* the scrape manager so it shuts down after it (a
/// `ServiceGroup` stops services in reverse order) and flushes the last scrapes.
public final class RemoteStorage: Appendable, Service, @unchecked Sendable {
    public let queues: [QueueManager]
    let externalLabels: Labels
    let maxEnqueueWait: Duration?
    let metrics: StorageMetrics
    let metadata: MetadataStore
    private let clients: [WriteClient]
    private let lock = NSLockLite()
    private var highestTimestampMs: Int64 = .min

    /// Builds one `WriteClient` and `QueueManager` per `remote_write` entry.
    /// - Parameters:
    ///   - configs: the `remote_write` entries.
    ///   - global: `external_labels` are taken from here.
    ///   - registry: self-metrics registry.
    ///   - writeRelabel: builds an entry's `write_relabel_configs` function (nil: none).
    ///   - maxEnqueueWait: how long `commit()` waits for a full endpoint queue before
    ///     dropping for that endpoint (nil: wait forever — full backpressure).
    ///   - flushTimeout: bound on flushing at graceful shutdown.
    /// - Throws: `WriteClientError` when an entry's TLS files cannot be loaded.
    public convenience init(
        configs: [RemoteWriteConfig], global: GlobalConfig, registry: PrometheusCollectorRegistry, logger: Logger,
        writeRelabel: ((RemoteWriteConfig) throws -> WriteRelabel?)? = nil,
        maxEnqueueWait: Duration? = .seconds(10), flushTimeout: Duration = .seconds(60)
    ) throws {
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
                    relabel: try writeRelabel?(c), metadataSource: { store.snapshot() }, flushTimeout: flushTimeout))
        }
        self.init(
            queues: queues, clients: clients, metadata: store, global: global, registry: registry,
            maxEnqueueWait: maxEnqueueWait)
    }

    /// Wraps queues built by the caller (tests, custom clients). Metadata reaches them only
    /// if they were built with `metadataSource: storage.metadataSnapshot` — use
    /// `init(configs:…)` for the usual wiring.
    public init(
        queues: [QueueManager], global: GlobalConfig, registry: PrometheusCollectorRegistry,
        maxEnqueueWait: Duration? = .seconds(10)
    ) {
        self.queues = queues
        self.clients = []
        self.metadata = MetadataStore()
        self.externalLabels = global.externalLabels
        self.maxEnqueueWait = maxEnqueueWait
        self.metrics = StorageMetrics(registry: registry)
    }

    private init(
        queues: [QueueManager], clients: [WriteClient], metadata: MetadataStore, global: GlobalConfig,
        registry: PrometheusCollectorRegistry, maxEnqueueWait: Duration?
    ) {
        self.queues = queues
        self.clients = clients
        self.metadata = metadata
        self.externalLabels = global.externalLabels
        self.maxEnqueueWait = maxEnqueueWait
        self.metrics = StorageMetrics(registry: registry)
    }

    /// The metadata collected so far, one entry per family.
    @Sendable public func metadataSnapshot() -> [MetricMetadata] { metadata.snapshot() }

    public func appender() -> any Appender { RemoteAppender(storage: self) }

    /// Runs every queue until graceful shutdown (each flushes for at most `flushTimeout`),
    /// then shuts the HTTP clients down.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            for q in queues { group.addTask { try? await q.run() } }
        }
        for c in clients { await c.shutdown() }
    }

    /// Stops every queue, flushing until `deadline`; returns when they have finished.
    public func stop(deadline: ContinuousClock.Instant) async {
        await withTaskGroup(of: Void.self) { group in
            for q in queues { group.addTask { await q.stop(deadline: deadline) } }
        }
    }

    /// Adds external labels, then queues into every endpoint concurrently.
    func commit(_ samples: [TimeSeriesSample], metadata md: [MetricMetadata]) async {
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
        let batch = out
        if queues.count == 1 {
            await queues[0].enqueue(batch, maxWait: maxEnqueueWait)
            return
        }
        await withTaskGroup(of: Void.self) { group in
            for q in queues {
                group.addTask { await q.enqueue(batch, maxWait: self.maxEnqueueWait) }
            }
        }
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
        await storage.commit(s, metadata: m)
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
