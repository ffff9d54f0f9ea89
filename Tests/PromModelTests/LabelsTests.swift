import PromModel
import Testing

@Suite struct LabelsTests {
    @Test func sortedUniqueNonEmpty() {
        let l = Labels([Label("b", "2"), Label("a", "1"), Label("c", ""), Label("a", "3")])
        #expect(l.map(\.name) == ["a", "b"])
        #expect(l["a"] == "3")
        #expect(l["c"] == nil)
        #expect(l.description == "{a=\"3\", b=\"2\"}")
    }

    @Test func stableHashIsFNV1aOverNamesAndValues() {
        // FNV-1a 64 of "a\u{ff}1\u{ff}" computed by hand: fixed across processes and runs.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b: UInt8 in [0x61, 0xff, 0x31, 0xff] { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        #expect(Labels(["a": "1"]).stableHash == h)
        #expect(Labels(["a": "1"]).stableHash != Labels(["a": "2"]).stableHash)
    }

    @Test func refTableGivesEqualLabelSetsOneRef() {
        let t = LabelsRefTable()
        let r1 = t.ref(Labels(["a": "1"]))
        #expect(t.ref(Labels(["a": "1"])) == r1)
        #expect(t.ref(Labels(["a": "2"])) != r1)
        #expect(t.labels(r1) == Labels(["a": "1"]))
        #expect(t.labels(.none) == nil)
        #expect(t.labels(SeriesRef(raw: 99)) == nil)
    }
}
