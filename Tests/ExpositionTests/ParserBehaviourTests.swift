import Exposition
import PromModel
import Testing

/// Variants named in the corpus case headers, and the streaming API.
@Suite struct ParserBehaviourTests {
    struct Variant: Sendable, CustomTestStringConvertible {
        var body: String
        var format: ExpositionFormat
        var expected: Outcome
        var testDescription: String { body.debugDescription }
    }

    static let variants: [Variant] = [
        // hex-and-underscore-values variants (confirmed).
        .init(body: "x 0x1P-3\n", format: .prometheusText, expected: .error("unsupported character in float")),
        .init(body: "x 1_000\n", format: .prometheusText, expected: .error("unsupported character in float")),
        .init(body: "x 0 1_2\n", format: .prometheusText, expected: .error("expected next entry after timestamp")),
        .init(
            body: "x 0x2\n", format: .prometheusText,
            expected: .error(#"strconv.ParseFloat: parsing "0x2": invalid syntax"#)),
        .init(body: "x 25,3\n", format: .prometheusText, expected: .error("invalid syntax")),
        .init(
            body: "a .5\nb 5.\nc +3\nd 007\ne -0\nf 1e+06\ng 1E-3\nh +Inf\ni -inf\n", format: .prometheusText,
            expected: .series(["a 0.5", "b 5", "c 3", "d 7", "e -0", "f 1e+06", "g 0.001", "h +Inf", "i -Inf"])),
        // invalid-utf8-label-value variants B–E.
        .init(
            body: "x{team=\"🚀\",name=\"東京\"} 1\n", format: .prometheusText,
            expected: .series([#"x{name="東京",team="🚀"} 1"#])),
        .init(
            body: "# HELP x bad \u{FF}\nx 1\n", format: .prometheusText, expected: .error("is not a valid utf8 string")),
        .init(body: "# build \u{FF} info\nx 1\n", format: .prometheusText, expected: .series(["x 1"])),
        // label-value-unescaped-quote variants B and C.
        .init(
            body: "note_info{text=\"line one\nline two\"} 1\n", format: .prometheusText,
            expected: .series([#"note_info{text="line one\nline two"} 1"#])),
        .init(
            body: "note_info{text=\"line one\nline two\"} 1\n# EOF\n", format: .openMetrics,
            expected: .error("expected label value")),
        .init(
            body: "s{name=\"ops 7\\\" key\"} 1\n", format: .prometheusText,
            expected: .series([#"s{name="ops 7\" key"} 1"#])),
        // space-after-label-comma: the 0.0.4 parser even accepts a missing comma.
        .init(body: "m{ a = \"1\" b = \"2\" } 1\n", format: .prometheusText, expected: .series([#"m{a="1",b="2"} 1"#])),
        .init(body: "m {a=\"1\"} 1\n", format: .prometheusText, expected: .series([#"m{a="1"} 1"#])),
        // negative-timestamp variants B and C.
        .init(body: "x 1 99999999999999999999\n", format: .prometheusText, expected: .error("value out of range")),
        .init(body: "x 1 1e12\n", format: .prometheusText, expected: .error("expected next entry after timestamp")),
        .init(body: "x 1 +5\n", format: .prometheusText, expected: .error("expected timestamp or new record")),
        // le-quantile-normalization notes: a TYPE after its samples does not apply; no TYPE, no change.
        .init(
            body: "h_bucket{le=\"1\"} 1\n# TYPE h histogram\n", format: .prometheusText,
            expected: .series([#"h_bucket{le="1"} 1"#])),
        .init(body: "h_bucket{le=\"1\"} 1\n", format: .prometheusText, expected: .series([#"h_bucket{le="1"} 1"#])),
        .init(
            body: "# TYPE h histogram\nh_bucket{le=\"abc\",quantile=\"1\"} 1\n", format: .prometheusText,
            expected: .series([#"h_bucket{le="abc",quantile="1"} 1"#])),
        .init(
            body: "# TYPE h gaugehistogram\nh_bucket{le=\"1\"} 1\n# EOF\n", format: .openMetrics,
            expected: .series([#"h_bucket{le="1"} 1"#])),
        // type-unknown-vs-untyped variants.
        .init(body: "# TYPE x Counter\n", format: .prometheusText, expected: .error(#"invalid metric type "Counter""#)),
        .init(body: "# TYPE x info\n", format: .prometheusText, expected: .error(#"invalid metric type "info""#)),
        .init(
            body: "# TYPE x stateset\n# TYPE y info\n# TYPE z gaugehistogram\n# EOF\n", format: .openMetrics,
            expected: .series([])),
        // crlf-line-endings variants.
        .init(
            body: "x 1 1700000000000\r\n", format: .prometheusText,
            expected: .error(#"expected next entry after timestamp, got "\r""#)),
        .init(body: "# HELP x text\r\nx 1\n", format: .prometheusText, expected: .series(["x 1"])),
        // missing-final-newline variant: an unterminated TYPE or comment line is fine too.
        .init(body: "x 1\n# TYPE x gauge", format: .prometheusText, expected: .series(["x 1"])),
        .init(body: "x 1\n# just a comment", format: .prometheusText, expected: .series(["x 1"])),
        // Timestamps, NaN, blank lines, leading blanks, NUL ends the text body as in promlex.
        .init(
            body: "  x 1 1700000000000  \n\n\t\ny NaN\n", format: .prometheusText,
            expected: .series(["x 1 1700000000000", "y NaN"])),
        .init(body: "x 1\n\0garbage{{{\n", format: .prometheusText, expected: .series(["x 1"])),
        // Quoted (UTF-8) names, Prometheus 3.
        .init(
            body: "{\"my.metric\",\"label.name\"=\"v\",b=\"2\"} 1\n", format: .prometheusText,
            expected: .series([#"{"my.metric",b="2","label.name"="v"} 1"#])),
        .init(
            body: "{\"my.metric\",\"label.name\"=\"v\"} 1\n# EOF\n", format: .openMetrics,
            expected: .series([#"{"my.metric","label.name"="v"} 1"#])),
        .init(body: "x{\"y\"} 1\n", format: .prometheusText, expected: .error("metric name already set")),
        .init(body: "{\"\"} 1\n", format: .prometheusText, expected: .error("metric name is empty")),
        // OpenMetrics: exemplars are parsed and skipped; timestamps in seconds; trailing comma.
        .init(
            body: "a_total 1 # {trace_id=\"abc\"} 0.5\nb_total{x=\"1\",} 2 1.5 # {id=\"q\"} 1 1700000000.1\n# EOF",
            format: .openMetrics,
            expected: .series(["a_total 1", #"b_total{x="1"} 2 1500"#])),
        .init(body: "a 1 # {\"q\"} 1\n# EOF\n", format: .openMetrics, expected: .error("expected label name")),
        .init(body: "a 1\n# EOF\n", format: .openMetrics, expected: .series(["a 1"])),
        .init(body: "a 1", format: .openMetrics, expected: .error("data does not end with # EOF")),
        .init(body: "a 1 2 3\n# EOF\n", format: .openMetrics, expected: .error("expected next entry after timestamp")),
        .init(body: "# HELP x \n# EOF\n", format: .openMetrics, expected: .series([])),
    ]

    @Test(arguments: variants)
    func variant(_ v: Variant) {
        check(v.body.utf8Bytes, v.format, v.expected)
    }

    @Test func streamingAccessors() throws {
        let body = """
            # HELP http_requests_total The total, with \\\\ and \\n and \\"q\\".
            # TYPE http_requests_total counter
            # free comment
            http_requests_total{method="post",code="200"} 1027 1395066363000
            # TYPE lat histogram
            lat_bucket{le="1"} 3

            """
        var p = ExpositionParser(body: Array(body.utf8), format: .prometheusText)
        #expect(try p.next() == .help)
        #expect(p.metadataName == "http_requests_total")
        #expect(p.helpText == "The total, with \\ and \n and \\\"q\\\".")
        #expect(try p.next() == .type)
        #expect(p.metadataName == "http_requests_total")
        #expect(p.metricType == .counter)
        #expect(try p.next() == .comment)
        #expect(try p.next() == .series)
        #expect(String(decoding: p.seriesBytes, as: UTF8.self) == #"http_requests_total{method="post",code="200"}"#)
        #expect(
            p.labels()
                == Labels([Label("__name__", "http_requests_total"), Label("code", "200"), Label("method", "post")]))
        #expect(p.value == 1027)
        #expect(p.timestampMs == 1_395_066_363_000)
        #expect(try p.next() == .type)
        #expect(p.metricType == .histogram)
        #expect(try p.next() == .series)
        #expect(p.labels()["le"] == "1.0")
        #expect(p.timestampMs == nil)
        #expect(try p.next() == nil)
        #expect(try p.next() == nil)
    }

    @Test func openMetricsMetadata() throws {
        let body = """
            # TYPE acme_http_router_request_seconds summary
            # UNIT acme_http_router_request_seconds seconds
            # HELP acme_http_router_request_seconds Latency with \\"quotes\\".
            acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32
            acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0
            acme_http_router_request_seconds_created{path="/api/v1",method="GET"} 1605281325.0
            # TYPE go_goroutines gauge
            go_goroutines 69
            # TYPE untyped_thing unknown
            untyped_thing 1
            # EOF

            """.dropLast()
        let parsed = try parseExposition(Array(body.utf8), format: .openMetrics)
        #expect(parsed.samples.count == 5)
        #expect(parsed.samples[2].labels.name == "acme_http_router_request_seconds_created")
        #expect(
            parsed.metadata == [
                MetricMetadata(
                    familyName: "acme_http_router_request_seconds", type: .summary, help: "Latency with \"quotes\".",
                    unit: "seconds"),
                MetricMetadata(familyName: "go_goroutines", type: .gauge),
                MetricMetadata(familyName: "untyped_thing", type: .unknown),
            ])
    }

    @Test func textMetadataLastWinsAndUntypedIsUnknown() throws {
        let body = "# HELP a first\n# HELP a second\n# TYPE a untyped\n# HELP b\n# HELP c  two spaces \na 1\n"
        let parsed = try parseExposition(Array(body.utf8), format: .prometheusText)
        #expect(
            parsed.metadata == [
                MetricMetadata(familyName: "a", type: .unknown, help: "second"),
                MetricMetadata(familyName: "b", type: .unknown, help: ""),
                MetricMetadata(familyName: "c", type: .unknown, help: " two spaces "),
            ])
    }

    @Test func nanIsCanonicalAndSamplesCompareByBits() throws {
        let parsed = try parseExposition(Array("x NaN\ny nan\n".utf8), format: .prometheusText)
        #expect(parsed.samples.allSatisfy { $0.value.bitPattern == 0x7ff8_0000_0000_0001 })
        let a = ParsedSample(labels: Labels([Label("__name__", "x")]), value: .nan)
        let stale = ParsedSample(labels: a.labels, value: StaleNaN.value)
        #expect(a == a)
        #expect(a != stale)
    }
}
