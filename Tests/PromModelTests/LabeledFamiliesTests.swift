import PromModel
import Testing

@Suite struct LabeledFamiliesTests {
    // The text format the dashboards read: HELP, TYPE, one line per series in first-use
    // order, label values escaped, integers without a fraction, histogram buckets cumulative.
    @Test func emitsTheTextFormat() {
        let f = LabeledFamilies()
        f.series("jobs_total", help: "Scrapes.", kind: .counter, labels: [("scrape_job", "a")]).increment()
        let b = f.series("jobs_total", help: "Scrapes.", kind: .counter, labels: [("scrape_job", "b\"x")])
        b.increment(by: 2.5)
        f.series("jobs_total", help: "Scrapes.", kind: .counter, labels: [("scrape_job", "a")]).increment()
        f.series("targets", help: "Targets.", kind: .gauge, labels: [("scrape_job", "a")]).set(to: 3)
        let h = f.series(
            "sync_seconds", help: "Sync.", kind: .histogram, labels: [("scrape_job", "a")], upperBounds: [0.1, 1])
        h.observe(0.05)
        h.observe(0.5)
        h.observe(5)
        var out: [UInt8] = []
        f.emit(into: &out)
        #expect(
            String(decoding: out, as: UTF8.self) == """
                # HELP jobs_total Scrapes.
                # TYPE jobs_total counter
                jobs_total{scrape_job="a"} 2
                jobs_total{scrape_job="b\\"x"} 2.5
                # HELP targets Targets.
                # TYPE targets gauge
                targets{scrape_job="a"} 3
                # HELP sync_seconds Sync.
                # TYPE sync_seconds histogram
                sync_seconds_bucket{scrape_job="a",le="0.1"} 1
                sync_seconds_bucket{scrape_job="a",le="1"} 2
                sync_seconds_bucket{scrape_job="a",le="+Inf"} 3
                sync_seconds_sum{scrape_job="a"} 5.55
                sync_seconds_count{scrape_job="a"} 3

                """)
    }

    // One store per registry object, the same one every time it is asked for.
    @Test func attachedStoreIsOnePerOwner() {
        final class Owner {}
        let (a, b) = (Owner(), Owner())
        let s = LabeledFamilies.attached(to: a)
        #expect(LabeledFamilies.attached(to: a) === s)
        #expect(LabeledFamilies.attached(to: b) !== s)
    }

    // A series per job for 20,000 jobs: each is added once and found again (the registry this
    // replaces copied its whole family per added label set).
    @Test func manyJobsKeepTheirOwnSeries() {
        let f = LabeledFamilies()
        for j in 0..<20_000 {
            f.series("t", help: "T.", kind: .gauge, labels: [("scrape_job", "j\(j)")]).set(to: Double(j))
        }
        #expect(f.series("t", help: "T.", kind: .gauge, labels: [("scrape_job", "j19999")]).current == 19_999)
        var out: [UInt8] = []
        f.emit(into: &out)
        #expect(out.split(separator: UInt8(ascii: "\n")).count == 20_002)
    }
}
