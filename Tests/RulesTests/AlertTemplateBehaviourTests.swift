import Synchronization
import Testing

@testable import Rules

/// Counts calls of the environment's closures.
final class CallLog: Sendable {
    let queries = Mutex<[String]>([])
    let nowCalls = Mutex(0)

    var environment: TemplateEnvironment {
        TemplateEnvironment(
            query: { q in
                self.queries.withLock { $0.append(q) }
                return cannedQueries[q.hasPrefix("node_memory") ? "node_memory_MemTotal_bytes" : q] ?? []
            },
            externalURL: "http://testhost:9090/path/prefix",
            now: {
                self.nowCalls.withLock { $0 += 1 }
                return 1_700_000_000
            })
    }
}

@Suite struct AlertTemplateBehaviourTests {
    @Test func eachDistinctQueryRunsOnceThoughExecutionRestarts() async throws {
        let t = try AlertTemplate(
            #"{{ range query "up" }}{{ with printf "node_memory{instance='%s'}" .Labels.instance | query }}{{ . | first | value | humanize1024 }};{{ end }}{{ end }}{{ len (query "up") }}"#,
            name: "mem")
        let log = CallLog()
        let result = try await t.expand(TemplateData(), environment: log.environment)
        #expect(result == "8Gi;8Gi;2")
        #expect(
            log.queries.withLock { $0 } == ["up", "node_memory{instance='b:9100'}", "node_memory{instance='a:9100'}"])
    }

    @Test func nowIsAskedOnlyWhenUsed() async throws {
        let log = CallLog()
        _ = try await AlertTemplate("{{ $value }}", name: "a").expand(TemplateData(), environment: log.environment)
        #expect(log.nowCalls.withLock { $0 } == 0)
        let r = try await AlertTemplate("{{ now }} {{ now }}", name: "b").expand(
            TemplateData(), environment: log.environment)
        #expect(r == "1.7e+09 1.7e+09")
        #expect(log.nowCalls.withLock { $0 } == 1)
    }

    @Test func parseErrorCarriesLineAndGoText() {
        #expect(throws: TemplateError(name: "summary", line: 2, message: #"function "nope" not defined"#)) {
            try AlertTemplate("ok\n{{ nope }}", name: "summary")
        }
        do {
            _ = try AlertTemplate("a\n\n{{ if true }}", name: "description")
            Issue.record("parsed")
        } catch {
            #expect(error.line == 3)
            #expect(error.column == nil)
            #expect(error.description == "template: description:3: unexpected EOF")
        }
    }

    @Test func executionErrorCarriesLineColumnAndNode() async throws {
        let t = try AlertTemplate(
            "Value:\n  {{ $value | humanize }} of {{ query \"empty\" | first | value }}", name: "x")
        do {
            _ = try await t.expand(TemplateData(value: 1), environment: testEnvironment)
            Issue.record("expanded")
        } catch {
            #expect(error.line == 2)
            #expect(error.column == 48)
            #expect(error.context == "first")
            #expect(error.message == "error calling first: first() called on vector with no elements")
            #expect(
                error.description
                    == #"template: x:2:48: executing "x" at <first>: error calling first: first() called on vector with no elements"#
            )
        }
    }

    @Test func oneTemplateExpandsConcurrently() async throws {
        let t = try AlertTemplate("{{ $labels.instance }}={{ $value | humanize }}", name: "c")
        let results = await withTaskGroup(of: String.self) { group in
            for i in 0..<50 {
                group.addTask {
                    let data = TemplateData(labels: ["instance": "n\(i)"], value: Double(i) * 1000)
                    return (try? await t.expand(data, environment: testEnvironment)) ?? "error"
                }
            }
            var all: [String] = []
            for await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 50)
        #expect(results.contains("n7=7k"))
        #expect(!results.contains("error"))
    }
}
