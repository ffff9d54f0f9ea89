// The config loader harness (promsls-fuzz-config): any bytes as prometheus.yml.
import AgentConfig

/// One libFuzzer input as a config file: it loads or throws a `ConfigError` whose message
/// names a line within the document (0: no position). Traps on a broken invariant. Returns 0.
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let yaml = String(decoding: bytes, as: UTF8.self)
    do {
        let config = try ConfigLoader.load(yaml: yaml, sourcePath: "fuzz.yml", environment: [:])
        withExtendedLifetime(config) {}
    } catch {
        let lines = yaml.utf8.reduce(1) { $1 == 10 ? $0 + 1 : $0 }
        guard error.line >= 0, error.line <= lines + 1 else {
            fatalError("error names line \(error.line) of a \(lines)-line document: \(error)")
        }
        withExtendedLifetime(error.description) {}
    }
    return 0
}
