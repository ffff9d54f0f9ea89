import Exposition
import Foundation
import PromModel

/// Loads test fixtures from the test bundle (never from /work/shared).
enum Fixtures {
    static var root: URL {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("Fixtures folder missing from the test bundle")
        }
        return url
    }

    static func bytes(_ relativePath: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(relativePath)))
    }

    /// The raw input bytes of a corpus case: everything after the `--- input ---` line.
    static func caseInput(_ id: String) throws -> [UInt8] {
        let file = try bytes("cases/\(id).txt")
        let marker = Array("--- input ---\n".utf8)
        var i = 0
        while i + marker.count <= file.count {
            if (i == 0 || file[i - 1] == 0x0A) && Array(file[i..<(i + marker.count)]) == marker {
                return Array(file[(i + marker.count)...])
            }
            i += 1
        }
        fatalError("case \(id) has no input marker")
    }

    static func realFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("real").path)
            .filter { $0.hasSuffix(".prom") }.sorted()
    }
}

/// Renders parsed samples one per line as `name{a="1",b="2"} value[ timestampMs]`.
func lines(_ samples: [ParsedSample]) -> [String] {
    renderText(samples: samples).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
}

extension Array where Element == UInt8 {
    static func + (lhs: [UInt8], rhs: String) -> [UInt8] { lhs + Array(rhs.utf8) }
}
