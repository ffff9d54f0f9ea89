import Yams

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Loads a Prometheus-compatible configuration file into the runtime `Config`.
///
/// Follows Prometheus's `config/config.go`: strict keys, Prometheus defaults, globals inherited
/// by jobs, validation. Every error names the file, line, column and key path.
/// https://prometheus.io/docs/prometheus/latest/configuration/configuration/
///
/// Values of the form `${VAR}` are never expanded; environment variables are read only by the
/// `sls:` section's `*_env` keys.
public enum ConfigLoader {
    /// Top-level keys promsls does not do and that would lose data if ignored: refused unless
    /// `--config.ignore-unsupported`.
    static let unsupportedTopLevel: [String: String] = [
        "otlp":
            "promsls does not support otlp (it has no OTLP receiver: metrics pushed to it would be lost)"
    ]

    /// Top-level keys that mean nothing for an agent: accepted with one warning each.
    static let meaninglessTopLevel: [String: String] = [
        "remote_read": "promsls answers no queries; remote_read has no effect",
        "storage": "promsls keeps no local TSDB (its WAL is set by --storage.agent.* flags); storage has no effect",
        "tracing": "promsls sends no traces; tracing has no effect",
        "runtime": "promsls is not a Go program; runtime has no effect",
    ]

    /// Loads and validates a config file.
    /// - Parameters:
    ///   - path: the YAML file; relative `*_file` paths inside it resolve against its directory.
    ///   - environment: where `sls:` `*_env` keys are looked up.
    ///   - ignoreUnsupported: skip keys promsls does not support (`otlp`, unknown discoveries, …)
    ///     and report them in `Config.warnings`, instead of failing.
    /// - Throws: `ConfigError` when the file cannot be read, is not valid YAML, or is not a
    ///   valid configuration.
    public static func load(
        file path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        ignoreUnsupported: Bool = false
    ) throws(ConfigError) -> Config {
        let text: String
        do {
            text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        } catch {
            throw ConfigError(file: path, line: 0, column: 0, keyPath: "", message: "cannot read config file: \(error)")
        }
        return try load(yaml: text, sourcePath: path, environment: environment, ignoreUnsupported: ignoreUnsupported)
    }

    /// Loads and validates a config from a string.
    /// - Parameters:
    ///   - yaml: the document.
    ///   - sourcePath: the file name used in errors and to resolve relative paths ("" for none).
    ///   - environment: where `sls:` `*_env` keys are looked up.
    ///   - ignoreUnsupported: see `load(file:environment:ignoreUnsupported:)`.
    /// - Throws: `ConfigError` when the YAML is malformed or the configuration is invalid.
    public static func load(
        yaml: String,
        sourcePath: String = "",
        environment: [String: String] = ProcessInfo.processInfo.environment,
        ignoreUnsupported: Bool = false
    ) throws(ConfigError) -> Config {
        let context = LoadContext(file: sourcePath, environment: environment, ignoreUnsupported: ignoreUnsupported)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw context.yamlError(error, yaml: yaml)
        }
        var config = Config(sourcePath: sourcePath)
        if let root, !root.isNull {
            try decodeTopLevel(root, into: &config, context)
        }
        config.warnings = context.warnings
        return config
    }

    private static func decodeTopLevel(_ root: Node, into config: inout Config, _ context: LoadContext)
        throws(ConfigError)
    {
        let fields = try Fields(
            root, path: "", context: context,
            known: [
                "global", "scrape_configs", "scrape_config_files", "remote_write", "sls", "rule_files", "alerting",
                "rule_query",
            ],
            unsupported: unsupportedTopLevel, meaningless: meaninglessTopLevel)
        if let global = try fields.section(
            "global", known: GlobalDecoder.keys, meaningless: GlobalDecoder.meaningless)
        {
            config.global = try GlobalDecoder.decode(global)
        }
        config.ruleFiles = try RuleFilesDecoder.decode(fields)
        if let query = try fields.section("rule_query", known: RuleQueryDecoder.keys) {
            config.ruleQuery = try RuleQueryDecoder.decode(query)
        }
        if let alerting = try fields.section("alerting", known: AlertingDecoder.keys) {
            config.alerting = try AlertingDecoder.decode(alerting)
        }
        try MeaninglessSections.check(fields)
        var jobNames: Set<String> = []
        for item in try fields.sequence("scrape_configs") ?? [] {
            let job = try ScrapeDecoder.decode(
                item.node, path: item.path, global: config.global, context, seenJobNames: &jobNames)
            config.scrapeConfigs.append(job)
        }
        config.scrapeConfigs += try ScrapeConfigFiles.load(fields, global: config.global, seenJobNames: &jobNames)
        var remoteNames: Set<String> = []
        for item in try fields.sequence("remote_write") ?? [] {
            config.remoteWrite.append(
                try RemoteWriteDecoder.decode(item.node, path: item.path, context, seenNames: &remoteNames))
        }
        try RemoteWriteDecoder.checkURLs(try fields.sequence("remote_write") ?? [], context)
        if let slsNode = fields.value("sls") {
            let (sls, remote) = try SLSDecoder.decode(slsNode, path: "sls", context, seenNames: &remoteNames)
            config.sls = sls
            config.remoteWrite.append(remote)
        }
    }
}

extension LoadContext {
    /// Turns a Yams parse error into a located `ConfigError`.
    func yamlError(_ error: any Error, yaml: String) -> ConfigError {
        guard let yamlError = error as? YamlError else {
            return ConfigError(file: file, line: 0, column: 0, keyPath: "", message: "invalid YAML: \(error)")
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { "\(problem) (\($0.text) at line \($0.mark.line))" } ?? problem
            return self.error(at: mark, "", "invalid YAML: \(detail)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let at = secondOccurrence(of: duplicates.first ?? "", after: context.mark, in: yaml)
            return ConfigError(
                file: file, line: at?.line ?? context.mark.line, column: at?.column ?? context.mark.column, keyPath: "",
                message: "duplicate key \(duplicates.map(quoted).joined(separator: ", ")) in mapping")
        case .reader(let problem, _, _, _):
            return self.error(at: nil, "", "invalid YAML: \(problem)")
        default:
            return self.error(at: nil, "", "invalid YAML: \(yamlError)")
        }
    }

    /// Yams reports a duplicate key at the start of its mapping; point at the repeated key
    /// instead: the second line with `key:` at the mapping's column. `nil` if not found.
    private func secondOccurrence(of key: String, after start: Mark, in yaml: String) -> (line: Int, column: Int)? {
        // Count lines as libyaml does (LF, CR, CRLF, NEL, LS, PS), or `start.line` may lie past
        // the last line found here.
        let lines = yaml.split(omittingEmptySubsequences: false) {
            $0 == "\n" || $0 == "\r" || $0 == "\r\n" || $0 == "\u{85}" || $0 == "\u{2028}" || $0 == "\u{2029}"
        }
        let column = start.column - 1
        let first = max(0, start.line - 1)
        guard column >= 0, first < lines.count else { return nil }
        var seen = 0
        for index in first..<lines.count {
            let line = Array(lines[index])
            let indent = line.prefix { $0 == " " }.count
            // Stop when a line starts left of the mapping: we left it.
            if index > start.line - 1, indent < column, indent < line.count, line[indent] != "#" { break }
            guard line.count > column, line[..<column].allSatisfy({ $0 == " " || $0 == "-" }) else { continue }
            let rest = String(line[column...])
            if rest.hasPrefix(key + ":") || rest.hasPrefix("\"\(key)\":") || rest.hasPrefix("'\(key)':") {
                seen += 1
                if seen == 2 { return (index + 1, column + 1) }
            }
        }
        return nil
    }
}
