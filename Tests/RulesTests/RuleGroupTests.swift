import Logging
import PromModel
import Synchronization
import TestSupport
import Testing

@testable import Rules

/// A query API scripted per expression: the rule engine's seam, fed canned answers.
final class ScriptedQueries: QueryClient {
    let answers = Mutex<[String: Result<QueryResult, QueryError>]>([:])
    let asked = Mutex<[(String, Int64)]>([])

    func set(_ expr: String, _ answer: Result<QueryResult, QueryError>) { answers.withLock { $0[expr] = answer } }

    func query(_ expr: String, atMs timeMs: Int64) async throws(QueryError) -> QueryResult {
        asked.withLock { $0.append((expr, timeMs)) }
        guard let a = answers.withLock({ $0[expr] }) else { return .vector([]) }
        return try a.get()
    }
}

final class SentAlerts: Sendable {
    let alerts = Mutex<[OutgoingAlert]>([])
    var notify: @Sendable ([OutgoingAlert]) -> Void { { a in self.alerts.withLock { $0 += a } } }
}

/// Rule groups driven evaluation by evaluation, without time: what is queried, written and sent.
struct RuleGroupTests {
    let registry = RuleMetricsRegistry()

    func group(
        _ yaml: String, _ queries: ScriptedQueries, _ store: RecordingAppendable, _ sent: SentAlerts,
        restore: Bool = false
    )
        throws -> RuleGroup
    {
        var options = RuleOptions()
        options.queryOffset = .seconds(15)
        options.evaluationInterval = .seconds(10)
        options.externalURL = "http://promsls:9090"
        options.forGracePeriod = .seconds(60)
        let d = try RuleFileParser.parse(yaml: yaml, file: "g.yml")[0]
        return try RuleGroup(
            definition: d, query: .success(queries), storage: store, notify: sent.notify, options: options,
            metrics: RuleMetrics(registry: registry), logger: Logger(label: "test"), restore: restore)
    }

    static func vector(_ samples: [([String: String], Double)], atMs t: Int64) -> QueryResult {
        .vector(samples.map { QuerySample(labels: Labels($0.0), value: $0.1, timestampMs: t) })
    }

    @Test func recordingResultsAreWrittenAtTheQueryTimeAndGoStaleWhenTheyVanish() async throws {
        let q = ScriptedQueries()
        let store = RecordingAppendable(refs: LabelsRefTable())
        let g = try group(
            "groups: [{name: r, rules: [{record: 'job:x:sum', expr: 'sum by (job) (x)', labels: {tier: gold, job: ''}}]}]",
            q, store, SentAlerts())
        let t: Int64 = 1_000_000
        q.set(
            "sum by (job) (x)",
            .success(Self.vector([(["job": "a"], 3), (["job": "b", "env": "p"], 4)], atMs: t - 15_000)))
        await g.evaluate(atMs: t)
        #expect(q.asked.withLock { $0.map(\.1) } == [t - 15_000])
        let first = store.committed
        #expect(
            first.map(\.labels) == [
                Labels(["__name__": "job:x:sum", "tier": "gold"]),
                Labels(["__name__": "job:x:sum", "env": "p", "tier": "gold"]),
            ])
        #expect(first.map(\.sample.value) == [3, 4] && first.allSatisfy { $0.sample.timestampMs == t - 15_000 })
        store.reset()
        q.set("sum by (job) (x)", .success(Self.vector([(["job": "b", "env": "p"], 5)], atMs: t - 5_000)))
        await g.evaluate(atMs: t + 10_000)
        let second = store.committed
        #expect(second.count == 2)
        let stale = second.first { StaleNaN.isStale($0.sample.value) }
        #expect(
            stale?.labels == Labels(["__name__": "job:x:sum", "tier": "gold"]) && stale?.sample.timestampMs == t - 5_000
        )
        #expect(g.status().rules[0].health == .ok)
    }

    @Test func aFailedQueryKeepsFiringAlertsAsTheyWereAndWritesNothing() async throws {
        let q = ScriptedQueries()
        let store = RecordingAppendable(refs: LabelsRefTable())
        let sent = SentAlerts()
        let g = try group(
            "groups: [{name: a, rules: [{alert: Down, expr: 'up == 0', labels: {sev: '{{ $labels.job }}-page'}, annotations: {s: 'value {{ $value }}'}}]}]",
            q, store, sent)
        let t: Int64 = 10_000_000
        q.set("up == 0", .success(Self.vector([(["__name__": "up", "job": "node", "instance": "i"], 0)], atMs: t)))
        await g.evaluate(atMs: t)
        var status = g.status().rules[0]
        #expect(status.alerts.map(\.state) == [.firing])
        #expect(
            status.alerts[0].labels
                == Labels(["alertname": "Down", "instance": "i", "job": "node", "sev": "node-page"]))
        #expect(status.alerts[0].annotations == Labels(["s": "value 0"]))
        let firstSent = sent.alerts.withLock { $0 }
        #expect(firstSent.count == 1 && firstSent[0].startsAtMs == t && firstSent[0].endsAtMs == t + 4 * 60_000)
        #expect(firstSent[0].generatorURL == "http://promsls:9090/graph?g0.expr=up%20%3D%3D%200&g0.tab=1")
        let alertsSeries = store.committed.map { $0.labels.name ?? "" }
        #expect(alertsSeries == ["ALERTS", "ALERTS_FOR_STATE"])
        #expect(store.committed[1].sample.value == Double(t / 1000))

        store.reset()
        q.set("up == 0", .failure(QueryError(.http, "HTTP 503: overloaded", status: 503)))
        await g.evaluate(atMs: t + 10_000)
        status = g.status().rules[0]
        #expect(status.health == .err && status.lastError == "HTTP 503: overloaded")
        #expect(status.alerts.map(\.state) == [.firing], "a failed query resolves nothing")
        #expect(store.committed.isEmpty, "no samples and no staleness markers after a failed query")
        #expect(sent.alerts.withLock { $0.count } == 1, "nothing resolved is sent")
    }

    @Test func restoresForStateFromALERTS_FOR_STATEAfterTheSecondEvaluation() async throws {
        let q = ScriptedQueries()
        let store = RecordingAppendable(refs: LabelsRefTable())
        let g = try group(
            "groups: [{name: a, rules: [{alert: Slow, expr: 'x > 1', for: 10m, labels: {sev: page}}]}]", q, store,
            SentAlerts(), restore: true)
        let now = currentTimeMs() / 1000 * 1000
        let activeAt = now / 1000 - 300  // pending for 5 minutes before the restart
        q.set("x > 1", .success(Self.vector([(["__name__": "x", "i": "a"], 2)], atMs: now)))
        q.set(
            #"ALERTS_FOR_STATE{alertname="Slow",sev="page"}[3600s]"#,
            .success(
                .matrix([
                    QuerySeries(
                        labels: Labels(["__name__": "ALERTS_FOR_STATE", "alertname": "Slow", "i": "a", "sev": "page"]),
                        samples: [(now - 120_000, Double(activeAt - 10)), (now - 60_000, Double(activeAt))])
                ])))
        await g.evaluate(atMs: now - 20_000)
        #expect(store.committed.isEmpty, "no ALERTS before the for state is restored")
        await g.evaluate(atMs: now - 10_000)
        let restored = g.status().rules[0].alerts[0]
        // 5 of 10 minutes were spent; the 60 s the agent was down are added back.
        let expected = activeAt * 1000 + (currentTimeMs() - (now - 60_000))
        #expect(abs(restored.activeAtMs - expected) < 5_000, "restored \(restored.activeAtMs), expected ≈ \(expected)")
        #expect(restored.state == .pending)
        await g.evaluate(atMs: now)
        #expect(store.committed.map { $0.labels.name ?? "" } == ["ALERTS", "ALERTS_FOR_STATE"])
    }

    @Test func evaluationSlotsAreFixedPerGroupAndInsideTheInterval() throws {
        let g = try group(
            "groups: [{name: slots, interval: 1m, rules: []}]", ScriptedQueries(), RecordingAppendable(), SentAlerts())
        let a = g.evaluationTime(atOrBefore: 1_000_000_000)
        #expect(a <= 1_000_000_000 && a > 1_000_000_000 - 60_000)
        #expect(g.evaluationTime(atOrBefore: a + 59_999) == a)
        #expect(g.evaluationTime(atOrBefore: a + 60_000) == a + 60_000)
        let other = try group(
            "groups: [{name: other, interval: 1m, rules: []}]", ScriptedQueries(), RecordingAppendable(), SentAlerts())
        #expect(other.evaluationTime(atOrBefore: 1_000_000_000) % 60_000 != a % 60_000)
    }
}

/// A registry object for the metrics' attached families.
final class RuleMetricsRegistry: Sendable {}
