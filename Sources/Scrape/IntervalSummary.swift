import PromModel
import Prometheus

/// `prometheus_target_interval_length_seconds{interval, quantile}`: the actual intervals
/// between scrapes, as Prometheus's summary (quantiles 0.01, 0.05, 0.5, 0.9, 0.99 over the
/// recent observations, plus `_sum` and `_count`). swift-prometheus has no summary type, so
/// the quantiles are gauges computed over a ring of the last 256 intervals per `interval`.
// @unchecked: every stored `var` is read and written under `lock` only; the compiler cannot see a lock discipline.
final class IntervalSummary: @unchecked Sendable {
    static let quantiles: [Double] = [0.01, 0.05, 0.5, 0.9, 0.99]
    static let window = 256

    private final class Series {
        var ring: [Double] = []
        var next = 0
        let gauges: [Gauge]
        let sum: Gauge
        let count: Counter
        init(gauges: [Gauge], sum: Gauge, count: Counter) {
            self.gauges = gauges
            self.sum = sum
            self.count = count
        }
    }

    private let registry: PrometheusCollectorRegistry
    private let lock = NSLockLite()
    private var series: [String: Series] = [:]
    private var sums: [String: Double] = [:]

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    /// Records one observed interval (seconds) for targets configured with `interval`.
    func observe(interval: String, seconds: Double) {
        lock.withLock {
            let s = series[interval] ?? make(interval)
            series[interval] = s
            if s.ring.count < Self.window {
                s.ring.append(seconds)
            } else {
                s.ring[s.next] = seconds
                s.next = (s.next + 1) % Self.window
            }
            let sorted = s.ring.sorted()
            for (i, q) in Self.quantiles.enumerated() {
                let idx = min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))
                s.gauges[i].set(to: sorted[idx])
            }
            sums[interval, default: 0] += seconds
            s.sum.set(to: sums[interval]!)
            s.count.increment()
        }
    }

    private func make(_ interval: String) -> Series {
        let name = "prometheus_target_interval_length_seconds"
        let help = "Actual intervals between scrapes."
        let gauges = Self.quantiles.map { q in
            registry.makeGauge(
                descriptor: .init(metricName: name, unitName: "", helpText: help),
                labels: [("interval", interval), ("quantile", "\(q)")])
        }
        return Series(
            gauges: gauges,
            sum: registry.makeGauge(
                descriptor: .init(metricName: name + "_sum", unitName: "", helpText: help),
                labels: [("interval", interval)]),
            count: registry.makeCounter(
                descriptor: .init(metricName: name + "_count", unitName: "", helpText: help),
                labels: [("interval", interval)]))
    }
}
