import Exposition
import Foundation
import PromModel
import Testing

/// Replays every input `make fuzz` saved in Fixtures/fuzz-regressions (scripts/fuzz.sh) through
/// both parsers the way the harnesses do: `next()` to the end and every accessor of each entry.
/// An `ExpositionError` is a fine outcome; a trap fails the whole test run.
@Suite struct FuzzRegressionTests {
    static func inputs() throws -> [String] {
        let folder = Fixtures.root.appendingPathComponent("fuzz-regressions").path
        return try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { !$0.hasPrefix("README") && !$0.hasPrefix(".") }.sorted()
    }

    @Test func folderIsInTheBundle() throws {
        let readme = Fixtures.root.appendingPathComponent("fuzz-regressions/README.md").path
        #expect(FileManager.default.fileExists(atPath: readme))
    }

    /// Bodies that end a parse early (an error) or late (after `# EOF`), so the check below has
    /// something to hold while the regressions folder is empty.
    static let endings: [[UInt8]] = [
        [], Array("a".utf8), Array("# TYPE".utf8), Array("x{a=\"\\\n".utf8), [0, 0xFF, 0x0A],
        Array("m 1\n# EOF\nm 2\n".utf8), Array("m{} 1 2 3\n".utf8), Array("m 1\nm 1\n".utf8),
    ]

    @Test func parsingStaysFinishedAfterTheEndOrAnError() {
        for body in Self.endings {
            for format in [ExpositionFormat.prometheusText, .openMetrics] {
                #expect(drive(body, format).finished, "\(body) \(format)")
            }
        }
    }

    @Test func everyInputParsesWithoutCrashing() throws {
        for file in try Self.inputs() {
            let body = try Fixtures.bytes("fuzz-regressions/\(file)")
            for format in [ExpositionFormat.prometheusText, .openMetrics] {
                let outcome = drive(body, format)
                #expect(outcome.finished, "\(file) \(format): next() returned an entry after the end or an error")
            }
        }
    }

    /// Drives the parser like the harness; returns whether it stayed finished afterwards.
    private func drive(_ body: [UInt8], _ format: ExpositionFormat) -> (entries: Int, finished: Bool) {
        var p = ExpositionParser(body: body, format: format)
        var entries = 0
        var sink = 0
        do {
            while let entry = try p.next() {
                entries += 1
                switch entry {
                case .series:
                    sink &+= p.labels().count &+ p.seriesBytes.count &+ p.emptyLabelNames().count
                    sink &+= (p.value.isNaN ? 1 : 0) &+ Int(truncatingIfNeeded: p.timestampMs ?? 0)
                case .type:
                    sink &+= p.metadataName.utf8.count &+ p.metadataNameBytes.count
                    sink &+= p.metricType == .unknown ? 1 : 0
                case .help:
                    sink &+= p.metadataName.utf8.count &+ p.helpText.utf8.count &+ p.metadataTextBytes.count
                case .unit:
                    sink &+= p.metadataName.utf8.count &+ p.unitText.utf8.count
                case .comment:
                    sink &+= 1
                }
            }
        } catch {
            sink &+= error.description.utf8.count
        }
        withExtendedLifetime(sink) {}
        // After the end or an error, next() must give no entry (nil, or the error again).
        let finished = (try? p.next()) == nil
        return (entries, finished)
    }
}
