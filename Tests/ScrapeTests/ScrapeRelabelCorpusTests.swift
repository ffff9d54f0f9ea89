import PromModel
import Relabel
import Testing

@testable import Scrape

/// Scrape-level corpus cases that combine parsing, target labels, metric relabeling and the
/// label limits (issue 4). Inputs copied from the corpus case files named in each test.
@Suite struct ScrapeRelabelCorpusTests {
    static let target = Labels(["instance": "192.0.2.10:9100", "job": "demo"])

    func transform(_ r: RelabelRules?) -> LabelsTransform? {
        guard let r else { return nil }
        return { r.apply($0) }
    }

    /// Appends `body` as one scrape and returns the appended samples as text lines.
    func run(_ body: String, relabel: RelabelRules? = nil, limits: ScrapeLimits = ScrapeLimits()) throws -> [String] {
        let sa = ScrapeAppender(
            targetLabels: Self.target, honorLabels: false, honorTimestamps: true, trackTimestampsStaleness: false,
            metricRelabel: transform(relabel), limits: limits)
        var cache = ScrapeCache()
        let app = LinesAppender()
        _ = try sa.append(body: Array(body.utf8), format: .prometheusText, timestampMs: 1, cache: &cache, appender: app)
        return app.lines
    }

    /// corpus: metric-relabel-dunder-labels-kept (confirmed): metric relabeling strips nothing.
    @Test func dunderLabelsKeptAfterMetricRelabeling() throws {
        let rules = RelabelRules([
            try RelabelRule(
                sourceLabels: ["__name__"], regex: "go_goroutines", targetLabel: "__tmp_mark", replacement: "yes")
        ])
        let got = try run("go_goroutines 31\nbuild_stage{__debug=\"x\"} 1\n", relabel: rules)
        #expect(
            got == [
                #"go_goroutines{__tmp_mark="yes", instance="192.0.2.10:9100", job="demo"} 31.0"#,
                #"build_stage{__debug="x", instance="192.0.2.10:9100", job="demo"} 1.0"#,
            ])
    }

    static let cmdline =
        #"proc_io_write_bytes{pid="42",cmdline="/opt/demo/bin/worker --queue=batch --verbose"} 1024"# + "\n"

    /// corpus: label-value-length-limit (confirmed): checked on the final label set, in bytes.
    @Test func labelValueLengthLimitFailsScrape() throws {
        var limits = ScrapeLimits()
        limits.labelValueLengthLimit = 40
        #expect {
            try run(Self.cmdline, limits: limits)
        } throws: { error in
            (error as? ScrapeAppendError)?.description
                == #"label_value_length_limit exceeded (metric: proc_io_write_bytes, label name: cmdline, value: "/opt/demo/bin/worker --queue=batch --verbose", length: 44, limit: 40)"#
        }
        // A labeldrop of cmdline rescues the scrape: the limit applies after relabeling.
        let drop = RelabelRules([try RelabelRule(regex: "cmdline", action: "labeldrop")])
        #expect(try run(Self.cmdline, relabel: drop, limits: limits).count == 1)
        // Bytes, not characters: 21 × "é" is 42 bytes.
        let accents = "m{v=\"" + String(repeating: "é", count: 21) + "\"} 1\n"
        #expect(throws: ScrapeAppendError.self) { try run(accents, limits: limits) }
        // The default (0) is unlimited: a 5,000-byte value is fine.
        #expect(try run("m{v=\"" + String(repeating: "x", count: 5000) + "\"} 1\n").count == 1)
    }

    @Test func labelLimitAndNameLengthLimit() throws {
        var limits = ScrapeLimits()
        limits.labelLimit = 4  // __name__, instance and job count too
        #expect(throws: ScrapeAppendError.self) { try run("m{a=\"1\",b=\"2\"} 1\n", limits: limits) }
        #expect(try run("m{a=\"1\"} 1\n", limits: limits).count == 1)
        var names = ScrapeLimits()
        names.labelNameLengthLimit = 5
        #expect(throws: ScrapeAppendError.self) { try run("m{abcdef=\"1\"} 1\n", limits: names) }
    }
}

/// Records appended samples as `labels value` lines, synchronously. It hands out no refs, so
/// every scrape appends by labels (the path taken when storage has forgotten a series).
final class LinesAppender: Appender {
    var lines: [String] = []
    func append(_ labels: Labels, timestampMs: Int64, value: Double) throws -> SeriesRef {
        lines.append("\(labels) \(value)")
        return .none
    }
    func commit() async throws {}
    func rollback() { lines.removeAll() }
}
