import AgentConfig
import Logging
import PromModel
import Synchronization
import TestSupport
import Testing

@testable import Rules

/// A query client that records its shutdown: the rule manager must release every client it
/// replaces or drops (AsyncHTTPClient traps on a client freed without `shutdown()`).
final class ShutdownRecordingClient: QueryClient {
    let url: String
    let shutdowns = Mutex(0)
    init(url: String) { self.url = url }
    func query(_ expr: String, atMs timeMs: Int64) async throws(QueryError) -> QueryResult { .vector([]) }
    func shutdown() async { shutdowns.withLock { $0 += 1 } }
}

@Suite struct RuleManagerTests {
    static func target(_ yaml: String) throws -> Result<QueryTarget, NoQueryTarget> {
        QueryTarget.select(try ConfigLoader.load(yaml: yaml, environment: [:]))
    }

    static let one = "remote_write: [{url: \"http://a:9090/api/v1/write\"}]\n"
    static let two =
        "remote_write: [{url: \"http://a:9090/api/v1/write\"}, {name: b, url: \"http://b:9090/api/v1/write\"}]\n"
    static let other = "remote_write: [{url: \"http://c:9090/api/v1/write\"}]\n"

    @Test func aReplacedOrDroppedQueryClientIsShutDownOnce() async throws {
        let made = Mutex<[ShutdownRecordingClient]>([])
        let manager = RuleManager(
            storage: RecordingAppendable(), notify: { _ in }, metrics: RuleMetrics(registry: RuleMetricsRegistry()),
            logger: Logger(label: "test"),
            makeClient: { t in
                let c = ShutdownRecordingClient(url: t.queryURL)
                made.withLock { $0.append(c) }
                return c
            })
        let group = try RuleFileParser.parse(
            yaml: "groups: [{name: g, rules: [{record: r, expr: up}]}]", file: "g.yml")
        func clients() -> [(String, Int)] { made.withLock { $0.map { ($0.url, $0.shutdowns.withLock { $0 }) } } }

        try await manager.apply(groups: group, query: try Self.target(Self.one), options: RuleOptions())
        #expect(clients().map(\.0) == ["http://a:9090/api/v1/query"])
        // The same target again: the client is kept.
        try await manager.apply(groups: group, query: try Self.target(Self.one), options: RuleOptions())
        #expect(clients().map(\.1) == [0])
        // A second /api/v1/write entry: no query target any more; the client is released (it
        // was freed without shutdown before, which AsyncHTTPClient traps on).
        try await manager.apply(groups: group, query: try Self.target(Self.two), options: RuleOptions())
        #expect(clients().map(\.1) == [1])
        #expect(manager.queryNote().contains("2 remote_write entries end in /api/v1/write"))
        // A target again, then another one: each replaced client is shut down once.
        try await manager.apply(groups: group, query: try Self.target(Self.one), options: RuleOptions())
        try await manager.apply(groups: group, query: try Self.target(Self.other), options: RuleOptions())
        #expect(
            clients().map(\.0) == [
                "http://a:9090/api/v1/query", "http://a:9090/api/v1/query", "http://c:9090/api/v1/query",
            ])
        #expect(clients().map(\.1) == [1, 1, 0])
    }
}
