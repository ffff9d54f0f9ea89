import PromModel
import TestSupport
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

    /// Byte order, as Prometheus's `labels.Less` (Go string comparison): upper case and `_`
    /// before lower case, a prefix before its extensions, no locale.
    @Test func sortedByNameInByteOrder() {
        let l = Labels([
            Label("job", "a"), Label("Zone", "b"), Label("__name__", "up"), Label("jo", "c"), Label("é", "d"),
        ])
        #expect(l.map(\.name) == ["Zone", "__name__", "jo", "job", "é"])
        #expect(Labels(["b": "1", "a": "2"]).map(\.name) == ["a", "b"])
    }

    /// Equal sets built in any order, with duplicates or empty values, are equal and hash
    /// equally; an empty value means "absent" (Prometheus drops such labels).
    @Test func equalSetsAreEqualWhateverTheirOrigin() {
        let a = Labels([Label("a", "1"), Label("b", "2")])
        let b = Labels([Label("b", "2"), Label("c", ""), Label("a", "0"), Label("a", "1")])
        #expect(a == b)
        #expect(a.stableHash == b.stableHash)
        #expect(a.hashValue == b.hashValue)
        #expect(Labels([Label("a", "")]).isEmpty)
        #expect(Labels([Label("a", "")]) == Labels())
        #expect(Labels(["a": "1", "b": ""]) == Labels(["a": "1"]))
    }

    /// The shard hash is fixed across processes and runs (`hashValue` is seeded per process):
    /// pinned to FNV-1a 64 of `__name__ 0xff up 0xff job 0xff node 0xff`, computed off-line.
    @Test func stableHashIsPinned() {
        #expect(Labels(["job": "node", "__name__": "up"]).stableHash == 0x7bfe_d626_35f6_4858)
        #expect(Labels().stableHash == 0xcbf2_9ce4_8422_2325)
    }

    /// The 0xff separator keeps name/value boundaries apart.
    @Test func stableHashSeparatesNamesFromValues() {
        #expect(Labels(["ab": "c"]).stableHash != Labels(["a": "bc"]).stableHash)
        #expect(Labels(["a": "1", "b": "2"]).stableHash != Labels(["a": "1b", "": "2"]).stableHash)
    }

    @Test func builderKeepsTheInvariant() {
        var b = LabelsBuilder(Labels(["b": "2", "d": "4"]))
        b.set("c", "3")
        b.set("a", "1")
        b.set("d", "")
        b.set("e", "")
        b.set("b", "20")
        #expect(b.labels() == Labels(["a": "1", "b": "20", "c": "3"]))
        #expect(b.labels().map(\.name) == ["a", "b", "c"])
        #expect(b.get("d") == nil)
    }
}
