import AgentConfig
import Discovery
import Logging

/// How the notifier discovers Alertmanagers: a `DiscoveryManager` of its own (Prometheus
/// runs a second discovery manager, `notify`, beside the scrape one) whose jobs are the
/// `alerting.alertmanagers` entries, named `config-0`, `config-1`, … as Prometheus names them.
/// `static_configs` need no discoverer: the notifier reads them itself.
public struct AlertmanagerDiscovery: Sendable {
    /// Resolver of `dns_sd_configs` (`--discovery.dns.nameserver`).
    public var resolver: DNSResolver
    /// How often `file_sd_configs` files are checked for changes.
    public var filePollInterval: Duration
    /// The longest a discovered change waits before it reaches the notifier.
    public var updateInterval: Duration
    /// How long a reload waits for new discoverers' first results before it goes on.
    public var initialWait: Duration
    /// Builds discoverers instead of `DiscoveryManager.standardFactory` (tests).
    public var factory: DiscoveryManager.Factory?
    /// What file polling, refresh intervals, the update throttle and `initialWait` run on.
    public var clock: any Clock<Duration>

    public init(
        resolver: DNSResolver = DNSResolver(), filePollInterval: Duration = .seconds(1),
        updateInterval: Duration = .seconds(1), initialWait: Duration = .seconds(5),
        factory: DiscoveryManager.Factory? = nil, clock: any Clock<Duration> = ContinuousClock()
    ) {
        self.clock = clock
        self.resolver = resolver
        self.filePollInterval = filePollInterval
        self.updateInterval = updateInterval
        self.initialWait = initialWait
        self.factory = factory
    }

    /// The name of the `index`th `alerting.alertmanagers` entry (Prometheus's
    /// `AlertmanagerConfigs.ToMap` key), used as its discovery job name and in logs.
    static func setName(_ index: Int) -> String { "config-\(index)" }

    /// One pseudo scrape job per Alertmanager set, carrying only its discovery configs: the
    /// shape `DiscoveryManager` takes.
    static func jobs(_ config: AlertingConfig) -> [ScrapeConfig] {
        config.alertmanagers.enumerated().map { i, am in job(index: i, am) }
    }

    static func job(index: Int, _ am: AlertmanagerConfig) -> ScrapeConfig {
        var job = ScrapeConfig(jobName: setName(index))
        job.fileSDConfigs = am.fileSDConfigs
        job.httpSDConfigs = am.httpSDConfigs
        job.dnsSDConfigs = am.dnsSDConfigs
        job.kubernetesSDConfigs = am.kubernetesSDConfigs
        return job
    }

    func makeManager(
        _ config: AlertingConfig, metrics: DiscoveryMetrics, logger: Logger,
        onUpdate: @escaping DiscoveryManager.UpdateHandler
    ) -> DiscoveryManager {
        let factory =
            self.factory
            ?? DiscoveryManager.standardFactory(
                metrics: metrics, logger: logger, resolver: resolver, filePollInterval: filePollInterval,
                clock: clock)
        return DiscoveryManager(
            configs: Self.jobs(config), metrics: metrics, logger: logger, updateInterval: updateInterval,
            clock: clock, factory: factory, onUpdate: onUpdate)
    }
}
