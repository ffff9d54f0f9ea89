import Exposition
import Testing

/// Error positions (1-based line, byte column of the offending token) and messages.
@Suite struct ErrorMessageTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var body: String
        var format: ExpositionFormat
        var line: Int
        var column: Int
        var message: String
        var testDescription: String { body.debugDescription }
    }

    static let cases: [Case] = [
        .init(
            body: "a 1\nfoo{bar=} 1\n", format: .prometheusText, line: 2, column: 9,
            message: #"expected label value, got "}""#),
        .init(
            body: "a{b=\"c\"} 1\nx 1 -1\n", format: .prometheusText, line: 2, column: 5,
            message: #"expected timestamp or new record, got "-""#),
        .init(
            body: "x{1=\"a\"} 1", format: .prometheusText, line: 1, column: 3, message: #"expected label name, got "1""#
        ),
        .init(
            body: "x{a=\"\u{FF}\"} 1", format: .prometheusText, line: 1, column: 5,
            message: #"invalid UTF-8 label value: "\"\xff\"""#),
        .init(
            body: "x 1 2 3\n", format: .prometheusText, line: 1, column: 7,
            message: #"expected next entry after timestamp, got "3""#),
        .init(
            body: "x\n", format: .prometheusText, line: 1, column: 2, message: #"expected value after metric, got "\n""#
        ),
        .init(
            body: "x", format: .prometheusText, line: 1, column: 2, message: #"expected value after metric, got "\n""#),
        .init(
            body: "x 1 99999999999999999999\n", format: .prometheusText, line: 1, column: 5,
            message: #"strconv.ParseInt: parsing "99999999999999999999": value out of range"#),
        .init(
            body: "x 1e400\n", format: .prometheusText, line: 1, column: 3,
            message: #"strconv.ParseFloat: parsing "1e400": value out of range"#),
        .init(
            body: "# TYPE x counter \n", format: .prometheusText, line: 1, column: 10,
            message: #"invalid metric type "counter ""#),
        .init(
            body: "# TYPE x  counter\n", format: .prometheusText, line: 1, column: 10,
            message: #"invalid metric type " counter""#),
        .init(
            body: "# TYPE x gauge\r\n", format: .prometheusText, line: 1, column: 10,
            message: #"invalid metric type "gauge\r""#),
        .init(
            body: "# HELP x a\u{FF}b\n", format: .prometheusText, line: 1, column: 10,
            message: #"help text "a\xffb" is not a valid utf8 string"#),
        .init(
            body: "# HELP 1x y\n", format: .prometheusText, line: 1, column: 8,
            message: #"expected metric name after HELP, got "1x""#),
        .init(
            body: "x{\u{FF}=\"foo\"} 1\n", format: .prometheusText, line: 1, column: 3,
            message: #"expected label name, got "\xff""#),
        .init(
            body: "-x 1\n", format: .prometheusText, line: 1, column: 1,
            message: #"expected a valid start token, got "-""#),
        .init(body: "{a=\"b\"} 1\n", format: .prometheusText, line: 1, column: 1, message: "metric name not set"),
        .init(
            body: "x{a=\"1\",a=\"2\"} 1\n", format: .prometheusText, line: 1, column: 3,
            message: #"label name "a" is not unique"#),
        .init(
            body: "x{__name__=\"y\"} 1\n", format: .prometheusText, line: 1, column: 3,
            message: #"label name "__name__" is not unique"#),
        .init(
            body: "x{a=\"1\",,b=\"2\"} 1\n", format: .prometheusText, line: 1, column: 9,
            message: #"expected label name, got ",""#),
        .init(body: "x{a=\"1\\\n\"} 1\n", format: .prometheusText, line: 1, column: 5, message: "expected label value"),
        .init(
            body: "x 1\n\n# EOF\n", format: .openMetrics, line: 2, column: 1,
            message: #"expected a valid start token, got "\n""#),
        .init(
            body: "# comment\n# EOF\n", format: .openMetrics, line: 1, column: 3,
            message: #"expected a valid start token, got "comment""#),
        .init(
            body: "a{b=\"c\" } 1\n# EOF\n", format: .openMetrics, line: 1, column: 8,
            message: #"expected comma or brace close, got " ""#),
        .init(
            body: "a{b=\"c\"d=\"e\"} 1\n# EOF\n", format: .openMetrics, line: 1, column: 8,
            message: "expected comma or brace close"),
        .init(
            body: "a\t1\n# EOF\n", format: .openMetrics, line: 1, column: 2,
            message: #"expected value after metric, got "\t""#),
        .init(
            body: "a 1 2 \n# EOF\n", format: .openMetrics, line: 1, column: 6,
            message: #"expected next entry after timestamp, got " ""#),
        .init(body: "a 1 NaN\n# EOF\n", format: .openMetrics, line: 1, column: 5, message: "invalid timestamp NaN"),
        .init(
            body: "# TYPE u untyped\n# EOF\n", format: .openMetrics, line: 1, column: 10,
            message: #"invalid metric type "untyped""#),
        .init(
            body: "# UNIT x_bytes seconds\n# EOF\n", format: .openMetrics, line: 1, column: 16,
            message: #"unit "seconds" not a suffix of metric "x_bytes""#),
        .init(body: "# HELP x\n# EOF\n", format: .openMetrics, line: 1, column: 9, message: "expected text in HELP"),
        .init(body: "# EOF\nx 1\n", format: .openMetrics, line: 2, column: 1, message: "unexpected data after # EOF"),
        .init(
            body: "a{b=\"1\\\n2\"} 1\n# EOF\n", format: .openMetrics, line: 1, column: 5,
            message: "expected label value"),
        .init(
            body: "a{b=\"line one\nline two\"} 1\n# EOF\n", format: .openMetrics, line: 1, column: 5,
            message: "expected label value"),
        .init(
            body: "a 1 # {id=\"x\"}\n# EOF\n", format: .openMetrics, line: 1, column: 15,
            message: "expected value after exemplar labels"),
        .init(
            body: "a 1 # {id=\"x\"} 2 NaN\n# EOF\n", format: .openMetrics, line: 1, column: 18,
            message: "invalid exemplar timestamp NaN"),
    ]

    @Test(arguments: cases)
    func errorPosition(_ c: Case) {
        do {
            let parsed = try parseExposition(Array(c.body.utf8Bytes), format: c.format)
            Issue.record("expected an error, got \(parsed.samples.count) samples")
        } catch {
            #expect(error.message == c.message || error.message.hasPrefix(c.message), "\(error)")
            #expect(error.line == c.line, "\(error)")
            #expect(error.column == c.column, "\(error)")
            #expect(error.description == "line \(c.line), column \(c.column): \(error.message)")
        }
    }

    @Test func longTokensAreCutTo64Bytes() {
        let long = String(repeating: "y", count: 200)
        do {
            _ = try parseExposition(Array("x{a=\"1\" b \(long)}".utf8), format: .prometheusText)
            Issue.record("expected an error")
        } catch {
            #expect(error.message == "expected equal, got \"\(String(repeating: "y", count: 64))\"")
        }
    }

    @Test func parserStopsAfterAnError() throws {
        var p = ExpositionParser(body: Array("a 1\nb{ 1\nc 3\n".utf8), format: .prometheusText)
        #expect(try p.next() == .series)
        #expect(throws: ExpositionError.self) { try p.next() }
        #expect(try p.next() == nil)
    }
}

extension String {
    /// The string's bytes, with U+00FF standing for a raw 0xFF byte (invalid UTF-8 in tests).
    var utf8Bytes: [UInt8] {
        var out: [UInt8] = []
        for s in unicodeScalars {
            if s == "\u{FF}" { out.append(0xFF) } else { out.append(contentsOf: Array(String(s).utf8)) }
        }
        return out
    }
}
