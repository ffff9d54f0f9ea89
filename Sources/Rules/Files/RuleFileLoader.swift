import AgentConfig

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Reads the rule files a config names (`Config.ruleFiles`, glob patterns already resolved
/// against the config's directory), as Prometheus's rule manager `LoadGroups` does: every
/// matching file in pattern order, a pattern matching nothing adds nothing.
public enum RuleFileLoader {
    /// - Returns: every group of every file, in order.
    /// - Throws: `RuleFileErrors` with every problem of every file (unreadable files
    ///   included), so `promsls check rules` and a reload can show them all.
    public static func load(patterns: [String]) throws(RuleFileErrors) -> [RuleGroupDefinition] {
        var groups: [RuleGroupDefinition] = []
        var errors: [RuleFileError] = []
        var seen: Set<String> = []
        for pattern in patterns {
            let files: [String]
            do {
                files = try expandConfigGlob(pattern)
            } catch {
                errors.append(RuleFileError(file: pattern, line: 0, column: 0, message: "\(error)"))
                continue
            }
            for file in files where seen.insert(file).inserted {
                do {
                    groups += try load(file: file)
                } catch {
                    errors += error.errors
                }
            }
        }
        if !errors.isEmpty { throw RuleFileErrors(errors) }
        return groups
    }

    /// One file.
    /// - Throws: `RuleFileErrors` when it cannot be read or is not a valid rule file.
    public static func load(file: String) throws(RuleFileErrors) -> [RuleGroupDefinition] {
        let text: String
        do {
            text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: file)), as: UTF8.self)
        } catch {
            throw RuleFileErrors([
                RuleFileError(
                    file: file, line: 0, column: 0,
                    message: "cannot read rule file: \(fileReadReason(error, path: file))")
            ])
        }
        return try RuleFileParser.parse(yaml: text, file: file)
    }
}
