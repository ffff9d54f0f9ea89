import Testing

@testable import Scrape

/// The scrape cache knows a series only by `KeyHash`: equal bytes must hash equal, and the
/// keys a real body holds — near neighbours differing in one byte, one label value, a
/// trailing zero byte or the length — must not collide in either half.
@Suite struct KeyHashTests {
    private func hash(_ s: String, seed: UInt64 = 42) -> KeyHash {
        Array(s.utf8).withUnsafeBytes { KeyHash($0, seed: seed) }
    }

    private func hash(_ b: [UInt8], seed: UInt64 = 42) -> KeyHash {
        b.withUnsafeBytes { KeyHash($0, seed: seed) }
    }

    @Test func equalBytesHashEqualAndTheSeedMatters() {
        let key = #"http_requests_total{code="200",handler="/api/v1/query",method="GET"}"#
        #expect(hash(key) == hash(String(key)))
        #expect(hash(key, seed: 1) != hash(key, seed: 2))
        #expect(hash("") != hash("\u{0}"))
        #expect(hash("", seed: 1) != hash("", seed: 2))
    }

    @Test func neighbouringSeriesNeverShareEitherHalf() {
        var keys: [[UInt8]] = []
        // 100,000 series of the shape exporters write, differing in one or two label values.
        for i in 0..<100_000 {
            keys.append(Array(#"bench_requests_total{code="\#(i % 7)",path="/p/\#(i)",pod="web-\#(i / 1000)"}"#.utf8))
        }
        // Every single-bit flip of one key, every length from 0 to its full length, and the
        // key followed by 1–8 zero bytes.
        let base = Array(#"node_cpu_seconds_total{cpu="0",mode="idle"}"#.utf8)
        for i in base.indices {
            for bit in 0..<8 {
                var k = base
                k[i] ^= UInt8(1 << bit)
                keys.append(k)
            }
        }
        for n in 0...base.count { keys.append(Array(base.prefix(n))) }
        for z in 1...8 { keys.append(base + [UInt8](repeating: 0, count: z)) }
        var lows = Set<UInt64>()
        var highs = Set<UInt64>()
        for k in keys {
            let h = hash(k)
            lows.insert(h.lo)
            highs.insert(h.hi)
        }
        #expect(lows.count == keys.count)
        #expect(highs.count == keys.count)
    }

    @Test func everyInputBitReachesBothHalves() {
        // Flipping any one bit of a 40-byte key changes about half of each half's 64 bits.
        let base = [UInt8](repeating: 0x61, count: 40)
        let h0 = hash(base)
        var minFlips = 64
        for i in base.indices {
            for bit in 0..<8 {
                var k = base
                k[i] ^= UInt8(1 << bit)
                let h = hash(k)
                minFlips = min(minFlips, (h.lo ^ h0.lo).nonzeroBitCount, (h.hi ^ h0.hi).nonzeroBitCount)
            }
        }
        #expect(minFlips >= 12)
    }
}
