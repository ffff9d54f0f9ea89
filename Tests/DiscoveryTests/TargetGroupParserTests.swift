import PromModel
import Testing

@testable import Discovery

@Suite("target group format")
struct TargetGroupParserTests {
    @Test(
        "JSON and YAML documents",
        arguments: [
            (#"[{"targets": ["a:1", "b:2"], "labels": {"env": "prod"}}]"#, false, ["a:1", "b:2"], ["env": "prod"]),
            ("- targets: [a:1]\n  labels:\n    env: dev\n", true, ["a:1"], ["env": "dev"]),
            ("- targets: ['a:1']\n", true, ["a:1"], [:]),
            ("[{\"targets\": [\"x:9\"], \"labels\": null}]", false, ["x:9"], [:]),
            ("[{\"targets\": [\"x:9\"], \"extra\": 1}]", false, ["x:9"], [:]),
            ("", true, [], [:]),
            ("[]", false, [], [:]),
        ] as [(String, Bool, [String], [String: String])])
    func good(_ text: String, _ strict: Bool, _ targets: [String], _ labels: [String: String]) throws {
        let groups = try TargetGroupParser.parse(text, sourcePrefix: "f", strict: strict)
        #expect(addresses(groups) == targets)
        if let g = groups.first { #expect(g.labels == Labels(labels)) }
        #expect(groups.enumerated().allSatisfy { $1.source == "f:\($0)" })
    }

    @Test(
        "errors name the line",
        arguments: [
            ("[{\"targets\": [\"a:1\"]},\n {\"targets\": [\n", 3, "did not find expected"),
            ("- targets: [a:1]\n  labels:\n    \"bad-name\": x\n", 3, "not a valid label name"),
            ("- targets: [a:1]\n  lables: {}\n", 2, "field lables not found"),
            ("- targets: a:1\n", 1, "targets must be a list"),
            ("targets: [a:1]\n", 1, "expected a list of target groups"),
            ("- targets: [[a]]\n", 1, "each target must be a string"),
        ] as [(String, Int, String)])
    func bad(_ text: String, _ line: Int, _ message: String) {
        #expect {
            _ = try TargetGroupParser.parse(text, sourcePrefix: "f", strict: true)
        } throws: { e in
            guard let e = e as? TargetGroupParseError else { return false }
            return e.line == line && e.message.contains(message)
        }
    }

    @Test("group labels merge under the target's own")
    func labelSets() {
        let g = TargetGroup(
            source: "s", targets: [Labels(["__address__": "a:1", "env": "mine"]), Labels(["__address__": "b:1"])],
            labels: Labels(["env": "group", "team": "x"]))
        #expect(
            g.labelSets() == [
                Labels(["__address__": "a:1", "env": "mine", "team": "x"]),
                Labels(["__address__": "b:1", "env": "group", "team": "x"]),
            ])
    }

    @Test("the linear merge gives what setting each group label on the target gives")
    func mergeMatchesTheBuilder() {
        var rng = SplitMix64(seed: 7)
        let names = ["__address__", "a", "b", "c", "__meta_x", "__meta_y", "job", "Z", "é", "_"]
        func random() -> Labels {
            Labels(names.filter { _ in rng.next() % 2 == 0 }.map { Label($0, "v\(rng.next() % 3)") })
        }
        for _ in 0..<500 {
            let target = random()
            let shared = random()
            var b = LabelsBuilder(target)
            for l in shared where target[l.name] == nil { b.set(l.name, l.value) }
            #expect(TargetGroup.merge(target, shared) == b.labels(), "\(target) + \(shared)")
        }
    }
}
