import Logging
import PromModel

/// The periodic part of HTTP and DNS discovery, as Prometheus's `discovery/refresh`: refresh
/// now, then every `interval`; a failed refresh keeps the last good groups (nothing is
/// sent), is logged and counted in `prometheus_sd_refresh_failures_total{mechanism}`.
struct RefreshLoop: Sendable {
    let mechanism: String
    let interval: Duration
    /// What the interval is waited on and refreshes are timed by.
    let clock: any Clock<Duration>
    let metrics: DiscoveryMetrics
    let logger: Logger
    let refresh: @Sendable () async throws -> [TargetGroup]

    func run(send: @escaping @Sendable ([TargetGroup]) async -> Void) async {
        var first = true
        var lastSent: [TargetGroup]? = nil
        while !Task.isCancelled {
            let began = ClockTimeline(clock)
            do {
                let groups = try await refresh()
                metrics.recordRefresh(mechanism, seconds: began.elapsed().totalSeconds)
                if groups != lastSent {
                    lastSent = groups
                    await send(groups)
                }
            } catch is CancellationError {
                break
            } catch {
                if Task.isCancelled { break }
                metrics.refreshFailures(mechanism).increment()
                logger.error(
                    "unable to refresh target groups; keeping the last good ones", metadata: ["err": "\(error)"])
                // Tell the manager the discoverer has started even though it knows nothing yet.
                if first { await send([]) }
            }
            first = false
            do { try await clock.sleep(for: interval) } catch { break }
        }
    }
}
