import AgentConfig
import ArgumentParser
import Foundation
import PromModel
import Relabel
import Rules

/// `promsls check config FILE...` and `promsls check relabel`.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check configuration files, rule files, relabel rules and the sls: Metricstore.",
        subcommands: [CheckConfig.self, CheckRules.self, CheckRelabel.self, CheckSLS.self])
}

/// Validates config files as the agent loads them; prints `SUCCESS` or the error and exits 1.
struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check config files (exit 1 on the first invalid one).")

    @Argument(help: "Config files to check.")
    var files: [String]

    @Flag(
        name: .customLong("config.ignore-unsupported"),
        help: "Skip what promsls does not support with a warning, as the agent does with this flag.")
    var ignoreUnsupported = false

    func run() async throws {
        var failed = false
        for f in files {
            print("Checking \(f)")
            do {
                let config = try ConfigLoader.load(file: f, ignoreUnsupported: ignoreUnsupported)
                _ = try JobCompiler.jobs(config)
                _ = try JobCompiler.writeRelabels(config)
                try JobCompiler.checkAlerting(config)
                for w in config.warnings { print("  WARNING: \(w)") }
                print("  SUCCESS: \(f) is valid promsls config file syntax")
                print(
                    "  \(config.scrapeConfigs.count) scrape job(s), \(config.remoteWrite.count) remote_write endpoint(s)"
                )
                var ruleFiles: [String] = []
                for pattern in config.ruleFiles { ruleFiles += (try? expandConfigGlob(pattern)) ?? [] }
                if !ruleFiles.isEmpty {
                    print("  Found \(ruleFiles.count) rule file(s) to be checked")
                    if case .failure(let none) = QueryTarget.select(config) { print("  WARNING: \(none.reason)") }
                    if !CheckRules.check(files: ruleFiles, indent: "  ") { failed = true }
                }
            } catch {
                print("  FAILED: \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}

/// `promsls check rules FILE...`, as `promtool check rules`: every problem of every file with
/// its file:line:column, exit 1 if any file has one.
struct CheckRules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules", abstract: "Check rule files (exit 1 if any is invalid).")

    @Argument(help: "Rule files to check.")
    var files: [String]

    func run() async throws {
        if !Self.check(files: files, indent: "") { throw ExitCode(1) }
    }

    /// Prints `Checking FILE` and `SUCCESS: N rules found` or `FAILED:` with every error.
    /// - Returns: whether every file is valid.
    static func check(files: [String], indent: String) -> Bool {
        var ok = true
        for f in files {
            print("\(indent)Checking \(f)")
            do {
                let groups = try RuleFileLoader.load(file: f)
                let rules = groups.reduce(0) { $0 + $1.rules.count }
                print("\(indent)  SUCCESS: \(rules) rules found")
                printDuplicates(groups, indent: indent)
            } catch {
                print("\(indent)  FAILED:")
                for e in error.errors { print("\(indent)\(e)") }
                ok = false
            }
        }
        return ok
    }
}

extension CheckRules {
    /// promtool's duplicate-rules lint: rules of a file with the same name and labels (they
    /// would write or alert on the same series). A warning, as promtool's default.
    static func printDuplicates(_ groups: [RuleGroupDefinition], indent: String) {
        var seen: [String: Int] = [:]
        var order: [(name: String, labels: [(name: String, value: String)])] = []
        for rule in groups.flatMap(\.rules) {
            let key =
                rule.name + "\u{0}" + rule.labels.map { "\($0.name)=\($0.value)" }.sorted().joined(separator: "\u{0}")
            seen[key, default: 0] += 1
            if seen[key] == 2 { order.append((rule.name, rule.labels.sorted { $0.name < $1.name })) }
        }
        guard !order.isEmpty else { return }
        print("\(indent)  WARNING: \(order.count) duplicate rule(s) found.")
        for d in order {
            print("\(indent)  Metric: \(d.name)")
            if !d.labels.isEmpty {
                print("\(indent)  Label(s):")
                for l in d.labels { print("\(indent)    \(l.name): \(l.value)") }
            }
        }
        print("\(indent)  Might cause inconsistency while recording expressions.")
    }
}

/// Shows what `relabel_configs` of a job do to one label set, rule by rule.
struct CheckRelabel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relabel",
        abstract: "Apply a job's relabel_configs to a label set and print the result after each rule.")

    @Option(name: .customLong("config.file"), help: "Config file.")
    var configFile: String = "prometheus.yml"

    @Option(name: .customLong("job"), help: "Scrape job name.")
    var job: String

    @Flag(name: .customLong("metric"), help: "Use metric_relabel_configs instead of relabel_configs.")
    var metric = false

    @Argument(help: #"Label set, e.g. '__address__="10.0.0.1:9100",env="prod"'."#)
    var labels: String

    func run() async throws {
        let config: Config
        do { config = try ConfigLoader.load(file: configFile) } catch {
            print("FAILED: \(error)")
            throw ExitCode(1)
        }
        guard let (i, sc) = config.scrapeConfigs.enumerated().first(where: { $0.element.jobName == job }) else {
            print("FAILED: no job named \"\(job)\" in \(configFile)")
            throw ExitCode(1)
        }
        let input: Labels
        do { input = try parseLabelSet(labels) } catch {
            print("FAILED: \(error)")
            throw ExitCode(1)
        }
        let key = metric ? "metric_relabel_configs" : "relabel_configs"
        let rules: RelabelRules?
        do {
            rules = try JobCompiler.compile(
                metric ? sc.metricRelabelConfigs : sc.relabelConfigs, keyPath: "scrape_configs[\(i)].\(key)")
        } catch {
            print("FAILED: \(error)")
            throw ExitCode(1)
        }
        print("input:    \(format(input))")
        guard let rules else {
            print("result:   \(format(input))  (job \"\(job)\" has no \(key))")
            return
        }
        for step in rules.trace(input) {
            guard let l = step.labels else {
                print("rule \(step.ruleIndex + 1): dropped")
                print("result:   dropped by rule \(step.ruleIndex + 1)")
                return
            }
            print("rule \(step.ruleIndex + 1):   \(format(l))")
        }
        print("result:   \(format(rules.apply(input) ?? Labels()))")
    }

    func format(_ l: Labels) -> String {
        "{" + l.map { "\($0.name)=\"\(Labels.escape($0.value))\"" }.joined(separator: ", ") + "}"
    }
}
