import Foundation
import Prometheus

/// `process_*` metrics from /proc/self (Linux), refreshed before each `/metrics` render,
/// with the names of Prometheus's Go client.
public final class ProcessMetrics: Sendable {
    let cpu: Gauge
    let rss: Gauge
    let vsize: Gauge
    let fds: Gauge
    let maxFds: Gauge
    let start: Gauge

    public init(registry: PrometheusCollectorRegistry) {
        cpu = registry.makeGauge(
            descriptor: .init(
                metricName: "process_cpu_seconds_total", unitName: "",
                helpText: "Total user and system CPU time spent in seconds."), labels: [])
        rss = registry.makeGauge(
            descriptor: .init(
                metricName: "process_resident_memory_bytes", unitName: "", helpText: "Resident memory size in bytes."),
            labels: [])
        vsize = registry.makeGauge(
            descriptor: .init(
                metricName: "process_virtual_memory_bytes", unitName: "", helpText: "Virtual memory size in bytes."),
            labels: [])
        fds = registry.makeGauge(
            descriptor: .init(
                metricName: "process_open_fds", unitName: "", helpText: "Number of open file descriptors."), labels: [])
        maxFds = registry.makeGauge(
            descriptor: .init(
                metricName: "process_max_fds", unitName: "", helpText: "Maximum number of open file descriptors."),
            labels: [])
        start = registry.makeGauge(
            descriptor: .init(
                metricName: "process_start_time_seconds", unitName: "",
                helpText: "Start time of the process since unix epoch in seconds."), labels: [])
        start.set(to: Date().timeIntervalSince1970)
        refresh()
    }

    /// Reads /proc/self/stat, /proc/self/fd and the fd limit.
    public func refresh() {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let page = Double(sysconf(Int32(_SC_PAGESIZE)))
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        {
            // Fields after "(comm)": state is field 3; utime 14, stime 15, vsize 23, rss 24.
            let f = stat[stat.index(after: close)...].split(separator: " ")
            if f.count > 22, let ut = Double(f[11]), let st = Double(f[12]), let vs = Double(f[20]),
                let rs = Double(f[21])
            {
                cpu.set(to: (ut + st) / ticks)
                vsize.set(to: vs)
                rss.set(to: rs * page)
            }
        }
        if let n = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count {
            fds.set(to: Double(n))
        }
        var lim = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim) == 0 { maxFds.set(to: Double(lim.rlim_cur)) }
    }
}
