import Prometheus

/// Self-metrics of one queue, with Prometheus's names and its `remote_name` / `url` labels
/// (`storage/remote/queue_manager.go` `newQueueManagerMetrics`), so agent dashboards work.
/// Every registration of one name uses the same label names.
public struct QueueMetrics: Sendable {
    public let samplesTotal: Counter
    public let exemplarsTotal: Counter
    public let samplesFailed: Counter
    public let samplesRetried: Counter
    public let samplesPending: Gauge
    public let bytesTotal: Counter
    public let metadataTotal: Counter
    public let metadataFailed: Counter
    public let metadataRetried: Counter
    public let metadataBytesTotal: Counter
    public let sentBatchDuration: ValueHistogram
    public let shards: Gauge
    public let shardsMin: Gauge
    public let shardsMax: Gauge
    public let shardCapacity: Gauge
    public let highestSentTimestamp: Gauge
    public let shardsDesired: Gauge
    public let walBacklogBytes: Gauge
    public let walSegment: Gauge
    private let registry: PrometheusCollectorRegistry
    private let labels: [(String, String)]

    /// Prometheus's `DefBuckets` plus 25, 60, 120, 300 seconds.
    static let batchDurationBuckets: [Double] = [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120, 300,
    ]

    public init(registry: PrometheusCollectorRegistry, remoteName: String, url: String) {
        self.registry = registry
        let l = [("remote_name", remoteName), ("url", url)]
        labels = l
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: .init(metricName: name, unitName: "", helpText: help), labels: l)
        }
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: .init(metricName: name, unitName: "", helpText: help), labels: l)
        }
        samplesTotal = counter(
            "prometheus_remote_storage_samples_total", "Total number of samples sent to remote storage.")
        exemplarsTotal = counter(
            "prometheus_remote_storage_exemplars_total", "Total number of exemplars sent to remote storage.")
        samplesFailed = counter(
            "prometheus_remote_storage_samples_failed_total",
            "Total number of samples which failed on send to remote storage, non-recoverable errors.")
        samplesRetried = counter(
            "prometheus_remote_storage_samples_retried_total",
            "Total number of samples which failed on send to remote storage but were retried because the send error was recoverable."
        )
        samplesPending = gauge(
            "prometheus_remote_storage_samples_pending",
            "The number of samples pending in the queues shards to be sent to the remote storage.")
        bytesTotal = counter(
            "prometheus_remote_storage_bytes_total",
            "The total number of bytes of data (not metadata) sent by the queue after compression.")
        metadataTotal = counter(
            "prometheus_remote_storage_metadata_total", "Total number of metadata entries sent to remote storage.")
        metadataFailed = counter(
            "prometheus_remote_storage_metadata_failed_total",
            "Total number of metadata entries which failed on send to remote storage, non-recoverable errors.")
        metadataRetried = counter(
            "prometheus_remote_storage_metadata_retried_total",
            "Total number of metadata entries which failed on send to remote storage but were retried because the send error was recoverable."
        )
        metadataBytesTotal = counter(
            "prometheus_remote_storage_metadata_bytes_total",
            "The total number of bytes of metadata sent by the queue after compression.")
        sentBatchDuration = registry.makeValueHistogram(
            descriptor: .init(
                metricName: "prometheus_remote_storage_sent_batch_duration_seconds", unitName: "",
                helpText: "Duration of send calls to the remote storage."),
            labels: l, buckets: Self.batchDurationBuckets)
        shards = gauge(
            "prometheus_remote_storage_shards", "The number of shards used for parallel sending to the remote storage.")
        shardsMin = gauge(
            "prometheus_remote_storage_shards_min", "The minimum number of shards that the queue is allowed to run.")
        shardsMax = gauge(
            "prometheus_remote_storage_shards_max", "The maximum number of shards that the queue is allowed to run.")
        shardCapacity = gauge(
            "prometheus_remote_storage_shard_capacity",
            "The capacity of each shard of the queue used for parallel sending to the remote storage.")
        shardsDesired = gauge(
            "prometheus_remote_storage_shards_desired",
            "The number of shards that the queues shard calculation wants to run based on the rate of samples in vs. samples out."
        )
        walBacklogBytes = gauge(
            "promsls_remote_storage_wal_backlog_bytes",
            "WAL bytes after this queue's last acknowledged position: not yet sent.")
        walSegment = registry.makeGauge(
            descriptor: .init(
                metricName: "prometheus_wal_watcher_current_segment", unitName: "",
                helpText: "Current segment the WAL watcher is reading records from."),
            labels: [("consumer", remoteName)])
        highestSentTimestamp = gauge(
            "prometheus_remote_storage_queue_highest_sent_timestamp_seconds",
            "Timestamp from a WAL sample, the highest timestamp successfully sent by this queue, in seconds since epoch."
        )
    }

    /// Why samples read from the WAL will never be sent: the `reason` label of
    /// `prometheus_remote_storage_samples_dropped_total` (Prometheus's values; stable).
    public enum DropReason: String, Sendable, CaseIterable {
        /// Dropped by `write_relabel_configs`.
        case droppedSeries = "dropped_series"
        /// Older than `sample_age_limit`.
        case tooOld = "too_old"
        /// Its WAL segment was dropped by `--storage.agent.max-size` or
        /// `--storage.agent.retention` before it was sent.
        case retention
        /// Its series definition was lost to WAL corruption.
        case unintentionallyDropped = "unintentionally_dropped"

        /// The metric-label value.
        public var label: String { rawValue }
    }

    /// `prometheus_remote_storage_samples_dropped_total{reason=…}`: samples read from the WAL
    /// that will never be sent (see `DropReason`). Every registration uses the same label names.
    public func samplesDropped(_ reason: DropReason) -> Counter {
        registry.makeCounter(
            descriptor: .init(
                metricName: "prometheus_remote_storage_samples_dropped_total", unitName: "",
                helpText:
                    "Total number of samples which were dropped after being read from the WAL before being sent via remote write, either via relabelling, due to being too old, by WAL size/retention bounds or unintentionally because of an unknown reference ID."
            ),
            labels: labels + [("reason", reason.label)])
    }

    /// promsls: HTTP failures by status code (`status_code` is `network` for transport errors).
    /// SLS error answers by error code (`promsls_sls_errors_total`).
    public func slsError(code: String) {
        registry.makeCounter(
            descriptor: .init(
                metricName: "promsls_sls_errors_total", unitName: "",
                helpText: "Remote write requests SLS answered with an error, by SLS error code (docs/sls.md)."),
            labels: labels + [("code", code)]
        ).increment()
    }

    public func httpFailure(statusCode: Int?) {
        registry.makeCounter(
            descriptor: .init(
                metricName: "promsls_remote_storage_http_failures_total", unitName: "",
                helpText:
                    "Remote write requests that did not succeed, by HTTP status code ('network' for transport errors)."),
            labels: labels + [("status_code", statusCode.map(String.init) ?? "network")]
        ).increment()
    }
}

/// Metrics of the remote storage as a whole (no per-queue labels), as Prometheus has them.
public struct StorageMetrics: Sendable {
    public let highestTimestamp: Gauge
    public let samplesIn: Counter

    public init(registry: PrometheusCollectorRegistry) {
        highestTimestamp = registry.makeGauge(
            descriptor: .init(
                metricName: "prometheus_remote_storage_highest_timestamp_in_seconds", unitName: "",
                helpText:
                    "Highest timestamp that has come into the remote storage via the Appender interface, in seconds since epoch."
            ))
        samplesIn = registry.makeCounter(
            descriptor: .init(
                metricName: "prometheus_remote_storage_samples_in_total", unitName: "",
                helpText: "Samples in to remote storage, compare to samples out for queue managers."))
    }
}
