import PromModel
import Testing

@testable import Relabel

/// One relabel rule as a test writes it: the YAML fields with Prometheus's defaults.
struct R: Sendable, CustomStringConvertible {
    var action = "replace"
    var src: [String] = []
    var regex = "(.*)"
    var target = ""
    var repl = "$1"
    var sep = ";"
    var mod: UInt64 = 0

    func compile() throws -> RelabelRule {
        try RelabelRule(
            sourceLabels: src, separator: sep, regex: regex, modulus: mod, targetLabel: target,
            replacement: repl, action: action)
    }

    var description: String {
        "{action: \(action), src: \(src), regex: \(regex), target: \(target), repl: \(repl)}"
    }
}

/// A rule literal: `r("keep", src: ["a"], regex: "x")`.
func r(
    _ action: String = "replace", src: [String] = [], regex: String = "(.*)", target: String = "",
    repl: String = "$1", sep: String = ";", mod: UInt64 = 0
) -> R {
    R(action: action, src: src, regex: regex, target: target, repl: repl, sep: sep, mod: mod)
}

/// A relabel case: rules, input and expected output in `parseLabelSet` form; nil = dropped.
struct RelabelCase: Sendable, CustomTestStringConvertible {
    let name: String
    let rules: [R]
    let input: String
    let output: String?

    init(_ name: String, _ rules: [R], _ input: String, _ output: String?) {
        self.name = name
        self.rules = rules
        self.input = input
        self.output = output
    }

    var testDescription: String { name }
}

/// The one helper every relabel table uses.
func checkRelabel(_ c: RelabelCase, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let rules = RelabelRules(try c.rules.map { try $0.compile() })
    let got = rules.apply(try parseLabelSet(c.input))
    let want = try c.output.map { try parseLabelSet($0) }
    #expect(got == want, "\(c.name)", sourceLocation: sourceLocation)
    // `trace` must end in the same state as `apply`.
    let trace = rules.trace(try parseLabelSet(c.input))
    if !c.rules.isEmpty {
        #expect(trace.last?.labels == want, "\(c.name) (trace)", sourceLocation: sourceLocation)
    }
}
