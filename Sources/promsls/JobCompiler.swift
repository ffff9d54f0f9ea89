import AgentConfig
import PromModel
import Relabel
import Rules
import Scrape

/// Compiles the relabel rules of a config into runtime jobs and write-relabel closures.
enum JobCompiler {
    /// Compiles one list of rule configs.
    /// - Throws: `RelabelConfigError` naming the rule's file:line and key path.
    static func compile(_ rules: [RelabelRuleConfig], keyPath: String) throws -> RelabelRules? {
        try RelabelRules.compile(rules, keyPath: keyPath)
    }

    static func transform(_ rules: RelabelRules?) -> LabelsTransform? {
        guard let rules else { return nil }
        return { rules.apply($0) }
    }

    /// - Throws: `RelabelConfigError` for the first rule that does not compile.
    static func jobs(_ config: Config) throws -> [ScrapeJob] {
        try config.scrapeConfigs.enumerated().map { i, sc in
            ScrapeJob(
                config: sc,
                targetRelabel: transform(
                    try compile(sc.relabelConfigs, keyPath: "scrape_configs[\(i)].relabel_configs")),
                metricRelabel: transform(
                    try compile(sc.metricRelabelConfigs, keyPath: "scrape_configs[\(i)].metric_relabel_configs")),
                extraScrapeMetrics: sc.extraScrapeMetrics ?? FeatureFlags.extraScrapeMetrics)
        }
    }

    /// `write_relabel_configs` per remote_write entry, in order.
    static func writeRelabels(_ config: Config) throws -> [LabelsTransform?] {
        try config.remoteWrite.enumerated().map { i, rw in
            transform(try compile(rw.writeRelabelConfigs, keyPath: "remote_write[\(i)].write_relabel_configs"))
        }
    }

    /// Loads a config file and compiles everything that can fail at load time.
    static func loadAndValidate(path: String, ignoreUnsupported: Bool = false) throws -> (
        Config, [ScrapeJob], [LabelsTransform?]
    ) {
        let config = try ConfigLoader.load(file: path, ignoreUnsupported: ignoreUnsupported)
        let compiled = (config, try jobs(config), try writeRelabels(config))
        try checkAlerting(config)
        _ = try RuleFileLoader.load(patterns: config.ruleFiles)
        return compiled
    }

    /// Compiles `alerting.alert_relabel_configs` and each Alertmanager set's relabel rules.
    /// - Throws: `RelabelConfigError` for the first rule that does not compile.
    static func checkAlerting(_ config: Config) throws {
        _ = try compile(config.alerting.alertRelabelConfigs, keyPath: "alerting.alert_relabel_configs")
        for (i, am) in config.alerting.alertmanagers.enumerated() {
            _ = try compile(am.relabelConfigs, keyPath: "alerting.alertmanagers[\(i)].relabel_configs")
            _ = try compile(am.alertRelabelConfigs, keyPath: "alerting.alertmanagers[\(i)].alert_relabel_configs")
        }
    }
}

/// `--enable-feature` values, set once at startup before any job is compiled.
enum FeatureFlags {
    nonisolated(unsafe) static var extraScrapeMetrics = false
    static let known: Set<String> = ["extra-scrape-metrics"]
}
