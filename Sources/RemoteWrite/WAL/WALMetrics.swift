import Prometheus

/// WAL self-metrics, named as Prometheus's `tsdb/wlog` ones (`prometheus_tsdb_wal_*`) so the
/// usual dashboards work, plus `prometheus_wal_watcher_current_segment` per reader.
struct WALMetrics: Sendable {
    let fsyncDuration: ValueHistogram
    let corruptions: Counter
    let writesFailed: Counter
    let truncations: Counter
    let truncationsFailed: Counter
    let segmentCurrent: Gauge
    let storageSize: Gauge
    let recordsWritten: Counter
    let bytesWritten: Counter
    let samplesLost: Counter
    let segmentsDropped: Counter
    private let registry: PrometheusCollectorRegistry

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        func counter(_ n: String, _ h: String) -> Counter {
            registry.makeCounter(descriptor: .init(metricName: n, unitName: "", helpText: h))
        }
        func gauge(_ n: String, _ h: String) -> Gauge {
            registry.makeGauge(descriptor: .init(metricName: n, unitName: "", helpText: h))
        }
        fsyncDuration = registry.makeValueHistogram(
            descriptor: .init(
                metricName: "prometheus_tsdb_wal_fsync_duration_seconds", unitName: "",
                helpText: "Duration of write log fsync."),
            buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5])
        corruptions = counter("prometheus_tsdb_wal_corruptions_total", "Total number of WAL corruptions.")
        writesFailed = counter(
            "prometheus_tsdb_wal_writes_failed_total", "Total number of write log writes that failed.")
        truncations = counter(
            "prometheus_tsdb_wal_truncations_total",
            "Total number of write log truncations (segments deleted or torn tails cut).")
        truncationsFailed = counter(
            "prometheus_tsdb_wal_truncations_failed_total", "Total number of write log truncations that failed.")
        segmentCurrent = gauge(
            "prometheus_tsdb_wal_segment_current", "Write log segment index that TSDB is currently writing to.")
        storageSize = gauge("prometheus_tsdb_wal_storage_size_bytes", "Size of the write log directory.")
        recordsWritten = counter(
            "promsls_wal_records_written_total", "WAL records (one per commit or part of one) written.")
        bytesWritten = counter("promsls_wal_bytes_written_total", "Bytes written to WAL segments.")
        samplesLost = counter(
            "promsls_wal_samples_failed_total",
            "Samples of commits that could not be written to the WAL (disk full, I/O error): lost.")
        segmentsDropped = counter(
            "promsls_wal_segments_dropped_total",
            "Segments deleted by --storage.agent.max-size or --storage.agent.retention before every endpoint had sent them."
        )
    }
}
