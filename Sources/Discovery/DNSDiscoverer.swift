import AgentConfig
import Logging
import PromModel
import Synchronization

/// `dns_sd_configs`: one target group per name, refreshed every `refresh_interval`, with
/// Prometheus's labels (`discovery/dns`): `__meta_dns_name`, and per type
/// `__meta_dns_srv_record_target` / `_port`, `__meta_dns_mx_record_target`,
/// `__meta_dns_ns_record_target` (record names keep their final dot, as Prometheus's).
///
/// A name whose lookup fails keeps its last good group; the failure is counted in
/// `prometheus_sd_dns_lookup_failures_total` and `prometheus_sd_refresh_failures_total`.
/// A name that does not exist has no targets.
public final class DNSDiscoverer: Discoverer {
    public static let metaName = "__meta_dns_name"
    public static let metaSRVTarget = "__meta_dns_srv_record_target"
    public static let metaSRVPort = "__meta_dns_srv_record_port"
    public static let metaMXTarget = "__meta_dns_mx_record_target"
    public static let metaNSTarget = "__meta_dns_ns_record_target"

    let config: DNSSDConfig
    let resolver: DNSResolver
    let metrics: DiscoveryMetrics
    let logger: Logger
    let clock: any Clock<Duration>
    private let lastGood = LastGood()

    /// - Parameter clock: what `refresh_interval` is waited on.
    public init(
        config: DNSSDConfig, resolver: DNSResolver, metrics: DiscoveryMetrics, logger: Logger,
        clock: any Clock<Duration> = ContinuousClock()
    ) {
        self.config = config
        self.clock = clock
        self.resolver = resolver
        self.metrics = metrics
        self.logger = logger
    }

    public func run(send: @escaping @Sendable ([TargetGroup]) async -> Void) async {
        let loop = RefreshLoop(
            mechanism: "dns", interval: config.refreshInterval, clock: clock, metrics: metrics, logger: logger
        ) { [self] in try await self.refresh() }
        await loop.run(send: send)
    }

    /// Looks every name up (concurrently); failed names keep their last good group.
    func refresh() async throws -> [TargetGroup] {
        let type = DNSRecordType(rawValue: config.type) ?? .srv
        let results = await withTaskGroup(of: (Int, Result<[DNSRecord], any Error>).self) { group in
            for (i, name) in config.names.enumerated() {
                group.addTask { [resolver] in
                    do { return (i, .success(try await resolver.lookup(name, type: type))) } catch {
                        return (i, .failure(error))
                    }
                }
            }
            var out: [(Int, Result<[DNSRecord], any Error>)] = []
            for await r in group { out.append(r) }
            return out.sorted { $0.0 < $1.0 }
        }
        try Task.checkCancellation()
        var groups: [TargetGroup] = []
        var failed = false
        for (i, result) in results {
            let name = config.names[i]
            metrics.dnsLookups.increment()
            switch result {
            case .success(let records):
                let g = Self.group(name: name, type: type, port: config.port, records: records)
                lastGood.set(name, g)
                groups.append(g)
            case .failure(let error):
                failed = true
                metrics.dnsLookupFailures.increment()
                logger.error(
                    "DNS resolution failed; keeping the last good targets",
                    metadata: ["name": "\(name)", "type": "\(type.rawValue)", "err": "\(error)"])
                groups.append(lastGood.get(name) ?? TargetGroup(source: name, targets: []))
            }
        }
        if failed { metrics.refreshFailures("dns").increment() }
        return groups
    }

    /// The group of one name's records, as Prometheus builds it.
    static func group(name: String, type: DNSRecordType, port: Int, records: [DNSRecord]) -> TargetGroup {
        var targets: [Labels] = []
        for r in records {
            var labels = [Label(metaName, name)]
            let address: String
            switch type {
            case .srv:
                address = hostPort(r.target, r.port)
                labels.append(Label(metaSRVTarget, r.target + "."))
                labels.append(Label(metaSRVPort, String(r.port)))
            case .mx:
                address = hostPort(r.target, port)
                labels.append(Label(metaMXTarget, r.target + "."))
            case .ns:
                address = hostPort(r.target, port)
                labels.append(Label(metaNSTarget, r.target + "."))
            case .a, .aaaa:
                address = hostPort(r.target, port)
            }
            labels.append(Label("__address__", address))
            targets.append(Labels(labels))
        }
        return TargetGroup(source: name, targets: targets)
    }

    /// `host:port`, with brackets around IPv6 addresses.
    static func hostPort(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    private final class LastGood: Sendable {
        private let groups = Mutex<[String: TargetGroup]>([:])
        func get(_ name: String) -> TargetGroup? { groups.withLock { $0[name] } }
        func set(_ name: String, _ g: TargetGroup) { groups.withLock { $0[name] = g } }
    }
}
