import Testing

@testable import Exposition

@Suite struct GoFloatTests {
    @Test(
        arguments: [
            (1.0, "1"), (1000.0, "1000"), (1e6, "1e+06"), (0.00001, "1e-05"), (0.0001, "0.0001"),
            (0.0, "0"), (-0.0, "-0"), (123456.0, "123456"), (1234567.0, "1.234567e+06"), (0.5, "0.5"),
            (5e10, "5e+10"), (7.25e9, "7.25e+09"), (1700000000.5, "1.7000000005e+09"), (-2.5, "-2.5"),
            (1e21, "1e+21"), (1.5e-300, "1.5e-300"), (Double.leastNonzeroMagnitude, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (0.1, "0.1"), (100.25, "100.25"), (.infinity, "+Inf"), (-.infinity, "-Inf"), (Double.nan, "NaN"),
        ] as [(Double, String)])
    func goFormatG(_ v: Double, _ want: String) {
        #expect(formatGoFloatG(v) == want)
    }

    @Test(arguments: [
        ("1", "1.0"), ("1e3", "1000.0"), ("1000000", "1e+06"), ("0.00001", "1e-05"), ("0", "0.0"),
        ("0.990", "0.99"), ("+Inf", "+Inf"), ("-inf", "-Inf"), ("NaN", "NaN"), ("abc", "abc"), ("", ""),
        ("512.0", "512.0"), ("1e400", "1e400"),
    ])
    func labelValueNormalisation(_ input: String, _ want: String) {
        #expect(normalizeFloatLabelValue(input) == want)
    }

    @Test(
        arguments: [
            (".5", 0.5), ("5.", 5), ("+3", 3), ("007", 7), ("1e+06", 1e6), ("1E-3", 0.001), ("7.25E9", 7.25e9),
            ("1.5E+8", 1.5e8), ("Inf", .infinity), ("+inf", .infinity), ("-Infinity", -.infinity),
            ("INFINITY", .infinity),
            ("12345678901234567890123", 1.2345678901234568e22), ("0.1", 0.1), ("1e-400", 0),
            ("4.9e-324", Double.leastNonzeroMagnitude),
            ("1.7976931348623157e308", 1.7976931348623157e308), ("0.1000000000000000055511151231257827", 0.1),
            ("9007199254740993", 9007199254740992), ("0.000000000000000000000000000001", 1e-30),
        ] as [(String, Double)])
    func accepted(_ text: String, _ want: Double) {
        #expect(parse(text) == .success(want))
    }

    @Test func negativeZeroAndNaN() {
        guard case .success(let z) = parse("-0") else { Issue.record("-0"); return }
        #expect(z == 0 && z.sign == .minus)
        guard case .success(let n) = parse("nan") else { Issue.record("nan"); return }
        #expect(n.bitPattern == 0x7ff8_0000_0000_0001)
    }

    @Test(
        arguments: [
            ("0x1p-1", FloatParseError.unsupportedCharacter), ("0x1P-3", .unsupportedCharacter),
            ("1_000", .unsupportedCharacter),
            ("0x2", .invalidSyntax), ("1e400", .outOfRange), ("-1e400", .outOfRange), ("true", .invalidSyntax),
            ("25,3", .invalidSyntax),
            ("1.2.3", .invalidSyntax), ("", .invalidSyntax), ("+", .invalidSyntax), (".", .invalidSyntax),
            ("1e", .invalidSyntax),
            ("1e+", .invalidSyntax), ("+nan", .invalidSyntax), ("infx", .invalidSyntax), ("infin", .invalidSyntax),
            ("21.75\r", .invalidSyntax),
            ("--1", .invalidSyntax), ("e5", .invalidSyntax),
        ] as [(String, FloatParseError)])
    func rejected(_ text: String, _ want: FloatParseError) {
        #expect(parse(text) == .failure(want))
    }

    @Test func timestampConversion() {
        #expect(secondsToMilliseconds(1_700_000_000.0) == 1_700_000_000_000)
        #expect(secondsToMilliseconds(-1) == -1000)
        #expect(secondsToMilliseconds(1.0005) == 1000)
        #expect(secondsToMilliseconds(1e300) == .min)
    }

    private func parse(_ s: String) -> Result<Double, FloatParseError> {
        let bytes = Array(s.utf8)
        return bytes.withUnsafeBufferPointer { parseGoFloat($0, 0..<$0.count) }
    }
}
