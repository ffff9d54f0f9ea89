import Testing

@testable import Rules

/// What a template must produce: its text, or an error whose description contains a part.
enum Expected: Sendable {
    case output(String)
    case error(String)
}

struct TemplateCase: Sendable, CustomTestStringConvertible {
    var template: String
    var expected: Expected
    var value: Double
    var labels: [String: String]

    var testDescription: String { template }
}

let defaultLabels = ["instance": "node1:9100", "job": "node", "severity": "critical"]

func out(_ t: String, _ s: String, value: Double = 85.5, labels: [String: String] = defaultLabels) -> TemplateCase {
    TemplateCase(template: t, expected: .output(s), value: value, labels: labels)
}

func err(_ t: String, _ s: String, value: Double = 85.5) -> TemplateCase {
    TemplateCase(template: t, expected: .error(s), value: value, labels: defaultLabels)
}

struct QueryFailure: Error, CustomStringConvertible {
    var description: String { "bad_data: 1:5: parse error: unexpected end of input" }
}

/// Canned query results: the `query` seam's input.
let cannedQueries: [String: [TemplateSample]] = [
    "up": [
        TemplateSample(labels: ["__name__": "up", "instance": "b:9100", "job": "node"], value: 0),
        TemplateSample(labels: ["__name__": "up", "instance": "a:9100", "job": "node"], value: 1),
    ],
    "metric{instance='a'}": [
        TemplateSample(labels: ["__name__": "metric", "instance": "a", "__value__": "a"], value: 11)
    ],
    "1.5": [TemplateSample(labels: [:], value: 1.5)],
    "empty": [],
    "node_memory_MemTotal_bytes": [TemplateSample(labels: ["instance": "a"], value: 8_589_934_592)],
]

let testEnvironment = TemplateEnvironment(
    query: { q in
        if q == "fail" { throw QueryFailure() }
        if q.hasPrefix("node_memory_MemTotal_bytes{") { return cannedQueries["node_memory_MemTotal_bytes"]! }
        return cannedQueries[q] ?? []
    },
    externalURL: "http://testhost:9090/path/prefix",
    now: { 1_700_000_000.5 }
)

func expand(_ c: TemplateCase) async throws(TemplateError) -> String {
    let t = try AlertTemplate(c.template, name: "test")
    let data = TemplateData(
        labels: c.labels, externalLabels: ["cluster": "prod"],
        externalURL: "http://prom.example.com:9090/prometheus", value: c.value)
    return try await t.expand(data, environment: testEnvironment)
}

@Suite struct AlertTemplateTests {
    @Test(arguments: languageCases + valueCases + functionCases + errorCases + edgeCases)
    func expands(_ c: TemplateCase) async {
        do {
            let result = try await expand(c)
            switch c.expected {
            case .output(let want): #expect(result == want)
            case .error(let want): Issue.record("expected error containing \(want), got output \(result)")
            }
        } catch {
            switch c.expected {
            case .output(let want): Issue.record("expected \(want), got error \(error)")
            case .error(let want):
                #expect(error.description.contains(want), "\(error.description)")
            }
        }
    }
}
