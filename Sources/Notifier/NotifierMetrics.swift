import Prometheus

/// The notifier's self-metrics, with Prometheus's names and labels (`notifier/metric.go`) so
/// the usual dashboards and alerts (`PrometheusNotificationQueueRunningFull`,
/// `PrometheusErrorSendingAlertsToSomeAlertmanagers`) work.
struct NotifierMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    /// `prometheus_notifications_dropped_total`: alerts dropped because the queue was full,
    /// because no Alertmanager of some set took their batch, or at shutdown.
    let dropped: Counter
    /// `prometheus_notifications_queue_length`.
    let queueLength: Gauge
    /// `prometheus_notifications_queue_capacity`.
    let queueCapacity: Gauge
    /// `prometheus_notifications_alertmanagers_discovered`: active Alertmanagers of all sets.
    let alertmanagersDiscovered: Gauge

    /// Prometheus's buckets for `prometheus_notifications_latency_histogram_seconds`.
    static let latencyBuckets: [Double] = [0.01, 0.1, 1, 10]

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        dropped = registry.makeCounter(
            descriptor: .init(
                metricName: "prometheus_notifications_dropped_total", unitName: "",
                helpText: "Total number of alerts dropped due to errors when sending to Alertmanager."))
        queueLength = registry.makeGauge(
            descriptor: .init(
                metricName: "prometheus_notifications_queue_length", unitName: "",
                helpText: "The number of alert notifications in the queue."))
        queueCapacity = registry.makeGauge(
            descriptor: .init(
                metricName: "prometheus_notifications_queue_capacity", unitName: "",
                helpText: "The capacity of the alert notifications queue."))
        alertmanagersDiscovered = registry.makeGauge(
            descriptor: .init(
                metricName: "prometheus_notifications_alertmanagers_discovered", unitName: "",
                helpText: "The number of alertmanagers discovered and active."))
    }

    /// The series of one Alertmanager (by URL), made on first use.
    func forAlertmanager(_ url: String) -> PerAlertmanager {
        let labels = [("alertmanager", url)]
        return PerAlertmanager(
            sent: registry.makeCounter(
                descriptor: .init(
                    metricName: "prometheus_notifications_sent_total", unitName: "",
                    helpText: "Total number of alerts sent."), labels: labels),
            errors: registry.makeCounter(
                descriptor: .init(
                    metricName: "prometheus_notifications_errors_total", unitName: "",
                    helpText: "Total number of sent alerts affected by errors."), labels: labels),
            // Prometheus's is a summary; swift-prometheus has no summaries. A histogram of the
            // same name keeps `_sum` and `_count` (the mean latency) and adds buckets.
            latency: registry.makeValueHistogram(
                descriptor: .init(
                    metricName: "prometheus_notifications_latency_seconds", unitName: "",
                    helpText: "Latency for sending alert notifications."), labels: labels,
                buckets: Self.latencyBuckets))
    }

    struct PerAlertmanager {
        /// Alerts POSTed to this Alertmanager, whether it took them or not (as Prometheus).
        let sent: Counter
        /// Alerts of the POSTs that failed.
        let errors: Counter
        /// Seconds from the start of the batch's sending to this Alertmanager's answer.
        let latency: ValueHistogram
    }
}
