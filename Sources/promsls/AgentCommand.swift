import AgentConfig
import ArgumentParser
import Foundation
import Logging
import Notifier
import PromModel
import Prometheus
import RemoteWrite
import Rules
import Scrape
import ServiceLifecycle
import StatusServer

/// The agent: scrape the configured targets and remote-write the samples. Flags are named as
/// Prometheus names them (`--config.file`, `--web.listen-address`, `--storage.agent.path`).
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "agent", abstract: "Run the scrape agent (default).")

    @Option(name: .customLong("config.file"), help: "Configuration file path.")
    var configFile = "prometheus.yml"

    @Option(name: .customLong("web.listen-address"), help: "Address to listen on for the web interface and /metrics.")
    var listenAddress = "0.0.0.0:9090"

    @Option(name: .customLong("storage.agent.path"), help: "Base path for the agent's on-disk data (WAL).")
    var storagePath = "data-agent/"

    @Option(
        name: .customLong("log.level"),
        help: "Only log messages with the given severity or above: debug, info, warn, error.")
    var logLevel = "info"

    @Option(name: .customLong("log.format"), help: "Output format of log messages: logfmt or json.")
    var logFormat = "logfmt"

    @Flag(name: .customLong("web.enable-lifecycle"), help: "Enable shutdown and reload via HTTP request.")
    var enableLifecycle = false

    @Option(
        name: .customLong("web.config.file"),
        help: "Path to a web configuration file enabling TLS or basic authentication (Prometheus's format).")
    var webConfigFile: String?

    @Option(
        name: .customLong("shutdown-timeout"),
        help: "How long to try delivering pending samples on shutdown (Prometheus duration).")
    var shutdownTimeout = "30s"

    @Option(
        name: .customLong("storage.agent.max-size"),
        help:
            "Maximum size of the WAL (e.g. 512MiB, 1GiB); past it the oldest segment is dropped, counted and logged. 0 = no limit."
    )
    var walMaxSize = "1GiB"

    @Option(
        name: .customLong("storage.agent.retention"),
        help:
            "Maximum age of WAL segments not yet sent (Prometheus duration); older ones are dropped, counted and logged. 0s = no limit."
    )
    var walRetention = "24h"

    @Option(
        name: .customLong("storage.agent.wal-fsync"),
        help:
            "When the WAL is fsynced: a duration (at most that long after a commit), 'always' (before every commit returns) or 'never' (only at segment end and shutdown)."
    )
    var walFsync = "1s"

    @Option(name: .customLong("storage.agent.wal-segment-size"), help: "Size at which WAL segment files are cut.")
    var walSegmentSize = "32MiB"

    /// The WAL settings from the `--storage.agent.*` flags (validated in `validate()`).
    var walOptions: WALOptions {
        var o = WALOptions()
        o.maxSize = WALOptions.parseBytes(walMaxSize) ?? o.maxSize
        o.segmentSize = WALOptions.parseBytes(walSegmentSize) ?? o.segmentSize
        o.retention = parsePrometheusDuration(walRetention) ?? o.retention
        o.fsync = WALFsyncPolicy.parse(walFsync, duration: parsePrometheusDuration) ?? o.fsync
        return o
    }

    @OptionGroup(title: "Service discovery and clustering")
    var discoveryOptions: DiscoveryOptions

    @OptionGroup(title: "Rules and alerting")
    var ruleFlags: RuleFlags

    @Flag(
        name: .customLong("config.ignore-unsupported"),
        help:
            "Skip config keys promsls does not support (otlp, discoveries it lacks, sigv4) with a warning instead of failing."
    )
    var ignoreUnsupported = false

    @Option(
        name: .customLong("enable-feature"),
        help: "Comma-separated feature names to enable: extra-scrape-metrics.")
    var enableFeature: [String] = []

    var features: Set<String> {
        Set(enableFeature.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } })
    }

    func validate() throws {
        for f in features where !FeatureFlags.known.contains(f) {
            throw ValidationError(
                "--enable-feature: unknown feature \"\(f)\" (known: \(FeatureFlags.known.sorted().joined(separator: ", ")))"
            )
        }
        guard ["debug", "info", "warn", "error"].contains(logLevel) else {
            throw ValidationError("--log.level must be one of debug, info, warn, error")
        }
        guard LogFormat(rawValue: logFormat) != nil else {
            throw ValidationError("--log.format must be logfmt or json")
        }
        guard parsePrometheusDuration(shutdownTimeout) != nil else {
            throw ValidationError("--shutdown-timeout: \"\(shutdownTimeout)\" is not a valid duration")
        }
        for (flag, v) in [("max-size", walMaxSize), ("wal-segment-size", walSegmentSize)]
        where WALOptions.parseBytes(v) == nil {
            throw ValidationError("--storage.agent.\(flag): \"\(v)\" is not a size (e.g. 512MiB, 1GiB)")
        }
        guard parsePrometheusDuration(walRetention) != nil || walRetention == "0" else {
            throw ValidationError("--storage.agent.retention: \"\(walRetention)\" is not a valid duration")
        }
        guard WALFsyncPolicy.parse(walFsync, duration: parsePrometheusDuration) != nil else {
            throw ValidationError("--storage.agent.wal-fsync: \"\(walFsync)\" is not a duration, 'always' or 'never'")
        }
        guard splitHostPort(listenAddress) != nil else {
            throw ValidationError("--web.listen-address: \"\(listenAddress)\" is not host:port")
        }
    }

    func run() async throws {
        // glibc's malloc arenas were capped when the binary was loaded (CMalloc's constructor).
        bootstrapLogging(level: logLevel, format: LogFormat(rawValue: logFormat) ?? .logfmt)
        FeatureFlags.extraScrapeMetrics = features.contains("extra-scrape-metrics")
        let logger = Logger(label: "main")
        let config: Config
        let jobs: [ScrapeJob]
        let ruleGroups: [RuleGroupDefinition]
        let ruleTarget: Result<QueryTarget, NoQueryTarget>
        do {
            config = try ConfigLoader.load(file: configFile, ignoreUnsupported: ignoreUnsupported)
            jobs = discoveryOptions.clustered(try JobCompiler.jobs(config))
            _ = try JobCompiler.writeRelabels(config)
            try JobCompiler.checkAlerting(config)
            (ruleGroups, ruleTarget) = try RuleWiring.load(config)
        } catch {
            logger.error("error loading config", metadata: ["file": "\(configFile)", "err": "\(error)"])
            FileHandle.standardError.write(Data("promsls: invalid config: \(error)\n".utf8))
            throw ExitCode(1)
        }
        for w in config.warnings { logger.warning("config", metadata: ["warning": "\(w)"]) }
        if let sls = config.sls {
            logger.info(
                "sls: Metricstore credentials",
                metadata: [
                    "project": "\(sls.project)", "metricstore": "\(sls.metricstore)",
                    "provider": "\(sls.credentials.provider.rawValue)", "chosen_by": "\(sls.credentials.chosenBy)",
                ])
        }
        let (host, port) = splitHostPort(listenAddress)!
        let registry = PrometheusCollectorRegistry()
        let process = ProcessMetrics(registry: registry)
        // prometheus_build_info for the usual agent dashboards; promsls_build_info tells promsls
        // apart from Prometheus servers (examples/grafana-dashboard.json selects on it).
        for name in ["prometheus_build_info", "promsls_build_info"] {
            registry.makeGauge(
                descriptor: .init(
                    metricName: name, unitName: "",
                    helpText:
                        "A metric with a constant '1' value labeled by version, revision and build date of promsls."),
                labels: [
                    ("version", BuildInfo.version), ("revision", BuildInfo.revision),
                    ("builddate", BuildInfo.buildDate),
                ]
            ).set(to: 1)
        }
        let reloadMetrics = ReloadMetrics(registry: registry)
        reloadMetrics.success()

        let shutdown = parsePrometheusDuration(shutdownTimeout) ?? .seconds(30)
        let notices = NoticeBoard()
        let storage = try RemoteStorage(
            configs: config.remoteWrite, global: config.global, registry: registry, logger: Logger(label: "remote"),
            writeRelabel: { rw in
                JobCompiler.transform(
                    try JobCompiler.compile(rw.writeRelabelConfigs, keyPath: "remote_write.write_relabel_configs"))
            },
            flushTimeout: shutdown, storagePath: storagePath, walOptions: walOptions, notices: notices)
        let notifier: NotificationManager
        do {
            notifier = try RuleWiring.notifier(
                config, flags: ruleFlags, dnsNameserver: discoveryOptions.dnsNameserver, registry: registry)
        } catch {
            logger.error("error loading alerting config", metadata: ["err": "\(error)"])
            FileHandle.standardError.write(Data("promsls: invalid config: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let ruleManager = RuleManager(
            storage: storage, notify: RuleWiring.forward(to: notifier), metrics: RuleMetrics(registry: registry),
            logger: Logger(label: "rules"), makeClient: RuleWiring.clientFactory(logger: Logger(label: "rules")))
        do {
            try await ruleManager.apply(
                groups: ruleGroups, query: ruleTarget, options: ruleFlags.options(config, listenPort: port))
        } catch {
            logger.error("error loading rules", metadata: ["err": "\(error)"])
            throw ExitCode(1)
        }
        let readiness = ReadinessFlag()
        let scrape = ScrapeManager(
            jobs: jobs, storage: storage, registry: registry, logger: Logger(label: "scrape"),
            onReady: { readiness.set(true) })
        let reloader = Reloader(
            path: configFile, ignoreUnsupported: ignoreUnsupported, current: config, scrape: scrape,
            metrics: reloadMetrics, logger: Logger(label: "reload"))
        let agentTargets = AgentTargets(
            config: config, jobs: jobs, scrape: scrape, options: discoveryOptions, registry: registry,
            logger: Logger(label: "discovery"))
        await reloader.attach(agentTargets)
        await reloader.attach(storage, flushTimeout: shutdown)
        await reloader.attach(ruleManager, notifier: notifier) { ruleFlags.options($0, listenPort: port) }
        let quit = ShutdownTrigger()
        let app = try makeWebApplication(
            host: host, port: port, registry: registry, scrape: scrape, readiness: readiness, reloader: reloader,
            process: process, shutdown: quit, notices: notices, rules: ruleManager, notifier: notifier, logger: logger)

        logger.info(
            "starting promsls",
            metadata: [
                "version": "\(promslsVersion)", "revision": "\(BuildInfo.revision)", "config": "\(configFile)",
                "listen": "\(listenAddress)",
                "jobs": "\(jobs.count)", "remote_write": "\(config.remoteWrite.count)",
                "rule_groups": "\(ruleGroups.count)",
                "cluster_member":
                    "\(discoveryOptions.membership.map { "\($0.memberNum)/\($0.membersCount)" } ?? "none")",
            ])
        // Services stop in reverse order: web, then scraping, then remote write flushes.
        // Rules stop before the notifier, which then drains what they sent.
        var services: [any Service] = [storage]
        services.append(notifier)
        services.append(ruleManager)
        services.append(scrape)
        services.append(agentTargets.discovery)
        services.append(SighupReloadService(reloader: reloader))
        services.append(app)
        // Last, so it is told first: the log says at once that a shutdown began.
        services.append(ShutdownNoticeService(logger: logger, timeout: shutdown))
        var groupConfig = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        groupConfig.maximumGracefulShutdownDuration = shutdown + .seconds(5)
        let group = ServiceGroup(configuration: groupConfig)
        quit.set(group)
        try await group.run()
        logger.info("promsls stopped")
    }
}

/// Splits `host:port` (`[::1]:9090`, `:9090`). Nil when malformed.
func splitHostPort(_ s: String) -> (String, Int)? {
    guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port)
    else {
        return nil
    }
    var host = String(s[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    if host.isEmpty { host = "0.0.0.0" }
    return (host, port)
}
