import Relabel

/// A relabel rule that does not compile, with where it was written.
public struct RelabelConfigError: Error, CustomStringConvertible, Sendable {
    /// `file:line` of the rule, when known.
    public var location: String
    /// The key path of the rule, e.g. `scrape_configs[0].relabel_configs[2]`.
    public var keyPath: String
    public var message: String

    public init(location: String, keyPath: String, message: String) {
        self.location = location
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String {
        location.isEmpty ? "\(keyPath): \(message)" : "\(location): \(keyPath): \(message)"
    }
}

extension RelabelRules {
    /// Compiles one list of relabel rule configs (the one place jobs, remote write and the
    /// notifier do it).
    /// - Parameter keyPath: the list's key path, for errors (`…relabel_configs`).
    /// - Returns: nil for an empty list.
    /// - Throws: `RelabelConfigError` naming the first rule that does not compile, its file:line
    ///   and key path.
    public static func compile(_ rules: [RelabelRuleConfig], keyPath: String) throws(RelabelConfigError)
        -> RelabelRules?
    {
        guard !rules.isEmpty else { return nil }
        var out: [RelabelRule] = []
        for (i, r) in rules.enumerated() {
            do {
                out.append(
                    try RelabelRule(
                        sourceLabels: r.sourceLabels, separator: r.separator, regex: r.regex, modulus: r.modulus,
                        targetLabel: r.targetLabel, replacement: r.replacement, action: r.action))
            } catch {
                throw RelabelConfigError(location: r.location, keyPath: "\(keyPath)[\(i)]", message: error.message)
            }
        }
        return RelabelRules(out)
    }
}
