/// A 128-bit hash of a series' raw bytes in a body (`name{labels}` as written): the scrape
/// cache's identity of a series, kept instead of the bytes.
///
/// Two 64-bit lanes run over the bytes 8 at a time, each step a folded 64×64→128-bit multiply
/// (the high and low halves XORed: the mixing step of the wyhash family) with the lane's own
/// constant; the length and a per-cache random seed enter both lanes, and the lanes are crossed
/// at the end. Two different series are taken for one only if both 64-bit halves agree: for a
/// target of n series the chance is about n² / 2^129 (3·10^-28 for a million), far below the
/// chance of a bit flip in the memory holding the bytes. The seed is random per cache, so a
/// body cannot be crafted to merge two series.
struct KeyHash: Equatable {
    var lo: UInt64
    var hi: UInt64

    static func randomSeed() -> UInt64 { UInt64.random(in: .min ... .max) }

    @inline(__always)
    private static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let m = a.multipliedFullWidth(by: b)
        return m.high ^ m.low
    }

    private static let k1: UInt64 = 0x9fb2_1c65_1e98_df25
    private static let k2: UInt64 = 0xc2b2_ae3d_27d4_eb4f

    @inline(__always)
    init(_ p: UnsafeRawBufferPointer, seed: UInt64) {
        let n = p.count
        var a = seed ^ 0x243f_6a88_85a3_08d3 ^ (UInt64(truncatingIfNeeded: n) &* Self.k2)
        var b = (seed &+ 0x1319_8a2e_0370_7344) ^ UInt64(truncatingIfNeeded: n)
        var i = 0
        while i + 8 <= n {
            let w = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            a = Self.fold(a ^ w, Self.k1)
            // `&+ w`: lane b keeps the word even when `b ^ w` is zero.
            b = Self.fold(b ^ w, Self.k2) &+ w
            i += 8
        }
        if i < n {
            var t: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                t |= UInt64(p[i]) << shift
                shift += 8
                i += 1
            }
            a = Self.fold(a ^ t, Self.k1)
            b = Self.fold(b ^ t, Self.k2) &+ t
        }
        lo = Self.fold(a ^ 0xa076_1d64_78bd_642f, b ^ 0xe703_7ed1_a0b4_28db)
        hi = Self.fold(b ^ 0x8ebc_6af0_9c88_c6e3, a ^ 0x5899_65cc_7537_4cc3)
    }
}
