import Testing

@testable import Relabel

/// Invalid rules and the error Prometheus's relabel.Config.Validate (legacy names) gives;
/// nil = the rule is valid.
let validationCases: [(R, RelabelError.Kind?, String?)] = [
    (r("foo", target: "x"), .unknownAction, #"unknown relabel action "foo""#),
    (r("", target: "x"), .unknownAction, "relabel action cannot be empty"),
    (r("HashMod", src: ["a"], target: "x", mod: 2), nil, nil),
    (r(src: ["a-b"], target: "x"), .invalidSourceLabel, #""a-b" is not a valid label name"#),
    (
        r("hashmod", src: ["a"], target: "x"), .zeroModulus,
        "relabel configuration for hashmod requires non-zero modulus"
    ),
    (r(src: ["a"]), .missingTargetLabel, "relabel configuration for replace action requires 'target_label' value"),
    (
        r("hashmod", src: ["a"], mod: 3), .missingTargetLabel,
        "relabel configuration for hashmod action requires 'target_label' value"
    ),
    (
        r("lowercase", src: ["a"]), .missingTargetLabel,
        "relabel configuration for lowercase action requires 'target_label' value"
    ),
    (
        r("uppercase", src: ["a"]), .missingTargetLabel,
        "relabel configuration for uppercase action requires 'target_label' value"
    ),
    (
        r("keepequal", src: ["a"]), .missingTargetLabel,
        "relabel configuration for keepequal action requires 'target_label' value"
    ),
    (
        r("dropequal", src: ["a"]), .missingTargetLabel,
        "relabel configuration for dropequal action requires 'target_label' value"
    ),
    (r("keep", src: ["a"]), nil, nil),
    (r("drop", src: ["a"]), nil, nil),
    (r(src: ["a"], target: "1abc"), .invalidTargetLabel, #""1abc" is invalid 'target_label' for replace action"#),
    (r(src: ["a"], target: "foo-bar"), .invalidTargetLabel, #""foo-bar" is invalid 'target_label' for replace action"#),
    (
        r(src: ["a"], target: "utf-8.label"), .invalidTargetLabel,
        #""utf-8.label" is invalid 'target_label' for replace action"#
    ),
    (r(src: ["a"], target: "${1}"), nil, nil),
    (r(src: ["a"], target: "$1"), nil, nil),
    (r(src: ["a"], target: "foo_${bar}_baz"), nil, nil),
    (r(src: ["a"], target: "${1}-x"), .invalidTargetLabel, #""${1}-x" is invalid 'target_label' for replace action"#),
    (r(src: ["a"], target: "${1"), .invalidTargetLabel, #""${1" is invalid 'target_label' for replace action"#),
    (
        r("lowercase", src: ["a"], target: "1x"), .invalidTargetLabel,
        #""1x" is invalid 'target_label' for lowercase action"#
    ),
    (
        r("keepequal", src: ["a"], target: "$1"), .invalidTargetLabel,
        #""$1" is invalid 'target_label' for keepequal action"#
    ),
    (
        r("hashmod", src: ["a"], target: "$1", mod: 2), .invalidTargetLabel,
        #""$1" is invalid 'target_label' for hashmod action"#
    ),
    (
        r("uppercase", src: ["a"], target: "x", repl: "y"), .invalidReplacement,
        "'replacement' can not be set for uppercase action"
    ),
    (
        r("dropequal", src: ["a"], target: "x", repl: ""), .invalidReplacement,
        "'replacement' can not be set for dropequal action"
    ),
    (
        r("labelmap", regex: "(.*)", repl: "${1"), .invalidReplacement,
        #""${1" is invalid 'replacement' for labelmap action"#
    ),
    (
        r("labelmap", regex: "(.*)", repl: "foo-$1"), .invalidReplacement,
        #""foo-$1" is invalid 'replacement' for labelmap action"#
    ),
    (r("labelmap", regex: "__meta_(.+)"), nil, nil),
    (
        r("keepequal", src: ["a"], regex: "x", target: "b"), .unexpectedField,
        "keepequal action requires only 'source_labels' and `target_label`, and no other fields"
    ),
    (
        r("dropequal", src: ["a"], target: "b", sep: ","), .unexpectedField,
        "dropequal action requires only 'source_labels' and `target_label`, and no other fields"
    ),
    (
        r("keepequal", src: ["a"], target: "b", mod: 2), .unexpectedField,
        "keepequal action requires only 'source_labels' and `target_label`, and no other fields"
    ),
    (
        r("labeldrop", src: ["a"], regex: "x"), .unexpectedField,
        "labeldrop action requires only 'regex', and no other fields"
    ),
    (
        r("labelkeep", regex: "x", target: "y"), .unexpectedField,
        "labelkeep action requires only 'regex', and no other fields"
    ),
    (
        r("labelkeep", regex: "x", repl: "y"), .unexpectedField,
        "labelkeep action requires only 'regex', and no other fields"
    ),
    (
        r("labeldrop", regex: "x", sep: ","), .unexpectedField,
        "labeldrop action requires only 'regex', and no other fields"
    ),
    (r("labeldrop", regex: "x"), nil, nil),
    (r("drop", src: ["a"], regex: "foo("), .invalidRegex, #"invalid regex "foo(" at byte offset 0: missing ): foo("#),
    (
        r("drop", src: ["a"], regex: "a**"), .invalidRegex,
        #"invalid regex "a**" at byte offset 1: bad repetition operator: **"#
    ),
    (
        r("drop", src: ["a"], regex: "x[z-a]"), .invalidRegex,
        #"invalid regex "x[z-a]" at byte offset 2: invalid character class range: z-a"#
    ),
    (
        r("drop", src: ["a"], regex: #"\8"#), .invalidRegex,
        #"invalid regex "\\8" at byte offset 0: invalid escape sequence: \8"#
    ),
    (
        r("drop", src: ["a"], regex: "(?P<n>a)(?P<n>b)"), .invalidRegex,
        #"invalid regex "(?P<n>a)(?P<n>b)": duplicate capture group name"#
    ),
    (r("drop", src: ["a"], regex: "(?<n>a)"), nil, nil),
]

@Test(arguments: validationCases.indices)
func ruleValidation(_ i: Int) {
    let (rule, kind, message) = validationCases[i]
    do {
        _ = try rule.compile()
        #expect(kind == nil, "\(rule) compiled but should fail with \(message ?? "")")
    } catch let e as RelabelError {
        #expect(e.kind == kind, "\(rule): \(e.message)")
        if let message { #expect(e.message == message, "\(rule)") }
    } catch {
        Issue.record("unexpected error \(error)")
    }
}
