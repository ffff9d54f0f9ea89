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
        // Lines as YAML counts them: CR, LF, CR LF, NEL, LS and PS each end one (a file with
        // old Mac line ends has its errors on the lines an editor shows).
        let lines = yaml.unicodeScalars.reduce(1) { n, c in
            ["\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"].contains(c) ? n + 1 : n
        }
        guard error.line >= 0, error.line <= lines + 1 else {
            fatalError("error names line \(error.line) of a \(lines)-line document: \(error)")
        }
        withExtendedLifetime(error.description) {}
    }
    return 0
}
