import AgentConfig
import Foundation
import Logging
import Notifier
import PromModel
import Prometheus
import RemoteWrite
import Rules
import Scrape
import ServiceLifecycle
import UnixSignals

/// `prometheus_config_last_reload_*` metrics.
struct ReloadMetrics: Sendable {
    let successful: Gauge
    let timestamp: Gauge

    init(registry: PrometheusCollectorRegistry) {
        successful = registry.makeGauge(
            descriptor: .init(
                metricName: "prometheus_config_last_reload_successful", unitName: "",
                helpText: "Whether the last configuration reload attempt was successful."), labels: [])
        timestamp = registry.makeGauge(
            descriptor: .init(
                metricName: "prometheus_config_last_reload_success_timestamp_seconds", unitName: "",
                helpText: "Timestamp of the last successful configuration reload."), labels: [])
    }

    func success() {
        successful.set(to: 1)
        timestamp.set(to: Date().timeIntervalSince1970)
    }

    func failure() { successful.set(to: 0) }
}

/// Re-reads the config file (SIGHUP, `POST /-/reload`). An invalid file keeps the running
/// config; a valid one is applied to the scrape manager (unchanged targets keep their loops).
///
/// Reloads are serialised: one runs at a time. A reload requested while one runs waits for it
/// and then shares one follow-up reload with every other request made meanwhile
/// (`CoalescingRunner`), so two reloads never build a queue for the same `remote_write` entry
/// nor read the same position file, and each request's answer comes from a reload that read
/// the file after it asked.
actor Reloader {
    let path: String
    let ignoreUnsupported: Bool
    var current: Config
    let scrape: ScrapeManager
    let metrics: ReloadMetrics
    let logger: Logger
    /// Discovery and cluster split; when set, reloads go through it.
    private(set) var targets: AgentTargets?
    /// Remote write; when set, changed `remote_write` entries and `external_labels` apply.
    private(set) var storage: RemoteStorage?
    private(set) var flushTimeout: Duration = .seconds(30)
    /// Rule groups; when set, `rule_files` and their settings are reloaded.
    private(set) var rules: RuleManager?
    private(set) var ruleOptions: (@Sendable (Config) -> RuleOptions)?
    private(set) var notifier: NotificationManager?
    private let serial = CoalescingRunner<String?>()

    init(
        path: String, ignoreUnsupported: Bool, current: Config, scrape: ScrapeManager, metrics: ReloadMetrics,
        logger: Logger
    ) {
        self.path = path
        self.ignoreUnsupported = ignoreUnsupported
        self.current = current
        self.scrape = scrape
        self.metrics = metrics
        self.logger = logger
    }

    /// Routes reloads through service discovery and the target manager.
    func attach(_ targets: AgentTargets) { self.targets = targets }

    /// Applies `remote_write` / `external_labels` changes on reload (unchanged endpoints keep
    /// their queues).
    func attach(_ storage: RemoteStorage, flushTimeout: Duration) {
        self.storage = storage
        self.flushTimeout = flushTimeout
    }

    /// Reloads rule files (and their query API and options) with the config.
    func attach(
        _ rules: RuleManager, notifier: NotificationManager, options: @escaping @Sendable (Config) -> RuleOptions
    ) {
        self.rules = rules
        self.notifier = notifier
        self.ruleOptions = options
    }

    /// Reloads the config file, or joins the follow-up reload when one is running.
    /// - Returns: nil on success, or the error text.
    func reload() async -> String? {
        await serial.run { await self.reloadNow() }
    }

    /// One reload; only `reload()` calls it (one at a time).
    private func reloadNow() async -> String? {
        logger.info("loading configuration file", metadata: ["file": "\(path)"])
        do {
            let config = try ConfigLoader.load(file: path, ignoreUnsupported: ignoreUnsupported)
            for w in config.warnings { logger.warning("config", metadata: ["warning": "\(w)"]) }
            let jobs = try targets?.jobs(config) ?? JobCompiler.jobs(config)
            _ = try JobCompiler.writeRelabels(config)
            try JobCompiler.checkAlerting(config)
            let (ruleGroups, ruleTarget) = try RuleWiring.load(config)
            if config.remoteWrite != current.remoteWrite
                || config.global.externalLabels != current.global.externalLabels
            {
                if let storage {
                    let r = try await storage.apply(
                        configs: config.remoteWrite, global: config.global, flushTimeout: flushTimeout)
                    logger.info(
                        "remote_write reloaded",
                        metadata: [
                            "kept": "\(r.kept.joined(separator: ","))",
                            "started": "\(r.started.joined(separator: ","))",
                            "stopped": "\(r.stopped.joined(separator: ","))",
                        ])
                } else {
                    logger.warning("remote_write and external_labels changes take effect after a restart")
                }
            }
            if let notifier {
                try await notifier.apply(config: config.alerting, externalLabels: config.global.externalLabels)
            }
            if let rules, let ruleOptions {
                try await rules.apply(groups: ruleGroups, query: ruleTarget, options: ruleOptions(config))
            }
            if let targets {
                await targets.apply(config: config, jobs: jobs)
            } else {
                await scrape.apply(jobs: jobs, discovered: [:])
            }
            current = config
            metrics.success()
            logger.info("completed loading of configuration file", metadata: ["file": "\(path)"])
            return nil
        } catch {
            metrics.failure()
            logger.error(
                "error reloading config; keeping the running config", metadata: ["file": "\(path)", "err": "\(error)"])
            return "\(error)"
        }
    }
}

/// Reloads the config on SIGHUP.
struct SighupReloadService: Service {
    let reloader: Reloader

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            _ = await reloader.reload()
        }
    }
}

/// Says in the log that a shutdown began and what happens next (otherwise the agent looks
/// hung while it delivers pending samples for up to `--shutdown-timeout`).
struct ShutdownNoticeService: Service {
    let logger: Logger
    let timeout: Duration

    func run() async throws {
        try? await gracefulShutdown()
        logger.info(
            "shutting down: scraping stopped, delivering pending samples",
            metadata: ["shutdown_timeout": "\(formatPrometheusDuration(timeout))"])
    }
}
