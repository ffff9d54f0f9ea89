import AgentConfig
import Relabel

/// An `alerting:` setting the notifier cannot use: a relabel rule that does not compile, or
/// an Alertmanager set whose HTTP client cannot be built (TLS files).
public struct NotifierConfigError: Error, CustomStringConvertible, Sendable {
    /// Where the setting was written (`file:line`), when known.
    public var location: String
    /// The key path, e.g. `alerting.alertmanagers[0].relabel_configs[1]`.
    public var keyPath: String
    public var message: String

    public var description: String {
        location.isEmpty ? "\(keyPath): \(message)" : "\(location): \(keyPath): \(message)"
    }
}

enum RuleCompiler {
    /// Compiles one list of relabel rules; nil when empty.
    /// - Throws: `NotifierConfigError` naming the first rule that does not compile.
    static func compile(_ rules: [RelabelRuleConfig], keyPath: String) throws(NotifierConfigError) -> RelabelRules? {
        do {
            return try RelabelRules.compile(rules, keyPath: keyPath)
        } catch {
            throw NotifierConfigError(location: error.location, keyPath: error.keyPath, message: error.message)
        }
    }
}
