import Exposition
import Foundation
import PromModel
import Testing

/// What a corpus case must produce for one format.
enum Outcome: Sendable, CustomStringConvertible {
    /// Samples rendered as `name{labels} value[ timestampMs]`, in body order.
    case series([String])
    /// A scrape error whose message contains the text (and, when given, at that line).
    case error(String, line: Int? = nil)

    var description: String {
        switch self {
        case .series(let s): return "series(\(s.count))"
        case .error(let m, _): return "error(\(m))"
        }
    }
}

struct CorpusCase: Sendable, CustomTestStringConvertible {
    var id: String
    var format: ExpositionFormat
    /// Bytes appended to the case input (for example `# EOF` for an OpenMetrics variant).
    var suffix: String = ""
    var expected: Outcome
    var testDescription: String {
        "\(id) [\(format == .openMetrics ? "OM" : "0.0.4")\(suffix.isEmpty ? "" : " +suffix")]"
    }
}

private let text = ExpositionFormat.prometheusText
private let om = ExpositionFormat.openMetrics

/// One line per case and format. Confidence as in each case header: "confirmed" cases follow
/// Prometheus code and upstream tests; variants marked "inferred" in the header follow the
/// lexer rules (promlex.l / openmetricslex.l).
let corpusCases: [CorpusCase] = [
    // Content-Type is the scrape loop's business; the body itself is plain 0.0.4 (confirmed).
    .init(
        id: "content-type-missing", format: text,
        expected: .series([#"relay_bytes_sent_max{chain="main",upstream="node-1"} 96"#])),
    // The value token runs to LF, so the CR is part of the number (confirmed).
    .init(
        id: "crlf-line-endings", format: text,
        expected: .error(#"strconv.ParseFloat: parsing "21.75\r": invalid syntax"#, line: 1)),
    .init(
        id: "crlf-line-endings", format: om,
        expected: .error(#"strconv.ParseFloat: parsing "21.75\r": invalid syntax"#, line: 1)),
    // An empty value means "absent" (confirmed).
    .init(
        id: "empty-label-value", format: text,
        expected: .series([#"gpu_slots{node="n1"} 1"#, #"gpu_slots{accelerator="a100",node="n2"} 1"#])),
    // {D}+ eats the seconds, then '.' is invalid (confirmed); OM takes float seconds (confirmed).
    .init(
        id: "float-timestamp-text-format", format: text,
        expected: .error(#"expected next entry after timestamp, got ".""#, line: 2)),
    .init(
        id: "float-timestamp-text-format", format: om, suffix: "# EOF\n",
        expected: .series(["jobs_processed_total 17 1700000000000"])),
    .init(id: "hex-and-underscore-values", format: text, expected: .error("unsupported character in float", line: 1)),
    .init(
        id: "hex-and-underscore-values", format: om, suffix: "# EOF\n",
        expected: .error("unsupported character in float", line: 1)),
    // No structural validation; le kept because the family is typed summary (confirmed).
    .init(
        id: "histogram-missing-inf-bucket", format: text,
        expected: .series([
            #"upload_size_bytes_bucket{le="512.0"} 0"#, #"upload_size_bytes_bucket{le="1024"} 1"#,
            #"upload_size_bytes_bucket{le="4096.0"} 2"#, "upload_size_bytes_count 2", "upload_size_bytes_sum 1800",
        ])),
    .init(
        id: "invalid-utf8-label-value", format: text,
        expected: .error(#"invalid UTF-8 label value: "\"\xffshop-api\"""#, line: 2)),
    .init(
        id: "label-value-braces-commas", format: text,
        expected: .series([
            #"db_extension_info{cluster="c1",db="app",list="{pgcrypto,hstore}"} 1"#,
            #"pg_settings_info{name="search_path",value="\"$user\", public"} 1"#,
            #"api_requests_total{note="retry = 2, ok",path="/v1/items/{id}/tags"} 5"#,
        ])),
    // Rendered with escapes again: drive is `F:\`, path is `C:\new\temp` (checked raw below).
    .init(
        id: "label-value-escaped-backslash", format: text,
        expected: .series([
            #"share_free_bytes{drive="F:\\",host="vm-01"} 5e+10"#, #"backup_path_info{path="C:\\new\\temp"} 1"#,
        ])),
    // The limit is a scrape option checked after relabeling; the parser accepts the line.
    .init(
        id: "label-value-length-limit", format: text,
        expected: .series([
            #"proc_io_write_bytes{cmdline="/opt/demo/bin/worker --queue=batch --verbose",pid="42"} 1024"#
        ])),
    // Go prints the token plus one byte (`"\",id=\"1"`); promsls quotes the token itself.
    .init(
        id: "label-value-unescaped-quote", format: text, expected: .error(#"expected equal, got "\",id=\"""#, line: 4)),
    .init(id: "le-quantile-normalization", format: text, expected: .series(leQuantileExpected)),
    .init(id: "le-quantile-normalization", format: om, suffix: "# EOF\n", expected: .series(leQuantileExpected)),
    .init(
        id: "metric-relabel-dunder-labels-kept", format: text,
        expected: .series(["go_goroutines 31", #"build_stage{__debug="x"} 1"#])),
    .init(id: "missing-final-newline", format: text, expected: .series(["app_uptime_seconds 3600"])),
    .init(
        id: "negative-timestamp", format: text, expected: .error(#"expected timestamp or new record, got "-""#, line: 2)
    ),
    // Variant D (inferred): OM accepts a negative timestamp, -1 s = -1000 ms.
    .init(
        id: "negative-timestamp", format: om, suffix: "# EOF\n",
        expected: .series([#"consumer_lag_ms{group="g1",partition="0"} 0 -1000"#])),
    .init(
        id: "om-counter-without-total", format: om,
        expected: .series(["demo_foo_total 5", "demo_bar 6", "demo_baz_total 3"])),
    .init(
        id: "om-counter-without-total", format: text,
        expected: .series(["demo_foo_total 5", "demo_bar 6", "demo_baz_total 3"])),
    // Default: _created lines are ordinary series (confirmed).
    .init(
        id: "om-created-series", format: om,
        expected: .series([
            #"orders_processed_total{shop="eu",status="ok"} 42"#,
            #"orders_processed_created{shop="eu",status="ok"} 1.7000000005e+09"#, "backlog_created 4",
        ])),
    .init(id: "om-missing-eof", format: om, expected: .error("data does not end with # EOF", line: 4)),
    .init(
        id: "om-missing-eof", format: text,
        expected: .series([
            #"mail_filter_actions_total{action="reject"} 0"#, #"mail_filter_actions_total{action="accept"} 1"#,
        ])),
    .init(
        id: "om-missing-eof", format: om, suffix: "# EOF",
        expected: .series([
            #"mail_filter_actions_total{action="reject"} 0"#, #"mail_filter_actions_total{action="accept"} 1"#,
        ])),
    .init(id: "om-missing-eof", format: om, suffix: "# EOF\n\n", expected: .error("unexpected data after # EOF")),
    .init(
        id: "repeated-help-type-split-family", format: text,
        expected: .series([
            #"widgets_total{batch="x",site="s1"} 1"#, "other_gauge 3", #"widgets_total{site="s1"} 1"#,
            #"widgets_total{site="s2"} 2"#, "late_total 5",
        ])),
    .init(id: "space-after-label-comma", format: om, expected: .error(#"expected label name, got " ""#, line: 2)),
    .init(
        id: "space-after-label-comma", format: text,
        expected: .series([#"http_requests_total{code="200",method="get"} 5"#])),
    .init(
        id: "trailing-comma-exponent-blank-lines", format: text,
        expected: .series([
            #"app_cache_bytes{pool="hot"} 7.25e+09"#, #"app_cache_bytes{pool="cold"} 1.5e+08"#,
        ])),
    // OM: any blank line is an error (confirmed).
    .init(
        id: "trailing-comma-exponent-blank-lines", format: om,
        expected: .error(#"expected a valid start token, got "\n""#, line: 5)),
    .init(
        id: "trailing-whitespace", format: text, expected: .series(["queue_failed_total 17", "queue_retried_total 0"])),
    // OM allows exactly one space and no tabs (variant C, partly inferred).
    .init(
        id: "trailing-whitespace", format: om, expected: .error("expected timestamp or exemplar after value", line: 3)),
    .init(id: "type-unknown-vs-untyped", format: text, expected: .error(#"invalid metric type "unknown""#, line: 2)),
    .init(id: "type-unknown-vs-untyped", format: om, suffix: "# EOF\n", expected: .series(["probe_success_flag 1"])),
]

let leQuantileExpected = [
    #"gc_pause_seconds{quantile="0.0"} 0.001"#, #"gc_pause_seconds{quantile="0.99"} 0.02"#,
    "gc_pause_seconds_sum 1.2", "gc_pause_seconds_count 40",
    #"rpc_duration_seconds_bucket{le="1e-05"} 0"#, #"rpc_duration_seconds_bucket{le="0.5"} 3"#,
    #"rpc_duration_seconds_bucket{le="1.0"} 7"#, #"rpc_duration_seconds_bucket{le="1000.0"} 8"#,
    #"rpc_duration_seconds_bucket{le="1e+06"} 9"#, #"rpc_duration_seconds_bucket{le="+Inf"} 9"#,
    "rpc_duration_seconds_sum 12.5", "rpc_duration_seconds_count 9",
    // Quirk (inferred): the TYPE is sticky, so queue_wait_bucket is normalised too.
    #"queue_wait_bucket{le="5.0"} 1"#,
]

/// Parses `body` and checks it against `expected`.
func check(
    _ body: [UInt8], _ format: ExpositionFormat, _ expected: Outcome, sourceLocation: SourceLocation = #_sourceLocation
) {
    switch expected {
    case .series(let want):
        do {
            let parsed = try parseExposition(body, format: format)
            #expect(lines(parsed.samples) == want, sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error: \(error)", sourceLocation: sourceLocation)
        }
    case .error(let text, let line):
        do {
            let parsed = try parseExposition(body, format: format)
            Issue.record(
                "expected error \(text), parsed \(parsed.samples.count) samples", sourceLocation: sourceLocation)
        } catch {
            #expect(error.message.contains(text), "\(error)", sourceLocation: sourceLocation)
            if let line { #expect(error.line == line, "\(error)", sourceLocation: sourceLocation) }
        }
    }
}

@Suite struct CorpusCaseTests {
    @Test(arguments: corpusCases)
    func corpusCase(_ c: CorpusCase) throws {
        check(try Fixtures.caseInput(c.id) + c.suffix, c.format, c.expected)
    }

    @Test func everyExpositionCaseHasAFixtureAndALine() throws {
        let files = try FileManagerList.cases()
        let covered = Set(corpusCases.map(\.id)).union(["staleness-explicit-timestamps"])
        #expect(Set(files) == covered)
    }

    @Test func escapedBackslashValuesAreLiteral() throws {
        let samples = try parseExposition(try Fixtures.caseInput("label-value-escaped-backslash"), format: text).samples
        #expect(samples[0].labels["drive"] == #"F:\"#)
        #expect(samples[0].labels["drive"]?.utf8.count == 3)
        #expect(samples[1].labels["path"] == #"C:\new\temp"#)
        #expect(samples[0].value == 5e10)
    }

    @Test func histogramTypedBucketsAreNormalised() throws {
        var body = try Fixtures.caseInput("histogram-missing-inf-bucket")
        body = Array(
            String(decoding: body, as: UTF8.self).replacingOccurrences(
                of: "upload_size_bytes summary", with: "upload_size_bytes histogram"
            ).utf8)
        let samples = try parseExposition(body, format: text).samples
        #expect(samples.count == 5)
        #expect(samples.map { $0.labels["le"] } == ["512.0", "1024.0", "4096.0", nil, nil])
    }

    @Test func contentTypeSelectsTheParser() {
        #expect(ExpositionFormat.from(contentType: "text/plain; version=0.0.4; charset=utf-8") == .prometheusText)
        #expect(ExpositionFormat.from(contentType: "text/plain") == .prometheusText)
        #expect(ExpositionFormat.from(contentType: "TEXT/PLAIN; charset=iso-8859-1") == .prometheusText)
        #expect(ExpositionFormat.from(contentType: "application/openmetrics-text; version=1.0.0") == .openMetrics)
        #expect(ExpositionFormat.from(contentType: "application/openmetrics-text;version=0.0.1") == .openMetrics)
        #expect(ExpositionFormat.from(contentType: "text/html; charset=utf-8") == nil)
        #expect(
            ExpositionFormat.from(
                contentType: "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily") == nil)
        #expect(ExpositionFormat.from(contentType: "") == nil)
        #expect(ExpositionFormat.from(contentType: nil) == nil)
        #expect(defaultScrapeAcceptHeader.hasPrefix("application/openmetrics-text;version=1.0.0"))
        #expect(defaultScrapeAcceptHeader.contains("text/plain;version=0.0.4"))
        #expect(defaultScrapeAcceptHeader.hasSuffix("*/*;q=0.3"))
    }

    @Test func emptyBodyIsAnEmptyScrapeInTextAndAnErrorInOpenMetrics() throws {
        // A 0-byte body never reaches the parser in Prometheus (scrape.go short-circuits it);
        // the parser itself follows the formats.
        #expect(try parseExposition([], format: text).samples.isEmpty)
        check([], om, .error("data does not end with # EOF"))
    }

    /// Two scrape bodies separated by `### ` lines; `{T1-5000}` stands for an explicit timestamp.
    @Test func stalenessCaseBodiesParse() throws {
        let input = String(decoding: try Fixtures.caseInput("staleness-explicit-timestamps"), as: UTF8.self)
        var bodies: [String] = []
        for line in input.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("### ") {
                bodies.append("")
            } else if !bodies.isEmpty {
                bodies[bodies.count - 1] += line + "\n"
            }
        }
        #expect(bodies.count == 2)
        let t1: Int64 = 1_700_000_015_000
        let first = bodies[0].replacingOccurrences(of: "{T1-5000}", with: String(t1 - 5000))
        check(
            Array(first.utf8), text,
            .series(["job_queue_len 4", #"container_cpu_usage_seconds_total{container="c1"} 10 1700000010000"#]))
        check(Array(bodies[1].utf8), text, .series(["other_metric 1"]))
    }
}

enum FileManagerList {
    static func cases() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: Fixtures.root.appendingPathComponent("cases").path)
            .filter { $0.hasSuffix(".txt") }.map { String($0.dropLast(4)) }
    }
}
