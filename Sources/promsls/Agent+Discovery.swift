import AgentConfig
import ArgumentParser
import Discovery
import Logging
import PromModel
import Prometheus
import Scrape

/// Flags for service discovery and for splitting targets between agents.
struct DiscoveryOptions: ParsableArguments {
    @Option(
        name: .customLong("cluster.members-count"),
        help:
            "Number of agents sharing the same config; each scrapes only its share of the targets (as vmagent's -promscrape.cluster.membersCount)."
    )
    var membersCount = 1

    @Option(
        name: .customLong("cluster.member-num"),
        help: "This agent's number in 0..<members-count, or a name ending in -NUMBER (a StatefulSet pod name).")
    var memberNum = "0"

    @Option(
        name: .customLong("discovery.dns.nameserver"),
        help: "Send dns_sd_configs lookups to this server (host or host:port) instead of resolv.conf's.")
    var dnsNameserver: String?

    func validate() throws {
        guard membersCount >= 1 else { throw ValidationError("--cluster.members-count must be at least 1") }
        guard let n = ClusterMembership.parseMemberNum(memberNum), n >= 0, n < membersCount else {
            throw ValidationError(
                "--cluster.member-num \"\(memberNum)\" must be a number (or name-NUMBER) in 0..<\(membersCount)")
        }
        if let ns = dnsNameserver, DNSResolver.parseNameserver(ns) == nil {
            throw ValidationError("--discovery.dns.nameserver: \"\(ns)\" is not an IP address or IP:port")
        }
    }

    /// nil with a single member.
    var membership: ClusterMembership? {
        guard membersCount > 1, let n = ClusterMembership.parseMemberNum(memberNum) else { return nil }
        return ClusterMembership(membersCount: membersCount, memberNum: n)
    }

    /// `jobs` with each job's `relabel_configs` followed by the cluster split.
    func clustered(_ jobs: [ScrapeJob]) -> [ScrapeJob] {
        guard let membership else { return jobs }
        return jobs.map { job in
            var j = job
            j.targetRelabel = membership.filter(job.targetRelabel)
            return j
        }
    }
}

/// The discovery side of the agent: the discovery manager (a `Service`) feeding the target
/// manager, which applies jobs and discovered targets to the scrape manager together.
struct AgentTargets: Sendable {
    let discovery: DiscoveryManager
    let targets: TargetManager
    let options: DiscoveryOptions

    init(
        config: Config, jobs: [ScrapeJob], scrape: ScrapeManager, options: DiscoveryOptions,
        registry: PrometheusCollectorRegistry, logger: Logger
    ) {
        let metrics = DiscoveryMetrics(registry: registry)
        let resolver = DNSResolver(nameserver: options.dnsNameserver.flatMap(DNSResolver.parseNameserver))
        let targets = TargetManager(scrape: scrape, jobs: jobs)
        self.targets = targets
        self.options = options
        discovery = DiscoveryManager(
            configs: config.scrapeConfigs, metrics: metrics, logger: logger,
            factory: DiscoveryManager.standardFactory(metrics: metrics, logger: logger, resolver: resolver),
            onUpdate: { snapshot in await targets.update(discovered: snapshot.byJob, version: snapshot.version) })
    }

    /// Compiles a config's jobs (relabel rules, cluster split).
    /// - Throws: `RelabelConfigError` for a rule that does not compile.
    func jobs(_ config: Config) throws -> [ScrapeJob] { options.clustered(try JobCompiler.jobs(config)) }

    /// Reload: restarts only the discoverers whose config changed, waits briefly for new
    /// ones, then applies the jobs and every known target in one step.
    func apply(config: Config, jobs: [ScrapeJob]) async {
        let snapshot = await discovery.apply(config.scrapeConfigs)
        await targets.update(jobs: jobs, discovered: snapshot.byJob, version: snapshot.version)
    }
}
