import PromModel
import Prometheus

/// Service-discovery self-metrics, with Prometheus's names (`discovery/*/metrics.go`), so
/// the usual dashboards work.
public struct DiscoveryMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    /// The `name` label of the per-manager series: Prometheus runs one discovery manager for
    /// scraping (`scrape`) and one for Alertmanagers (`notify`).
    let name: String

    public init(registry: PrometheusCollectorRegistry, name: String = "scrape") {
        self.registry = registry
        self.name = name
    }

    /// `prometheus_sd_discovered_targets{config, name}`: targets per job (or Alertmanager set).
    /// One series per job: kept in `LabeledFamilies` (linear in the jobs).
    func discoveredTargets(job: String) -> LabeledFamilies.Series {
        LabeledFamilies.attached(to: registry).series(
            "prometheus_sd_discovered_targets", help: "Current number of discovered targets.", kind: .gauge,
            labels: [("config", job), ("name", name)])
    }

    /// `prometheus_sd_refresh_failures_total{mechanism}` (http, dns).
    func refreshFailures(_ mechanism: String) -> Counter {
        registry.makeCounter(
            descriptor: .init(
                metricName: "prometheus_sd_refresh_failures_total", unitName: "",
                helpText: "Number of refresh failures for the given SD mechanism."), labels: [("mechanism", mechanism)])
    }

    /// Refresh time and count per mechanism (Prometheus has a summary,
    /// `prometheus_sd_refresh_duration_seconds`; two counters give the same rate).
    func recordRefresh(_ mechanism: String, seconds: Double) {
        registry.makeCounter(
            descriptor: .init(
                metricName: "promsls_sd_refresh_duration_seconds_total", unitName: "",
                helpText: "Time spent in SD refreshes, by mechanism."), labels: [("mechanism", mechanism)]
        ).increment(by: seconds)
        registry.makeCounter(
            descriptor: .init(
                metricName: "promsls_sd_refreshes_total", unitName: "",
                helpText: "Number of SD refreshes, by mechanism."), labels: [("mechanism", mechanism)]
        ).increment()
    }

    var fileReadErrors: Counter {
        registry.makeCounter(
            descriptor: .init(
                metricName: "prometheus_sd_file_read_errors_total", unitName: "",
                helpText: "The number of File-SD read errors."), labels: [])
    }

    var fileScanSeconds: Counter {
        registry.makeCounter(
            descriptor: .init(
                metricName: "promsls_sd_file_scan_seconds_total", unitName: "",
                helpText: "Time spent reading and parsing file_sd files."), labels: [])
    }

    var httpFailures: Counter {
        registry.makeCounter(
            descriptor: .init(
                metricName: "prometheus_sd_http_failures_total", unitName: "",
                helpText: "Number of HTTP service discovery refresh failures."), labels: [])
    }

    var dnsLookups: Counter {
        registry.makeCounter(
            descriptor: .init(
                metricName: "prometheus_sd_dns_lookups_total", unitName: "", helpText: "The number of DNS-SD lookups."),
            labels: [])
    }

    var dnsLookupFailures: Counter {
        registry.makeCounter(
            descriptor: .init(
                metricName: "prometheus_sd_dns_lookup_failures_total", unitName: "",
                helpText: "The number of DNS-SD lookup failures."), labels: [])
    }

    /// `prometheus_sd_updates_total{name}`: updates sent to the consumer (scrape or notify).
    var updates: Counter {
        registry.makeCounter(
            descriptor: .init(
                metricName: "prometheus_sd_updates_total", unitName: "",
                helpText: "Total number of update events sent to the SD consumers."), labels: [("name", name)])
    }

    /// `prometheus_sd_received_updates_total{name}`: updates from discoverers.
    var receivedUpdates: Counter {
        registry.makeCounter(
            descriptor: .init(
                metricName: "prometheus_sd_received_updates_total", unitName: "",
                helpText: "Total number of update events received from the SD providers."), labels: [("name", name)]
        )
    }
}
