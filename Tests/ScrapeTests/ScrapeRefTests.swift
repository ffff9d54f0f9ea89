import PromModel
import Testing

@testable import Scrape

/// Storage that hands out refs and can forget them, as the series table does with series
/// that got no sample for minutes.
final class ForgetfulStore: Appender {
    var byRef: [UInt64: Labels] = [:]
    var next: UInt64 = 1
    var lines: [String] = []
    var byLabels = 0
    func append(_ labels: Labels, timestampMs: Int64, value: Double) throws -> SeriesRef {
        byLabels += 1
        byRef[next] = labels
        next += 1
        lines.append("\(labels.name ?? "") \(StaleNaN.isStale(value) ? "stale" : "\(value)")")
        return SeriesRef(raw: next - 1)
    }
    func append(ref: SeriesRef, timestampMs: Int64, value: Double) throws -> Bool {
        guard let l = byRef[ref.raw] else { return false }
        lines.append("\(l.name ?? "") \(StaleNaN.isStale(value) ? "stale" : "\(value)")")
        return true
    }
    func forgetAll() { byRef.removeAll() }
    func commit() async throws {}
    func rollback() {}
}

@Suite struct ScrapeRefTests {
    let sa = ScrapeAppender(
        targetLabels: Labels(["job": "j"]), honorLabels: false, honorTimestamps: true, trackTimestampsStaleness: false,
        metricRelabel: nil, limits: ScrapeLimits())

    func scrape(_ body: String, _ store: ForgetfulStore, _ cache: inout ScrapeCache, ts: Int64) throws -> AppendStats {
        store.lines = []
        store.byLabels = 0
        return try sa.append(
            body: Array(body.utf8), format: .prometheusText, timestampMs: ts, cache: &cache, appender: store)
    }

    @Test func cachedSeriesGoByRefAndAreAppendedByLabelsWhenStorageForgotThem() throws {
        let store = ForgetfulStore()
        var cache = ScrapeCache()
        var st = try scrape("a 1\nb 1\n", store, &cache, ts: 1000)
        #expect(store.byLabels == 2)
        #expect(st.seriesAdded == 2)
        st = try scrape("a 2\nb 2\n", store, &cache, ts: 2000)
        #expect(store.byLabels == 0)
        #expect(store.lines == ["a 2.0", "b 2.0"])
        store.forgetAll()
        st = try scrape("a 3\nb 3\n", store, &cache, ts: 3000)
        // Not new to the target (not "added"), but storage needed the labels again.
        #expect(st.seriesAdded == 0)
        #expect(store.byLabels == 2)
        #expect(store.lines == ["a 3.0", "b 3.0"])
        // The new refs are used from then on, and b's staleness marker goes by its new ref.
        st = try scrape("a 4\n", store, &cache, ts: 4000)
        #expect(store.byLabels == 0)
        #expect(store.lines == ["a 4.0", "b stale"])
        #expect(st.staleMarkers == 1)
    }

    @Test func aVanishedSeriesStorageForgotGetsNoMarker() throws {
        let store = ForgetfulStore()
        var cache = ScrapeCache()
        _ = try scrape("a 1\nb 1\n", store, &cache, ts: 1000)
        store.forgetAll()
        let st = try scrape("a 2\n", store, &cache, ts: 2000)
        #expect(store.lines == ["a 2.0"])
        #expect(st.staleMarkers == 0)
    }

    @Test func keysSurviveFlushesAndOutOfOrderBodies() throws {
        let store = ForgetfulStore()
        var cache = ScrapeCache()
        let all = (0..<500).map { "m{i=\"\($0)\"} 1" }
        _ = try scrape(all.joined(separator: "\n") + "\n", store, &cache, ts: 1000)
        #expect(cache.count == 500)
        // Every other series vanishes (flushed after this scrape), the rest come reversed.
        let half = stride(from: 498, through: 0, by: -2).map { all[$0] }
        let st = try scrape(half.joined(separator: "\n") + "\n", store, &cache, ts: 2000)
        #expect(st.seriesAdded == 0)
        #expect(st.staleMarkers == 250)
        #expect(cache.count == 250)
        #expect(store.byLabels == 0)
        // After compaction every kept series still finds an entry of its own, by hash lookup.
        var found = Set<Int>()
        for line in half {
            var probe = cache
            probe.beginIteration()
            probe.order = []
            let key = ArraySlice(Array(line.split(separator: " ")[0].utf8))
            let i = probe.find(key)
            #expect(i != nil, "\(line)")
            if let i { found.insert(i) }
        }
        #expect(found == Set(cache.entries.indices))
        var probe = cache
        probe.beginIteration()
        probe.order = []
        let gone = probe.find(ArraySlice(Array("m{i=\"1\"}".utf8)))
        #expect(gone == nil)
        let again = try scrape(all.joined(separator: "\n") + "\n", store, &cache, ts: 3000)
        #expect(again.seriesAdded == 250)
        #expect(cache.count == 500)
    }

    @Test func theCacheKeepsNoGrowthReserveBetweenScrapes() throws {
        let store = ForgetfulStore()
        var cache = ScrapeCache()
        let body = (0..<5000).map { "m{i=\"\($0)\"} 1" }.joined(separator: "\n") + "\n"
        _ = try scrape(body, store, &cache, ts: 1000)
        #expect(cache.count == 5000)
        // Appending doubled the entries to 8,192; after the scrape only what is used is kept.
        #expect(cache.entries.capacity < 5000 + 5000 / 4 + 64)
        // The index is at most half full and at most a quarter empty-over: 16,384 for 5,000.
        #expect(cache.indexSize == 16384)
        _ = try scrape(body, store, &cache, ts: 2000)
        #expect(cache.entries.capacity < 5000 + 5000 / 4 + 64)
        #expect(cache.indexSize == 16384)
    }
}
