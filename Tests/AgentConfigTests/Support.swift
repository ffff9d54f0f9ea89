import Foundation

@testable import AgentConfig

/// The fixtures directory beside this file (the sources, not the copied bundle, so error
/// messages name stable paths).
let fixturesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    .path

func fixture(_ name: String) -> String { fixturesDirectory + "/" + name }

/// Loads a config string; the error if it fails.
func loadError(_ yaml: String, environment: [String: String] = [:]) -> ConfigError? {
    do {
        _ = try ConfigLoader.load(yaml: yaml, sourcePath: "test.yml", environment: environment)
        return nil
    } catch {
        return error
    }
}
