import Foundation
import FuzzSupport
import PromModel
import TestSupport
import Testing

/// The WAL fuzz harness (`make fuzz`, promsls-fuzz-wal) as a test: its seeds, every input it
/// ever saved (Fixtures/fuzz-regressions), and a few hundred seeded random inputs of each mode.
/// `fuzzWAL` traps on a broken invariant (a record written and not read back, a repair that
/// is not final), which fails the run.
@Suite(.serialized, .offThePool) struct WALFuzzTests {
    static let regressions = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fuzz-regressions").path

    private func run(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBufferPointer { fuzzWAL($0.baseAddress, $0.count) }
    }

    @Test func seedsAndSavedInputs() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("promsls-wal-seeds-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeWALSeeds(to: dir)
        let seeds = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(seeds == ["round-trip", "segment-compact", "segment-plain", "segment-tagged"])
        for name in seeds { run(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)))) }
        let saved = try FileManager.default.contentsOfDirectory(atPath: Self.regressions).filter {
            !$0.hasPrefix("README")
        }
        for name in saved { run(Array(try Data(contentsOf: URL(fileURLWithPath: Self.regressions + "/" + name)))) }
    }

    // Random bytes in each mode, and each seed segment with random bytes flipped: the
    // reader skips or repairs, never traps, and the writer's records always come back.
    @Test(arguments: [0, 1, 2] as [UInt8]) func randomInputs(mode: UInt8) throws {
        var rng = SplitMix64(seed: 12 + UInt64(mode))
        for _ in 0..<150 {
            let size = rng.below(600)
            run([mode] + (0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        }
    }

    @Test func seedSegmentsWithFlippedBytes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("promsls-wal-flip-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeWALSeeds(to: dir)
        var rng = SplitMix64(seed: 99)
        for name in ["segment-plain", "segment-compact", "segment-tagged"] {
            let segment = Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)))
            for _ in 0..<100 {
                var bytes = segment
                for _ in 0..<(1 + rng.below(3)) { bytes[1 + rng.below(bytes.count - 1)] ^= UInt8(1 + rng.below(255)) }
                run(bytes)
                // Mode 1 frames the payloads anew: the decoder sees the damage past the CRC.
                run([1, UInt8(min(bytes.count - 1, 255))] + bytes.dropFirst())
            }
        }
    }
}
