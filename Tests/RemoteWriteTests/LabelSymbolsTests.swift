import Foundation
import PromModel
import Testing

@testable import RemoteWrite

/// The interned label strings every `WireSeries` is made of: one symbol per distinct string,
/// counted holders, dead symbols revived or swept, and series that encode exactly as the
/// plain label encoding.
@Suite struct LabelSymbolsTests {
    private func intern(_ t: LabelSymbols, _ s: String) -> UInt32 {
        var s = s
        return s.withUTF8 { t.intern(UnsafeRawBufferPointer($0)) }
    }

    private func release(_ t: LabelSymbols, _ ids: [UInt32]) {
        var v: [UInt8] = []
        for id in ids { WriteRequestEncoder.appendVarint(UInt64(id), to: &v) }
        v.withUnsafeBytes { t.release(varints: $0) }
    }

    @Test func equalStringsAreOneSymbolCountedPerHolder() {
        let t = LabelSymbols()
        let a = intern(t, "checkout-7d9f")
        let b = intern(t, "cart-1b2c")
        #expect(intern(t, "checkout-7d9f") == a)
        #expect(a != b)
        #expect(intern(t, "") != a)
        #expect(t.holders(of: "checkout-7d9f") == 2)
        #expect(t.holders(of: "cart-1b2c") == 1)
        #expect(t.counts.live == 3)
        t.withReader { r in
            #expect(String(decoding: r.bytes(a), as: UTF8.self) == "checkout-7d9f")
            #expect(r.bytes(999).isEmpty)
        }
    }

    @Test func aSymbolNoSeriesHoldsIsRevivedWithItsId() {
        let t = LabelSymbols()
        let a = intern(t, "pod-a")
        release(t, [a])
        #expect(t.counts.live == 0)
        #expect(t.counts.dead == 1)
        #expect(t.holders(of: "pod-a") == 0)
        #expect(intern(t, "pod-a") == a)
        #expect(t.counts.live == 1)
        #expect(t.counts.dead == 0)
    }

    @Test func deadSymbolsAreSweptAndTheirIdsReused() {
        let t = LabelSymbols()
        let keep = intern(t, "job")
        let ids = (0..<5000).map { intern(t, "pod-\($0)") }
        #expect(Set(ids).count == 5000)
        release(t, ids)
        // 5,000 dead against 1 live: swept.
        #expect(t.counts.live == 1)
        #expect(t.counts.dead == 0)
        #expect(t.holders(of: "pod-17") == nil)
        #expect(t.holders(of: "job") == 1)
        let again = intern(t, "pod-new")
        #expect(ids.contains(again))
        #expect(intern(t, "job") == keep)
        t.withReader { r in #expect(String(decoding: r.bytes(again), as: UTF8.self) == "pod-new") }
    }

    @Test func aSeriesHoldsItsSymbolsUntilItsLastReferenceGoes() {
        let unique = "pod-\(UUID().uuidString)"
        let labels = Labels(["__name__": "up", "pod": unique])
        var one: WireSeries? = WireSeries.make(labels)
        var two: WireSeries? = WireSeries.make(labels)
        #expect(LabelSymbols.shared.holders(of: unique) == 2)
        #expect(one!.sameBytes(as: two!))
        #expect(!(one! === two!))
        one = nil
        #expect(LabelSymbols.shared.holders(of: unique) == 1)
        #expect(two!.labels == labels)
        two = nil
        #expect(LabelSymbols.shared.holders(of: unique) ?? 0 == 0)
    }

    @Test(arguments: [
        Labels(["__name__": "up", "instance": "h:9100", "job": "node"]),
        Labels(trustedSorted: [Label("", "v"), Label("n", "")]),
        Labels(["__name__": "m", "path": String(repeating: "x", count: 300), "ünï": "çødé"]),
        Labels(),
    ])
    func aSeriesEncodesAsThePlainLabelEncoding(_ labels: Labels) {
        var plain: [UInt8] = []
        WriteRequestEncoder.appendLabels(labels, to: &plain)
        let s = WireSeries.make(labels)
        #expect(s.bytes == plain)
        #expect(s.byteCount == plain.count)
        #expect(s.byteCount == WriteRequestEncoder.labelsSize(labels))
        #expect(s.hash == labels.stableHash)
        #expect(s.labels == labels)
    }
}
