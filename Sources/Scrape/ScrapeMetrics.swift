import PromModel
import Prometheus

/// The scrape side's self-metrics, with Prometheus's names where Prometheus has one.
struct ScrapeMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    /// Families with a series per scrape pool (see `LabeledFamilies`: linear in the jobs).
    let perJob: LabeledFamilies
    let intervalLength: IntervalSummary

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        self.perJob = LabeledFamilies.attached(to: registry)
        self.intervalLength = IntervalSummary(registry: registry)
    }

    func poolTargets(_ job: String) -> LabeledFamilies.Series {
        perJob.series(
            "prometheus_target_scrape_pool_targets", help: "Current number of targets in this scrape pool.",
            kind: .gauge, labels: [("scrape_job", job)])
    }

    var poolsTotal: Counter {
        registry.makeCounter(
            descriptor: .init(
                metricName: "prometheus_target_scrape_pools_total", unitName: "",
                helpText: "Total number of scrape pool creation attempts."), labels: [])
    }

    func scrapes(_ job: String) -> LabeledFamilies.Series {
        perJob.series(
            "promsls_target_scrapes_total", help: "Total number of scrapes attempted, by scrape pool.",
            kind: .counter, labels: [("scrape_job", job)])
    }

    func failures(_ job: String, reason: ScrapeFailureReason) -> LabeledFamilies.Series {
        perJob.series(
            "promsls_target_scrape_failures_total", help: "Total number of failed scrapes, by scrape pool and reason.",
            kind: .counter, labels: [("scrape_job", job), ("reason", reason.label)])
    }

    var exceededSampleLimit: Counter {
        registry.makeCounter(
            descriptor: .init(
                metricName: "prometheus_target_scrapes_exceeded_sample_limit_total", unitName: "",
                helpText: "Total number of scrapes that hit the sample limit and were rejected."), labels: [])
    }

    var exceededLabelLimits: Counter {
        registry.makeCounter(
            descriptor: .init(
                metricName: "prometheus_target_scrapes_exceeded_label_limits_total", unitName: "",
                helpText: "Total number of scrapes that hit the label limits and were rejected."), labels: [])
    }

    var exceededBodySizeLimit: Counter {
        registry.makeCounter(
            descriptor: .init(
                metricName: "prometheus_target_scrapes_exceeded_body_size_limit_total", unitName: "",
                helpText: "Total number of scrapes that hit the body size limit."), labels: [])
    }

    var duplicateTimestamps: Counter {
        registry.makeCounter(
            descriptor: .init(
                metricName: "prometheus_target_scrapes_sample_duplicate_timestamp_total", unitName: "",
                helpText: "Total number of samples rejected due to duplicate timestamps but different values."),
            labels: [])
    }

    func targetLimit(_ job: String) -> LabeledFamilies.Series {
        perJob.series(
            "prometheus_target_scrape_pool_target_limit",
            help: "Maximum number of targets allowed in this scrape pool.",
            kind: .gauge, labels: [("scrape_job", job)])
    }

    var exceededTargetLimit: Counter {
        registry.makeCounter(
            descriptor: .init(
                metricName: "prometheus_target_scrape_pool_exceeded_target_limit_total", unitName: "",
                helpText: "Total number of times scrape pools hit the target limit, during sync or config reload."),
            labels: [])
    }

    var cacheFlushForced: Counter {
        registry.makeCounter(
            descriptor: .init(
                metricName: "prometheus_target_scrapes_cache_flush_forced_total", unitName: "",
                helpText: "How many times a scrape cache was flushed due to getting big while scrapes are failing."),
            labels: [])
    }

    var outOfOrder: Counter {
        registry.makeCounter(
            descriptor: .init(
                metricName: "prometheus_target_scrapes_sample_out_of_order_total", unitName: "",
                helpText: "Total number of samples rejected due to not being out of the expected order."), labels: [])
    }

}
