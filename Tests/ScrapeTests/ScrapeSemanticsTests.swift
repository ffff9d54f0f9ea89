import AgentConfig
import Exposition
import PromModel
import TestSupport
import Testing

@testable import Scrape

/// Timestamps, duplicates, out-of-order and staleness exemptions (issue 6; corpus case
/// staleness-explicit-timestamps, followed as "confirmed" in Prometheus's scrape.go).
@Suite struct ScrapeSemanticsTests {
    static let target = Labels(["instance": "192.0.2.10:9100", "job": "demo"])

    func appender(track: Bool = false, honorTimestamps: Bool = true) -> ScrapeAppender {
        ScrapeAppender(
            targetLabels: Self.target, honorLabels: false, honorTimestamps: honorTimestamps,
            trackTimestampsStaleness: track, metricRelabel: nil, limits: ScrapeLimits())
    }

    func scrape(_ sa: ScrapeAppender, _ body: String, ts: Int64, cache: inout ScrapeCache) async throws
        -> ([String], AppendStats)
    {
        let store = RecordingAppendable()
        let app = store.appender()
        let stats = try sa.append(
            body: Array(body.utf8), format: .prometheusText, timestampMs: ts, cache: &cache, appender: app)
        try await app.commit()
        let lines = store.committed.map { s in
            "\(s.labels.name ?? "") \(StaleNaN.isStale(s.sample.value) ? "stale" : "\(s.sample.value)") @\(s.sample.timestampMs)"
        }
        return (lines, stats)
    }

    /// Prometheus's scrape cache survives failed scrapes: a series is "added" only once, and
    /// series parsed before a bad line are not marked stale (parity with Prometheus 2.42).
    @Test func failedScrapesKeepTheCache() async throws {
        var cache = ScrapeCache()
        let sa = appender()
        _ = try await scrape(sa, "a 1\nb 1\ng1 1\n", ts: 1000, cache: &cache)
        let store = RecordingAppendable()
        let app = store.appender()
        #expect(throws: ScrapeAppendError.self) {
            _ = try sa.append(
                body: Array("g1 2\nbad{ 1\n".utf8), format: .prometheusText, timestampMs: 2000, cache: &cache,
                appender: app)
        }
        app.rollback()
        let marked = try sa.appendFailure(afterParse: true, timestampMs: 2000, cache: &cache, appender: app)
        try await app.commit()
        #expect(marked == 2)
        #expect(Set(store.committed.map { $0.labels.name ?? "" }) == ["a", "b"])
        #expect(store.committed.allSatisfy { StaleNaN.isStale($0.sample.value) })
        // g1's sample was rolled back: it is not "previous" for the next scrape either, so an
        // HTTP failure now marks nothing (Prometheus 2.42, measured in Tests/Parity).
        let app2 = store.appender()
        #expect(try sa.appendFailure(afterParse: false, timestampMs: 3000, cache: &cache, appender: app2) == 0)
        // Recovery: nothing is "added" again, and nothing is marked twice.
        let (_, stats) = try await scrape(sa, "a 1\nb 1\ng1 1\n", ts: 4000, cache: &cache)
        #expect(stats.seriesAdded == 0)
        #expect(stats.staleMarkers == 0)
    }

    /// corpus: staleness-explicit-timestamps (T1 = 100000, T2 = 115000).
    @Test(arguments: [false, true])
    func explicitTimestampsExemptFromStalenessUnlessTracked(track: Bool) async throws {
        var cache = ScrapeCache()
        let (first, _) = try await scrape(
            appender(track: track), "job_queue_len 4\ncontainer_cpu_usage_seconds_total{container=\"c1\"} 10 95000\n",
            ts: 100_000, cache: &cache)
        #expect(first == ["job_queue_len 4.0 @100000", "container_cpu_usage_seconds_total 10.0 @95000"])
        let (second, _) = try await scrape(appender(track: track), "other_metric 1\n", ts: 115_000, cache: &cache)
        var expected = ["other_metric 1.0 @115000", "job_queue_len stale @115000"]
        if track { expected.append("container_cpu_usage_seconds_total stale @115000") }
        #expect(second.sorted() == expected.sorted())
    }

    @Test func outOfOrderExplicitTimestampDroppedAndCounted() async throws {
        var cache = ScrapeCache()
        _ = try await scrape(appender(), "a 1 5000\n", ts: 10_000, cache: &cache)
        let (got, stats) = try await scrape(appender(), "a 2 4000\nb 1\n", ts: 20_000, cache: &cache)
        #expect(got == ["b 1.0 @20000"])
        #expect(stats.outOfOrder == 1)
        // The same sample exposed again (same timestamp, same value) is not sent twice.
        // The same timestamp again is not older: forwarded, as Prometheus's agent does.
        let (again, s3) = try await scrape(appender(), "a 1 5000\nb 2\n", ts: 30_000, cache: &cache)
        #expect(again == ["a 1.0 @5000", "b 2.0 @30000"])
        #expect(s3.outOfOrder == 0)
        let (newer, _) = try await scrape(appender(), "a 3 6000\nb 2\n", ts: 40_000, cache: &cache)
        #expect(newer == ["a 3.0 @6000", "b 2.0 @40000"])
    }

    @Test func honorTimestampsFalseUsesScrapeTime() async throws {
        var cache = ScrapeCache()
        let (got, _) = try await scrape(appender(honorTimestamps: false), "a 1 5000\n", ts: 10_000, cache: &cache)
        #expect(got == ["a 1.0 @10000"])
    }

    @Test func duplicatesWithSameValueAreNotCounted() async throws {
        var cache = ScrapeCache()
        let (got, stats) = try await scrape(appender(), "a 1\na 1\na 2\n", ts: 1000, cache: &cache)
        #expect(got == ["a 1.0 @1000"])
        #expect(stats.duplicates == 1)
        // Prometheus counts every copy in scrape_samples_post_metric_relabeling.
        #expect(stats.scraped == 3 && stats.postRelabel == 3)
    }

    @Test func emptyBodyIsAnEmptyScrapeInEveryFormat() async throws {
        var cache = ScrapeCache()
        let store = RecordingAppendable()
        let stats = try appender().append(
            body: [], format: .openMetrics, timestampMs: 1, cache: &cache, appender: store.appender())
        #expect(stats.scraped == 0)
    }

    @Test func acceptHeaderFollowsScrapeProtocols() {
        #expect(
            scrapeAcceptHeader(protocols: GlobalConfig.defaultScrapeProtocols)
                == "application/openmetrics-text;version=1.0.0;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,"
                + "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2")
        #expect(scrapeAcceptHeader(protocols: ["PrometheusText0.0.4"]) == "text/plain;version=0.0.4;q=0.6,*/*;q=0.5")
        #expect(ExpositionFormat.from(protocolName: "OpenMetricsText1.0.0") == .openMetrics)
        #expect(ExpositionFormat.from(protocolName: "PrometheusProto") == nil)
    }

    @Test func reportSeriesNamesWithExtraMetrics() {
        #expect(ScrapeAppender.reportSeriesNames(extra: false).count == 5)
        #expect(
            ScrapeAppender.reportSeriesNames(extra: true).suffix(3)
                == ["scrape_timeout_seconds", "scrape_sample_limit", "scrape_body_size_bytes"])
    }
}
