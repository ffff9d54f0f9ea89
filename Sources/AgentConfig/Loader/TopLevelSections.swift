import Yams

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `scrape_config_files:` — globs of files holding more `scrape_configs`, as Prometheus's
/// `Config.GetScrapeConfigs`. Paths resolve against the main file's directory; relative
/// paths inside an included file resolve against that file's directory; job names are unique
/// across all files; errors name the included file.
enum ScrapeConfigFiles {
    static func load(
        _ fields: Fields, global: GlobalConfig, seenJobNames: inout Set<String>
    ) throws(ConfigError) -> [ScrapeConfig] {
        guard let patterns = try fields.stringList("scrape_config_files") else { return [] }
        var jobs: [ScrapeConfig] = []
        for (index, pattern) in patterns.enumerated() {
            let path = "scrape_config_files[\(index)]"
            let resolved = fields.context.resolve(path: pattern)
            let files: [String]
            do {
                files = try glob(resolved)
            } catch {
                throw fields.context.error(fields.value("scrape_config_files"), path, "\(error)")
            }
            for file in files {
                jobs += try loadFile(file, from: fields, path: path, global: global, seenJobNames: &seenJobNames)
            }
        }
        return jobs
    }

    private static func loadFile(
        _ file: String, from fields: Fields, path: String, global: GlobalConfig, seenJobNames: inout Set<String>
    ) throws(ConfigError) -> [ScrapeConfig] {
        let text: String
        do {
            text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: file)), as: UTF8.self)
        } catch {
            throw fields.context.error(
                fields.value("scrape_config_files"), path, "cannot read \(quoted(file)): \(error)")
        }
        let context = fields.context.including(file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw context.yamlError(error, yaml: text)
        }
        guard let root, !root.isNull else { return [] }
        let included = try Fields(root, path: "", context: context, known: ["scrape_configs"])
        var jobs: [ScrapeConfig] = []
        for item in try included.sequence("scrape_configs") ?? [] {
            jobs.append(
                try ScrapeDecoder.decode(
                    item.node, path: item.path, global: global, context, seenJobNames: &seenJobNames))
        }
        return jobs
    }

    struct GlobError: Error, CustomStringConvertible {
        var description: String
    }

    /// Matching paths, sorted; none when nothing matches (as Go's `filepath.Glob`).
    static func glob(_ pattern: String) throws -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        let status = Glibc.glob(pattern, 0, nil, &result)
        if status == GLOB_NOMATCH { return [] }
        guard status == 0 else { throw GlobError(description: "invalid glob pattern \(quoted(pattern))") }
        var paths: [String] = []
        for i in 0..<Int(result.gl_pathc) {
            if let p = result.gl_pathv[i] { paths.append(String(cString: p)) }
        }
        return paths.sorted()
    }
}

/// The paths matching a glob pattern, sorted; none when nothing matches (Go's
/// `filepath.Glob`, as Prometheus expands `rule_files` and `scrape_config_files`).
/// - Throws: when the pattern is malformed.
public func expandConfigGlob(_ pattern: String) throws -> [String] {
    try ScrapeConfigFiles.glob(pattern)
}
