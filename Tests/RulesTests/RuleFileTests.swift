import AgentConfig
import Foundation
import PromModel
import Testing

@testable import Rules

/// Rule files read as `rulefmt` reads them, with `promtool check rules`'s messages.
struct RuleFileTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    @Test func aRealRuleFileLoads() throws {
        let groups = try RuleFileLoader.load(patterns: [Self.fixtures.path + "/good/*.yml"])
        #expect(groups.map(\.name) == ["node.recording", "node.alerts"])
        let recording = groups[0]
        #expect(recording.interval == .seconds(30) && recording.queryOffset == nil && recording.limit == 0)
        #expect(
            recording.rules.map(\.kind) == [
                .recording("instance:node_cpus:count"), .recording("instance:node_load1_per_cpu:ratio"),
            ])
        #expect(recording.rules[1].labels.map(\.name) == ["team"])
        let alerts = groups[1]
        #expect(alerts.interval == nil && alerts.queryOffset == .seconds(60) && alerts.limit == 100)
        #expect(alerts.labels == Labels(["source": "promsls"]))
        let down = alerts.rules[0]
        #expect(down.kind == .alerting("InstanceDown") && down.expr == "up == 0")
        #expect(down.forDuration == .seconds(300) && down.keepFiringFor == .seconds(120))
        #expect(down.labels.map(\.value) == ["page", "{{ $labels.job }}"])
        #expect(down.annotations.map(\.name) == ["summary", "description"])
        #expect(down.line == 18)
        #expect(alerts.rules[1].forDuration == .zero)
    }

    @Test func everyProblemIsReportedWithItsLine() throws {
        let file = Self.fixtures.path + "/bad/many.rules.yml"
        do {
            _ = try RuleFileLoader.load(file: file)
            Issue.record("loaded")
        } catch {
            let lines = error.errors.map { "\($0.line): \($0.message)" }
            let expected = [
                #"4: group "a", rule 1, "bad name": invalid recording rule name: bad name"#,
                #"6: group "a", rule 2, "both": only one of 'record' and 'alert' must be set"#,
                #"9: group "a", rule 3, "NoExpr": field 'expr' must be set in rule"#,
                #"13: group "a", rule 4, "BadLabel": invalid label name: 0abc"#,
                #"14: group "a", rule 4, "BadLabel": invalid label name: __name__"#,
                #"16: group "a", rule 4, "BadLabel": invalid annotation name: bad-annotation"#,
                #"20: group "a", rule 5, "rec": invalid field 'annotations' in recording rule"#,
                #"19: group "a", rule 5, "rec": invalid field 'for' in recording rule"#,
                #"24: not a valid duration string: "5 minutes""#,
                #"25: groupname: "a" is repeated in the same file"#,
                "30: field bogus not found in type rulefmt.Rule",
                "27: Groupname must not be empty",
            ]
            for e in expected { #expect(lines.contains(e), "missing \(e) in\n\(lines.joined(separator: "\n"))") }
            #expect(error.description.hasPrefix(file + ":4:"))
        }
    }

    @Test(arguments: [
        (
            "groups: [{name: g, rules: [{record: x, expr: up, keep_firing_for: 1m}]}]",
            "invalid field 'keep_firing_for' in recording rule"
        ),
        ("groups: [{name: g, rules: [{expr: up}]}]", "one of 'record' or 'alert' must be set"),
        ("groups: [{name: g, rules: [{alert: A, expr: '  '}]}]", "field 'expr' must be set in rule"),
        ("groups: [{name: g, interval: 1x, rules: []}]", #"not a valid duration string: "1x""#),
        ("groups: [{name: g, limit: -1, rules: []}]", "limit: expected a non-negative integer"),
        ("groups: {name: g}", "groups: expected a list of rule groups"),
        ("group: []", "field group not found in type rulefmt.RuleGroups"),
        ("groups: [{name: g, rules: [{alert: A, expr: up, labels: [a]}]}]", "labels: expected a mapping"),
        ("groups: [\n", "invalid YAML"),
        (
            "groups: [{name: g, rules: [{alert: A, expr: up, annotations: {s: '{{ nosuch $value }}'}}]}]",
            #"annotation "s": template: __alert_A:1: function "nosuch" not defined"#
        ),
        (
            "groups: [{name: g, rules: [{alert: A, expr: up, labels: {sev: \"{{ if }}\"}}]}]",
            #"label "sev": template: __alert_A:1: missing value for if"#
        ),
    ])
    func refuses(yaml: String, message: String) {
        do {
            let g = try RuleFileParser.parse(yaml: yaml, file: "r.yml")
            Issue.record("parsed: \(g)")
        } catch {
            #expect(error.description.contains(message), "\(error)")
        }
    }

    /// A template error points at the label or annotation, not at the rule (a new user found it
    /// on the `- alert:` line).
    @Test func aTemplateErrorNamesItsOwnLine() {
        let yaml =
            "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        annotations:\n          ok: fine\n          summary: \"{{ humanise $value }}\"\n"
        do {
            _ = try RuleFileParser.parse(yaml: yaml, file: "t.yml")
            Issue.record("parsed")
        } catch {
            #expect(error.errors.map(\.line) == [8], "\(error)")
            #expect(
                error.description.contains(
                    #"annotation "summary": template: __alert_A:1: function "humanise" not defined"#))
        }
    }

    @Test func emptyFilesAndPatternsMatchingNothingAddNoGroups() throws {
        #expect(try RuleFileParser.parse(yaml: "", file: "e.yml").isEmpty)
        #expect(try RuleFileParser.parse(yaml: "groups:\n", file: "e.yml").isEmpty)
        #expect(try RuleFileLoader.load(patterns: ["/nonexistent/dir/*.yml"]).isEmpty)
    }

    @Test func anUnreadableFileIsAnErrorNamingIt() {
        do {
            _ = try RuleFileLoader.load(patterns: [Self.fixtures.path])
            Issue.record("a directory loaded")
        } catch {
            #expect(error.description.contains("cannot read rule file: is a directory"), "\(error)")
        }
    }

    @Test func groupsAreEqualWhateverTheirLines() throws {
        let a = try RuleFileParser.parse(yaml: "groups: [{name: g, rules: [{alert: A, expr: up}]}]", file: "f")
        let b = try RuleFileParser.parse(
            yaml: "\n\ngroups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n", file: "f")
        #expect(a == b)
        #expect(a[0].rules[0].line != b[0].rules[0].line)
    }
}
