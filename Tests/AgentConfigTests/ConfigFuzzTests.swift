import Foundation
import FuzzSupport
import PromModel
import Testing

/// The config fuzz harness (`make fuzz`, promsls-fuzz-config) as a test: every input it ever
/// saved (Fixtures/fuzz-regressions), the good and bad fixtures, and those cut short at random
/// points. `fuzzConfig` traps when a load crashes or an error names a line outside the document.
@Suite struct ConfigFuzzTests {
    private func run(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBufferPointer { fuzzConfig($0.baseAddress, $0.count) }
    }

    @Test func savedInputsAndFixturesCutShort() throws {
        var rng = SplitMix64(seed: 7)
        var files = 0
        for folder in ["fuzz-regressions", "good", "bad"] {
            let dir = fixture(folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
            where !name.hasPrefix("README") {
                guard let data = FileManager.default.contents(atPath: dir + "/" + name) else { continue }
                let bytes = Array(data)
                run(bytes)
                for _ in 0..<3 where !bytes.isEmpty { run(Array(bytes.prefix(rng.below(bytes.count)))) }
                files += 1
            }
        }
        #expect(files > 20)
    }
}
