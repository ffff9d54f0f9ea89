import AgentConfig
import ArgumentParser
import Discovery
import Foundation
import Logging
import Notifier
import PromModel
import Prometheus
import RemoteWrite
import Rules

/// Prometheus's `--rules.*`, `--alertmanager.*` and `--web.external-url` flags.
struct RuleFlags: ParsableArguments {
    @Option(
        name: .customLong("rules.alert.for-outage-tolerance"),
        help: "Max time to tolerate promsls outage for restoring 'for' state of alerts.")
    var outageTolerance = "1h"

    @Option(
        name: .customLong("rules.alert.for-grace-period"),
        help: "Minimum duration between alert and restored 'for' state (only for alerts with a longer 'for').")
    var forGracePeriod = "10m"

    @Option(
        name: .customLong("rules.alert.resend-delay"),
        help: "Minimum amount of time to wait before resending an alert to Alertmanager.")
    var resendDelay = "1m"

    @Option(
        name: .customLong("alertmanager.notification-queue-capacity"),
        help: "The capacity of the queue for pending Alertmanager notifications.")
    var queueCapacity = 10000

    @Option(
        name: .customLong("alertmanager.drain-notification-queue-on-shutdown"),
        help: "Send any outstanding Alertmanager notifications when shutting down (true or false).")
    var drainOnShutdown = true

    @Option(
        name: .customLong("web.external-url"),
        help:
            "The URL under which promsls is reached from outside (alerts' generator URL, $externalURL in templates). Default: http://HOSTNAME:PORT/."
    )
    var externalURL: String?

    func validate() throws {
        for (flag, value) in [
            ("rules.alert.for-outage-tolerance", outageTolerance), ("rules.alert.for-grace-period", forGracePeriod),
            ("rules.alert.resend-delay", resendDelay),
        ] where parsePrometheusDuration(value) == nil {
            throw ValidationError("--\(flag): \"\(value)\" is not a valid duration")
        }
        guard queueCapacity > 0 else {
            throw ValidationError("--alertmanager.notification-queue-capacity must be positive")
        }
    }

    /// The options of every rule group for `config`.
    func options(_ config: Config, listenPort: Int) -> RuleOptions {
        var o = RuleOptions()
        o.queryOffset = config.global.ruleQueryOffset ?? RuleOptions.defaultQueryOffset
        o.evaluationInterval = config.global.evaluationInterval
        o.resendDelay = parsePrometheusDuration(resendDelay) ?? .seconds(60)
        o.outageTolerance = parsePrometheusDuration(outageTolerance) ?? .seconds(3600)
        o.forGracePeriod = parsePrometheusDuration(forGracePeriod) ?? .seconds(600)
        o.externalLabels = config.global.externalLabels
        o.externalURL = resolvedExternalURL(listenPort: listenPort)
        return o
    }

    /// `--web.external-url` without a trailing slash, or Prometheus's default.
    func resolvedExternalURL(listenPort: Int) -> String {
        var url = externalURL ?? "http://\(ProcessInfo.processInfo.hostName):\(listenPort)/"
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}

enum RuleWiring {
    /// The notifier for `config.alerting`, its Alertmanagers discovered with the agent's DNS
    /// settings.
    /// - Throws: `NotifierConfigError` (a relabel rule or TLS file that cannot be used).
    static func notifier(
        _ config: Config, flags: RuleFlags, dnsNameserver: String?, registry: PrometheusCollectorRegistry
    ) throws -> NotificationManager {
        try NotificationManager(
            config: config.alerting, externalLabels: config.global.externalLabels, queueCapacity: flags.queueCapacity,
            drainOnShutdown: flags.drainOnShutdown, registry: registry, logger: Logger(label: "notifier"),
            discovery: AlertmanagerDiscovery(
                resolver: DNSResolver(nameserver: dnsNameserver.flatMap(DNSResolver.parseNameserver))))
    }

    /// Hands alerts from the rule engine to the notifier (Prometheus `sendAlerts`).
    static func forward(to notifier: NotificationManager) -> @Sendable ([OutgoingAlert]) -> Void {
        { alerts in
            notifier.send(
                alerts.map {
                    NotifierAlert(
                        labels: $0.labels, annotations: $0.annotations, startsAt: $0.startsAtMs, endsAt: $0.endsAtMs,
                        generatorURL: $0.generatorURL)
                })
        }
    }

    /// Query clients for rules: the `sls:` entry's run-time credentials become a Basic
    /// authorization per request, as its writes get.
    static func clientFactory(logger: Logger) -> RuleManager.ClientFactory {
        { target in
            var authorization: (@Sendable () async throws -> String)?
            if let credentials = target.slsCredentials {
                let provider = SLSCredentialProvider(config: credentials, logger: logger)
                authorization = { try await provider.current().basicAuthorization }
            }
            return try HTTPQueryClient(target: target, authorization: authorization)
        }
    }

    /// The rule groups of `config` and where they are queried.
    /// - Throws: `RuleFileErrors` when a rule file is invalid.
    static func load(_ config: Config) throws -> ([RuleGroupDefinition], Result<QueryTarget, NoQueryTarget>) {
        (try RuleFileLoader.load(patterns: config.ruleFiles), QueryTarget.select(config))
    }
}
