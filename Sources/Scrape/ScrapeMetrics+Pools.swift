import PromModel
import Prometheus

/// Scrape-pool self-metrics with Prometheus's names and labels (`scrape/metrics.go`), so the
/// usual Prometheus dashboards' "target sync" and "scrape pool" panels work.
extension ScrapeMetrics {
    /// `prometheus_target_sync_length_seconds{scrape_job}`: a summary in Prometheus; here a
    /// histogram, which gives the same `_sum` and `_count` the dashboards divide.
    func syncLength(_ job: String) -> LabeledFamilies.Series {
        perJob.series(
            "prometheus_target_sync_length_seconds", help: "Actual interval to sync the scrape pool.",
            kind: .histogram, labels: [("scrape_job", job)], upperBounds: [0.001, 0.01, 0.1, 1, 10])
    }

    func poolSyncs(_ job: String) -> LabeledFamilies.Series {
        perJob.series(
            "prometheus_target_scrape_pool_sync_total",
            help: "Total number of syncs that were executed on a scrape pool.",
            kind: .counter, labels: [("scrape_job", job)])
    }

    var poolReloads: Counter {
        registry.makeCounter(
            descriptor: .init(
                metricName: "prometheus_target_scrape_pool_reloads_total", unitName: "",
                helpText: "Total number of scrape pool reloads."),
            labels: [])
    }

    var poolsFailed: Counter {
        registry.makeCounter(
            descriptor: .init(
                metricName: "prometheus_target_scrape_pools_failed_total", unitName: "",
                helpText: "Total number of scrape pool creations that failed."),
            labels: [])
    }

    /// Records one `ScrapePool.sync`.
    func recordSync(_ job: String, _ d: Duration) {
        syncLength(job).observe(d.totalSeconds)
        poolSyncs(job).increment()
    }

    /// Registers the pool and scrape-rejection counters at 0 so they are exported before the
    /// first event, as Prometheus does (dashboards' `rate()` then sees the first increase).
    func registerPoolCounters() {
        _ = poolReloads
        _ = poolsFailed
        _ = exceededSampleLimit
        _ = exceededLabelLimits
        _ = exceededBodySizeLimit
        _ = duplicateTimestamps
        _ = outOfOrder
    }
}
