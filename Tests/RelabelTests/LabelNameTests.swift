import Testing

@testable import Relabel

/// The label-name rules every module uses (issue 15: one place per rule).
@Suite struct LabelNameTests {
    /// `relabelTarget` as Prometheus writes it, run by RE2: the scanner must agree on each case.
    static let relabelTarget = try! Regex(#"(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+"#)

    @Test(arguments: [
        ("job", true), ("_a1", true), ("1a", false), ("", false), ("a-b", false), ("é", false),
        ("$1", true), ("${1}", true), ("${name}_x", true), ("a$1b", true), ("$1$2", true), ("x_${a}${b}", true),
        ("$", false), ("${}", false), ("${a", false), ("${a-b}", false), ("$-", false), ("a$", false),
        ("${1}-", false), ("1$a", false), ("$é", false), ("{a}", false), ("a b", false), ("$a}", false),
    ])
    func templatedNameAgreesWithRE2(name: String, valid: Bool) {
        #expect(LabelName.isValidTemplated(name) == valid, "\(name)")
        #expect(Self.relabelTarget.matches(name) == valid, "\(name)")
    }

    @Test(arguments: [
        ("job", true), ("_", true), ("A_9", true), ("9a", false), ("", false), ("a:b", false), ("a.b", false),
        ("ä", false),
    ])
    func legacyLabelName(name: String, valid: Bool) {
        #expect(LabelName.isValid(name) == valid, "\(name)")
        #expect(LabelName.isValidMetricName(name) == (valid || name == "a:b"), "\(name)")
    }
}
