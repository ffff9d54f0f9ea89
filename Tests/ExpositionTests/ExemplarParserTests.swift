import Exposition
import PromModel
import Testing

/// Exemplar accessors of the streaming parser.
@Suite struct ExemplarParserTests {
    struct Seen: Equatable {
        var series: String
        var exemplar: String?
    }

    func parse(_ body: String, _ format: ExpositionFormat) throws -> [Seen] {
        var p = ExpositionParser(body: Array(body.utf8), format: format)
        var out: [Seen] = []
        while let e = try p.next() {
            guard e == .series else { continue }
            #expect(p.hasExemplar == (p.exemplar() != nil))
            let ex = p.exemplar().map { "\($0.labels) \($0.value) \($0.timestampMs.map(String.init) ?? "-")" }
            out.append(Seen(series: "\(p.labels())", exemplar: ex))
        }
        return out
    }

    @Test func openMetricsExemplarsPerSampleLine() throws {
        let body = """
            # TYPE foo counter
            foo_total{a="1"} 1 # {trace_id="abc",span_id="x\\"y"} 0.5 1700000000.123
            foo_total{a="2"} 2 1700000001 # {trace_id="def"} 3
            foo_total{a="3"} 3
            foo_total{a="4"} 4 # {} 1.5
            # EOF

            """
        let got = try parse(body, .openMetrics)
        #expect(
            got.map(\.exemplar) == [
                #"{span_id="x\"y", trace_id="abc"} 0.5 1700000000123"#,
                #"{trace_id="def"} 3.0 -"#,
                nil,
                "{} 1.5 -",
            ])
        #expect(got[0].series == #"foo_total{a="1"}"#)
    }

    @Test func textFormatHasNoExemplars() throws {
        let got = try parse("a{x=\"1\"} 1\nb 2 1000\n", .prometheusText)
        #expect(got.count == 2)
        #expect(got.allSatisfy { $0.exemplar == nil })
    }
}
