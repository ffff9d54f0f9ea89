import AgentConfig
import PromModel
import TestSupport
import Testing

@testable import Scrape

/// The pure scrape path: body → appender, without I/O.
@Suite struct ScrapeAppenderTests {
    static let target = Labels(["instance": "192.0.2.10:9100", "job": "demo"])

    func appender(honorLabels: Bool = false, limits: ScrapeLimits = ScrapeLimits(), relabel: LabelsTransform? = nil)
        -> ScrapeAppender
    {
        ScrapeAppender(
            targetLabels: Self.target, honorLabels: honorLabels, honorTimestamps: true,
            trackTimestampsStaleness: false, metricRelabel: relabel, limits: limits)
    }

    func run(_ sa: ScrapeAppender, _ body: String, ts: Int64, cache: inout ScrapeCache) async throws -> (
        [TimeSeriesSample], AppendStats
    ) {
        let store = RecordingAppendable()
        let app = store.appender()
        let stats = try sa.append(
            body: Array(body.utf8), format: .prometheusText, timestampMs: ts, cache: &cache, appender: app)
        try await app.commit()
        return (store.committed, stats)
    }

    func str(_ s: TimeSeriesSample) -> String {
        let v = StaleNaN.isStale(s.sample.value) ? "stale" : "\(s.sample.value)"
        return "\(s.labels) \(v) @\(s.sample.timestampMs)"
    }

    @Test func targetLabelsAttachedAndTimestamps() async throws {
        var cache = ScrapeCache()
        let (got, stats) = try await run(appender(), "a 1\nb{x=\"y\"} 2 1500\n", ts: 1000, cache: &cache)
        #expect(
            got.map(str) == [
                #"a{instance="192.0.2.10:9100", job="demo"} 1.0 @1000"#,
                #"b{instance="192.0.2.10:9100", job="demo", x="y"} 2.0 @1500"#,
            ])
        #expect(stats.scraped == 2 && stats.postRelabel == 2 && stats.seriesAdded == 2)
    }

    @Test func conflictingLabelsBecomeExported() async throws {
        var cache = ScrapeCache()
        let body = "m{job=\"other\",exported_job=\"x\",instance=\"i\"} 1\n"
        let (got, _) = try await run(appender(), body, ts: 1, cache: &cache)
        #expect(
            got.map(str) == [
                #"m{exported_exported_job="other", exported_instance="i", exported_job="x", instance="192.0.2.10:9100", job="demo"} 1.0 @1"#
            ])
        var c2 = ScrapeCache()
        let (honored, _) = try await run(appender(honorLabels: true), body, ts: 1, cache: &c2)
        #expect(honored.map(str) == [#"m{exported_job="x", instance="i", job="other"} 1.0 @1"#])
    }

    @Test func staleMarkersForVanishedSeriesButNotExplicitTimestamps() async throws {
        var cache = ScrapeCache()
        _ = try await run(appender(), "a 1\nb 2\nc 3 500\n", ts: 1000, cache: &cache)
        let (got, stats) = try await run(appender(), "a 1\n", ts: 2000, cache: &cache)
        #expect(
            got.map(str) == [
                #"a{instance="192.0.2.10:9100", job="demo"} 1.0 @2000"#,
                #"b{instance="192.0.2.10:9100", job="demo"} stale @2000"#,
            ])
        #expect(stats.staleMarkers == 1)
        #expect(stats.seriesAdded == 0)
        // The series comes back: counted as added again.
        let (_, again) = try await run(appender(), "a 1\nb 5\n", ts: 3000, cache: &cache)
        #expect(again.seriesAdded == 1)
    }

    @Test func duplicateSeriesKeepsFirstSample() async throws {
        var cache = ScrapeCache()
        let (got, stats) = try await run(appender(), "a 1\na 2\n", ts: 1000, cache: &cache)
        #expect(got.map(\.sample.value) == [1])
        #expect(stats.duplicates == 1)
        #expect(stats.scraped == 2)
    }

    @Test func parseErrorAppendsNothingAndKeepsCache() async throws {
        var cache = ScrapeCache()
        _ = try await run(appender(), "a 1\n", ts: 1000, cache: &cache)
        let store = RecordingAppendable()
        let app = store.appender()
        #expect(throws: ScrapeAppendError.self) {
            _ = try appender().append(
                body: Array("b 1\nc{ 2\n".utf8), format: .prometheusText, timestampMs: 2000, cache: &cache,
                appender: app)
        }
        app.rollback()
        try await app.commit()
        #expect(store.committed.isEmpty)
        // The cache keeps the earlier series and the one parsed before the bad line.
        #expect(cache.count == 2)
    }

    @Test func sampleLimitFailsWholeScrape() async throws {
        var limits = ScrapeLimits()
        limits.sampleLimit = 2
        var cache = ScrapeCache()
        let store = RecordingAppendable()
        #expect(throws: ScrapeAppendError.self) {
            _ = try appender(limits: limits).append(
                body: Array("a 1\nb 1\nc 1\n".utf8), format: .prometheusText, timestampMs: 1, cache: &cache,
                appender: store.appender())
        }
    }

    @Test func metricRelabelDropsAndCountsPostRelabel() async throws {
        var cache = ScrapeCache()
        let drop: LabelsTransform = { $0.name == "drop_me" ? nil : $0 }
        let (got, stats) = try await run(appender(relabel: drop), "drop_me 1\nkeep 2\n", ts: 1, cache: &cache)
        #expect(got.map { $0.labels.name } == ["keep"])
        #expect(stats.scraped == 2 && stats.postRelabel == 1)
    }

    @Test func reportSeries() async throws {
        let store = RecordingAppendable()
        let app = store.appender()
        var stats = AppendStats()
        stats.scraped = 7
        stats.postRelabel = 5
        stats.seriesAdded = 3
        var refs: [SeriesRef] = []
        try appender().reportSeries(
            up: true, durationSeconds: 0.25, stats: stats, timestampMs: 9, appender: app, refs: &refs)
        try await app.commit()
        #expect(
            store.committed.map(str) == [
                #"up{instance="192.0.2.10:9100", job="demo"} 1.0 @9"#,
                #"scrape_duration_seconds{instance="192.0.2.10:9100", job="demo"} 0.25 @9"#,
                #"scrape_samples_scraped{instance="192.0.2.10:9100", job="demo"} 7.0 @9"#,
                #"scrape_samples_post_metric_relabeling{instance="192.0.2.10:9100", job="demo"} 5.0 @9"#,
                #"scrape_series_added{instance="192.0.2.10:9100", job="demo"} 3.0 @9"#,
            ])
    }
}

@Suite struct TargetBuilderTests {
    @Test func staticTargetGetsJobInstanceAndURL() throws {
        var cfg = ScrapeConfig(jobName: "node", scrapeInterval: .seconds(15), scrapeTimeout: .seconds(5))
        cfg.params = ["module": ["http_2xx"]]
        cfg.staticConfigs = [StaticConfig(targets: ["10.0.0.1:9100"], labels: Labels(["env": "prod"]))]
        let sets = TargetBuilder.staticLabelSets(cfg)
        let t = try TargetBuilder.build(discovered: sets[0], job: ScrapeJob(config: cfg)).get()
        #expect(t.labels == Labels(["env": "prod", "instance": "10.0.0.1:9100", "job": "node"]))
        #expect(t.url == "http://10.0.0.1:9100/metrics?module=http_2xx")
        #expect(t.intervalSeconds == 15 && t.timeoutSeconds == 5)
        #expect(t.discoveredLabels["__scrape_interval__"] == "15s")
        #expect(t.discoveredLabels["__param_module"] == "http_2xx")
    }

    @Test func relabelingDropsAndRewrites() throws {
        let cfg = ScrapeConfig(jobName: "j")
        let rewrite = ScrapeJob(
            config: cfg,
            targetRelabel: { l in
                var b = LabelsBuilder(l)
                b.set("__address__", "host:1234")
                b.set("__metrics_path__", "/probe")
                b.set("instance", "pretty")
                return b.labels()
            })
        let t = try TargetBuilder.build(discovered: Labels(["__address__": "x:1"]), job: rewrite).get()
        #expect(t.url == "http://host:1234/probe")
        #expect(t.labels == Labels(["instance": "pretty", "job": "j"]))
        let drop = ScrapeJob(config: cfg, targetRelabel: { _ in nil })
        #expect(TargetBuilder.build(discovered: Labels(["__address__": "x:1"]), job: drop) == .failure(.relabeling))
        #expect(
            TargetBuilder.build(discovered: Labels(["env": "x"]), job: ScrapeJob(config: cfg))
                == .failure(.emptyAddress))
    }

    @Test func offsetIsDeterministicAndInsideInterval() {
        let a = ScrapeLoop.offsetMs(identity: 123_456_789, intervalMs: 15000)
        #expect(a == 123_456_789 % 15000)
        #expect(ScrapeLoop.offsetMs(identity: UInt64.max, intervalMs: 60000) < 60000)
    }
}
