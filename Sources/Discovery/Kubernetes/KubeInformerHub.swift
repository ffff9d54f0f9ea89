import Logging
import Prometheus
import Synchronization

/// Kubernetes discovery's self-metrics, with Prometheus's names
/// (discovery/kubernetes/metrics.go).
struct KubeMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    /// `prometheus_sd_kubernetes_events_total{role, event}`: add / update / delete events an
    /// informer applied (a relist counts its differences).
    func events(_ resource: KubeResource, _ event: String) -> Counter {
        registry.makeCounter(
            descriptor: .init(
                metricName: "prometheus_sd_kubernetes_events_total", unitName: "",
                helpText: "The number of Kubernetes events handled."),
            labels: [("role", resource.roleLabel), ("event", event)])
    }

    /// `prometheus_sd_kubernetes_failures_total`: failed LIST and WATCH requests.
    var failures: Counter {
        registry.makeCounter(
            descriptor: .init(
                metricName: "prometheus_sd_kubernetes_failures_total", unitName: "",
                helpText: "The number of failed WATCH/LIST requests."), labels: [])
    }

    /// Creates every series at 0, as Prometheus does, so dashboards see them before an event.
    func initialize() {
        _ = failures
        for resource in KubeResource.allCases where resource != .namespaces {
            for event in ["add", "delete", "update"] { _ = events(resource, event) }
        }
    }
}

/// The informers of every Kubernetes discoverer in the process, shared: one per
/// (API server connection, resource, namespace, label selector, field selector), so two jobs
/// discovering the same pods hold them once and the API server serves one watch. Each is
/// started by its first user and stopped when its last user releases it; one HTTP client
/// per connection.
final class KubeInformerHub: Sendable {
    static let shared = KubeInformerHub()

    // @unchecked: `informers` is read and written only inside the hub's `Mutex`, which the
    // compiler cannot connect to this separate object.
    private final class Entry: @unchecked Sendable {
        let connection: KubeConnection
        let api: KubeAPI
        var informers: [(informer: any KubeInformerProtocol, refs: Int)] = []
        init(connection: KubeConnection, api: KubeAPI) {
            self.connection = connection
            self.api = api
        }
    }

    private let entries = Mutex<[Entry]>([])

    init() {}

    /// The informer for `key` on `connection`, created and started if new.
    /// - Parameter clock: what a new informer's back-off waits on (an existing one keeps its own).
    /// - Throws: when the connection's TLS files cannot be loaded.
    func acquire<T: KubeObject>(
        _ type: T.Type, connection: KubeConnection, key: KubeInformer<T>.Key,
        into keyPath: WritableKeyPath<KubeCache, [String: T]> & Sendable, metrics: KubeMetrics, logger: Logger,
        clock: any Clock<Duration> = ContinuousClock()
    ) throws -> KubeInformer<T> {
        let informer: KubeInformer<T> = try entries.withLock { entries in
            let entry: Entry
            if let e = entries.first(where: { $0.connection == connection }) {
                entry = e
            } else {
                entry = Entry(connection: connection, api: try KubeAPI(connection: connection))
                entries.append(entry)
            }
            for (i, item) in entry.informers.enumerated() {
                if let existing = item.informer as? KubeInformer<T>, existing.key == key {
                    entry.informers[i].refs += 1
                    return existing
                }
            }
            let created = KubeInformer<T>(
                key: key, api: entry.api, into: keyPath, metrics: metrics, logger: logger, clock: clock)
            entry.informers.append((created, 1))
            return created
        }
        informer.start()
        return informer
    }

    /// Drops one use of `informer`; the last use stops it (and the connection's client when
    /// no informer uses it any more).
    func release(_ informer: any KubeInformerProtocol) async {
        let (stop, api): ((any KubeInformerProtocol)?, KubeAPI?) = entries.withLock { entries in
            for (e, entry) in entries.enumerated() {
                guard let i = entry.informers.firstIndex(where: { $0.informer === informer }) else { continue }
                entry.informers[i].refs -= 1
                guard entry.informers[i].refs == 0 else { return (nil, nil) }
                entry.informers.remove(at: i)
                if entry.informers.isEmpty {
                    entries.remove(at: e)
                    return (informer, entry.api)
                }
                return (informer, nil)
            }
            return (nil, nil)
        }
        await stop?.stop()
        await api?.shutdown()
    }

    /// Informers running now (tests).
    var informerCount: Int { entries.withLock { $0.reduce(0) { $0 + $1.informers.count } } }
}
