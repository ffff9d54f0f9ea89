import AgentConfig
import ArgumentParser
import Foundation
import Logging
import Notifier
import PromModel
import Prometheus
import Rules
import Scrape
import ServiceLifecycle
import StatusServer
import Synchronization

/// Lets `POST /-/quit` stop the agent the way SIGTERM does: a graceful shutdown of the one
/// `ServiceGroup`, which is built after the web application.
final class ShutdownTrigger: Sendable {
    private let group = Mutex<ServiceGroup?>(nil)

    func set(_ g: ServiceGroup) { group.withLock { $0 = g } }

    func trigger() async {
        guard let g = group.withLock({ $0 }) else { return }
        await g.triggerGracefulShutdown()
    }
}

extension AgentCommand {
    /// The status server: pages, API, `/metrics`, lifecycle endpoints (with
    /// `--web.enable-lifecycle`), basic auth and TLS (with `--web.config.file`).
    /// - Throws: `ExitCode(1)` after logging when the web config is invalid.
    func makeWebApplication(
        host: String, port: Int, registry: PrometheusCollectorRegistry, scrape: ScrapeManager, readiness: ReadinessFlag,
        reloader: Reloader, process: ProcessMetrics, shutdown: ShutdownTrigger, notices: NoticeBoard,
        rules: RuleManager, notifier: NotificationManager, logger: Logger
    ) throws -> some Service {
        var webConfig: WebConfig? = nil
        if let file = webConfigFile, !file.isEmpty {
            do {
                webConfig = try WebConfig.load(file: file)
            } catch {
                logger.error("error loading web config", metadata: ["err": "\(error)"])
                FileHandle.standardError.write(Data("promsls: invalid --web.config.file: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
        let lifecycle = enableLifecycle
        var options = StatusServer.Options(
            host: host, port: port, registry: registry, targets: scrape.statusProvider, readiness: readiness,
            config: { await reloader.current },
            reload: lifecycle ? { @Sendable in await reloader.reload() } : nil,
            quit: lifecycle ? { @Sendable in await shutdown.trigger() } : nil,
            webConfig: webConfig, beforeMetrics: { process.refresh() }, notices: notices)
        options.rules = { rules.groups().map { $0.status() } }
        options.rulesQueryNote = { rules.queryNote() }
        options.alertmanagers = { notifier.alertmanagers() }
        do {
            return try StatusServer.makeServer(options, logger: Logger(label: "web"))
        } catch {
            logger.error("cannot start the web server", metadata: ["err": "\(error)"])
            FileHandle.standardError.write(Data("promsls: web server: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
