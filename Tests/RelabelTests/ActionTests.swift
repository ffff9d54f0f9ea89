import Testing

@testable import Relabel

/// Every action and default. Cases marked "upstream" follow Prometheus's
/// model/relabel/relabel_test.go TestRelabel expectations.
let actionCases: [RelabelCase] = [
    // replace
    .init(
        "replace: upstream ch${1}-ch${1}", [r(src: ["a"], regex: "f(.*)", target: "d", repl: "ch${1}-ch${1}")],
        #"a="foo",b="bar",c="baz""#, #"a="foo",b="bar",c="baz",d="choo-choo""#),
    .init(
        "replace: upstream two rules, two sources",
        [
            r(src: ["a", "b"], regex: "f(.*);(.*)r", target: "a", repl: "b${1}${2}m"),
            r(src: ["c", "a"], regex: "(b).*b(.*)ba(.*)", target: "d", repl: "$1$2$2$3"),
        ], #"a="foo",b="bar",c="baz""#, #"a="boobam",b="bar",c="baz",d="boooom""#),
    .init("replace: upstream .*(b).*", [r(src: ["a"], regex: ".*(b).*", target: "d")], #"a="abc""#, #"a="abc",d="b""#),
    .init(
        "replace: no match writes nothing", [r(src: ["a"], regex: "f", target: "b", repl: "bar")], #"a="boo""#,
        #"a="boo""#),
    .init(
        "replace: empty result deletes target", [r(src: ["a"], regex: "(f).*", target: "$1", repl: "$2")],
        #"a="foo",f="baz""#, #"a="foo""#),
    .init(
        "replace: templated target", [r(src: ["a"], regex: "some-([^-]+)-([^,]+)", target: "${1}", repl: "${2}")],
        #"a="some-name-value""#, #"a="some-name-value",name="value""#),
    .init(
        "replace: missing group in replacement deletes",
        [r(src: ["a"], regex: "some-([^-]+)-([^,]+)", target: "${1}", repl: "${3}")],
        #"a="some-name-value""#, #"a="some-name-value""#),
    .init(
        "replace: target expands to invalid name → nothing",
        [
            r(src: ["a"], regex: "some-([^-]+)-([^,]+)", target: "${3}", repl: "${1}"),
            r(src: ["a"], regex: "some-([^-]+)(-[^,]+)", target: "${3}", repl: "${1}"),
            r(src: ["a"], regex: "some-([^-]+)-([^,]+)", target: "x${2}y", repl: "z"),
        ], #"a="some-name-0""#, #"a="some-name-0",x0y="z""#),
    .init(
        "replace: target $2 starting with digit → nothing",
        [r(src: ["a"], regex: "(.*)-(.*)", target: "$2", repl: "v")],
        #"a="x-1abc""#, #"a="x-1abc""#),
    .init(
        "replace: upstream real-life sd tags",
        [
            r(src: ["__meta_sd_tags"], regex: "(?:.+,|^)path:(/[^,]+).*", target: "__metrics_path__", repl: "${1}"),
            r(src: ["__meta_sd_tags"], regex: "(?:.+,|^)job:([^,]+).*", target: "job", repl: "${1}"),
            r(src: ["__meta_sd_tags"], regex: "(?:.+,|^)label:([^=]+)=([^,]+).*", target: "${1}", repl: "${2}"),
        ], #"__meta_sd_tags="path:/secret,job:some-job,label:foo=bar""#,
        #"__meta_sd_tags="path:/secret,job:some-job,label:foo=bar",__metrics_path__="/secret",job="some-job",foo="bar""#
    ),
    .init(
        "replace: (?s) dot matches newline", [r(src: ["a"], regex: "line1.*line2", target: "d", repl: "match${1}")],
        #"a="line1\nline2""#, #"a="line1\nline2",d="match""#),
    .init(
        "replace: named groups, both syntaxes",
        [
            r(src: ["a"], regex: "(line1).*(?<second>line2)", target: "label1_${1}", repl: "val_${second}"),
            r(src: ["a"], regex: "(?P<first>line1).*", target: "label2_$first", repl: "v$1"),
        ], #"a="line1\nline2""#, #"a="line1\nline2",label1_line1="val_line2",label2_line1="vline1""#),
    .init("replace: defaults copy source to target", [r(src: ["a"], target: "b")], #"a="x""#, #"a="x",b="x""#),
    .init("replace: missing source with defaults deletes target", [r(src: ["nope"], target: "b")], #"b="x""#, ""),
    .init(
        "replace: fast path, no sources, literal replacement", [r(target: "__address__", repl: "127.0.0.1:9115")],
        #"__address__="a:1""#, #"__address__="127.0.0.1:9115""#),
    .init(
        "replace: empty value matches explicit regex", [r(src: ["nope"], regex: "", target: "b", repl: "empty")],
        #"a="x""#, #"a="x",b="empty""#),
    .init(
        "replace: upstream #12283 labeldrop then replace then keep",
        [
            r("labeldrop", regex: "^__meta_kubernetes_pod_container_port_name$"),
            r(
                src: ["__meta_kubernetes_pod_annotation_XXX_metrics_port"], regex: "(.+)",
                target: "__meta_kubernetes_pod_container_port_name", repl: "metrics"),
            r("keep", src: ["__meta_kubernetes_pod_container_port_name"], regex: "^metrics$"),
        ], #"__meta_kubernetes_pod_container_port_name="foo",__meta_kubernetes_pod_annotation_XXX_metrics_port="9091""#,
        #"__meta_kubernetes_pod_annotation_XXX_metrics_port="9091",__meta_kubernetes_pod_container_port_name="metrics""#
    ),
    .init(
        "replace: action name is case-insensitive", [r("RePlAcE", src: ["a"], target: "b")], #"a="x""#, #"a="x",b="x""#),
    .init(
        "replace: custom separator", [r(src: ["a", "b"], target: "c", sep: "/")], #"a="x",b="y""#,
        #"a="x",b="y",c="x/y""#),
    // keep / drop
    .init(
        "drop: upstream match drops, later rules skipped",
        [
            r("drop", src: ["a"], regex: ".*o.*"), r(src: ["a"], regex: "f(.*)", target: "d", repl: "ch$1-ch$1"),
        ], #"a="foo""#, nil),
    .init("drop: no match keeps", [r("drop", src: ["a"], regex: "no-match")], #"a="foo""#, #"a="foo""#),
    .init("drop: anchored, f|o does not match foo", [r("drop", src: ["a"], regex: "f|o")], #"a="foo""#, #"a="foo""#),
    .init("keep: no match drops", [r("keep", src: ["a"], regex: "no-match")], #"a="foo""#, nil),
    .init("keep: match keeps", [r("keep", src: ["a"], regex: "f.*")], #"a="foo""#, #"a="foo""#),
    .init("keep: missing label is empty string", [r("keep", src: ["nope"], regex: "")], #"a="foo""#, #"a="foo""#),
    .init("keep: default regex keeps all", [r("keep", src: ["a"])], #"a="foo""#, #"a="foo""#),
    // keepequal / dropequal (upstream)
    .init(
        "keepequal: equal keeps", [r("keepequal", src: ["__tmp_port"], target: "__port1")],
        #"__tmp_port="1234",__port1="1234",__port2="5678""#, #"__tmp_port="1234",__port1="1234",__port2="5678""#),
    .init(
        "keepequal: different drops", [r("keepequal", src: ["__tmp_port"], target: "__port2")],
        #"__tmp_port="1234",__port1="1234",__port2="5678""#, nil),
    .init(
        "dropequal: equal drops", [r("dropequal", src: ["__tmp_port"], target: "__port1")],
        #"__tmp_port="1234",__port1="1234",__port2="5678""#, nil),
    .init(
        "dropequal: different keeps", [r("dropequal", src: ["__tmp_port"], target: "__port2")],
        #"__tmp_port="1234",__port1="1234",__port2="5678""#, #"__tmp_port="1234",__port1="1234",__port2="5678""#),
    .init(
        "keepequal: byte equality, not canonical equivalence", [r("keepequal", src: ["a"], target: "b")],
        "a=\"\u{E9}\",b=\"e\u{301}\"", nil),
    // hashmod (upstream)
    .init(
        "hashmod: baz mod 1000", [r("hashmod", src: ["c"], target: "d", mod: 1000)],
        #"a="foo",b="bar",c="baz""#, #"a="foo",b="bar",c="baz",d="976""#),
    .init(
        "hashmod: foo\\nbar mod 1000", [r("hashmod", src: ["a"], target: "b", mod: 1000)],
        #"a="foo\nbar""#, #"a="foo\nbar",b="734""#),
    // labelmap (upstream)
    .init(
        "labelmap: bar_${1}", [r("labelmap", regex: "(b.*)", repl: "bar_${1}")],
        #"a="foo",b1="bar",b2="baz""#, #"a="foo",b1="bar",b2="baz",bar_b1="bar",bar_b2="baz""#),
    .init(
        "labelmap: __meta_(my.*)", [r("labelmap", regex: "__meta_(my.*)", repl: "${1}")],
        #"a="foo",__meta_my_bar="aaa",__meta_my_baz="bbb",__meta_other="ccc""#,
        #"a="foo",__meta_my_bar="aaa",__meta_my_baz="bbb",__meta_other="ccc",my_bar="aaa",my_baz="bbb""#),
    .init(
        "labelmap: collision, last in name order wins", [r("labelmap", regex: "__meta_.*", repl: "x")],
        #"__meta_a="1",__meta_b="2""#, #"__meta_a="1",__meta_b="2",x="2""#),
    .init(
        "labelmap: collision, labels added by earlier rules iterate last (labels.Builder.Range)",
        [
            r(target: "__meta_0", repl: "3"), r("labelmap", regex: "__meta_.*", repl: "x"),
        ], #"__meta_a="1",__meta_b="2""#, #"__meta_0="3",__meta_a="1",__meta_b="2",x="3""#),
    // labeldrop / labelkeep (upstream)
    .init("labelkeep: (b.*)", [r("labelkeep", regex: "(b.*)")], #"a="foo",b1="bar",b2="baz""#, #"b1="bar",b2="baz""#),
    .init("labeldrop: (b.*)", [r("labeldrop", regex: "(b.*)")], #"a="foo",b1="bar",b2="baz""#, #"a="foo""#),
    .init("labeldrop: anchored, b does not drop b1", [r("labeldrop", regex: "b")], #"b="x",b1="y""#, #"b1="y""#),
    .init("labeldrop: literal alternation", [r("labeldrop", regex: "a|c")], #"a="1",b="2",c="3""#, #"b="2""#),
    // lowercase / uppercase (upstream)
    .init(
        "uppercase/lowercase: upstream",
        [
            r("uppercase", src: ["foo"], target: "foo_uppercase"),
            r("lowercase", src: ["foo"], target: "foo_lowercase"),
        ], #"foo="bAr123Foo""#, #"foo="bAr123Foo",foo_lowercase="bar123foo",foo_uppercase="BAR123FOO""#),
    .init(
        "uppercase: Go simple case mapping keeps ß, maps é", [r("uppercase", src: ["a"], target: "b")],
        #"a="straße é""#, #"a="straße é",b="STRAßE É""#),
    .init("lowercase: empty value deletes target", [r("lowercase", src: ["nope"], target: "b")], #"b="x""#, ""),
]

@Test(arguments: actionCases)
func relabelActions(_ c: RelabelCase) throws { try checkRelabel(c) }

@Test func traceStopsAtTheDroppingRule() throws {
    let rules = RelabelRules([
        try RelabelRule(sourceLabels: ["a"], targetLabel: "b"),
        try RelabelRule(sourceLabels: ["a"], regex: "x", action: "drop"),
        try RelabelRule(targetLabel: "c", replacement: "never"),
    ])
    let t = rules.trace(try parseLabelSet(#"a="x""#))
    #expect(t.count == 2)
    #expect(t[0].ruleIndex == 0)
    #expect(t[0].labels == (try parseLabelSet(#"a="x",b="x""#)))
    #expect(t[1].ruleIndex == 1)
    #expect(t[1].labels == nil)
    #expect(rules.apply(try parseLabelSet(#"a="x""#)) == nil)
}

@Test func noRulesIsIdentity() throws {
    let l = try parseLabelSet(#"a="x""#)
    #expect(RelabelRules([]).apply(l) == l)
    #expect(RelabelRules([]).trace(l).isEmpty)
}

@Test func ruleDefaults() throws {
    let rule = try RelabelRule(targetLabel: "t")
    #expect(rule.action == .replace)
    #expect(rule.separator == ";")
    #expect(rule.regex.pattern == "(.*)")
    #expect(rule.replacement == "$1")
    #expect(rule.modulus == 0)
    #expect(rule.sourceLabels.isEmpty)
    #expect(RelabelAction.allCases.count == 11)
}
