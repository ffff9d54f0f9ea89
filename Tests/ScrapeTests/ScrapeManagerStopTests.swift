import AgentConfig
import Logging
import PromModel
import Prometheus
import Synchronization
import Testing

@testable import Scrape

/// `stopAll` (shutdown) against an `apply` in flight (issue 15): the stop waits for the apply,
/// which used to find its pool gone after an `await` and crash on `pools[name]!`.
@Suite struct ScrapeManagerStopTests {
    /// Targets over a `target_limit` of 1: every scrape fails at once, without a connection,
    /// and commits its `up` 0; a 10 ms interval brings each loop's first commit within 10 ms.
    func job(ports: [Int]) -> ScrapeJob {
        var c = ScrapeConfig(jobName: "gated", scrapeInterval: .milliseconds(10), scrapeTimeout: .milliseconds(10))
        c.staticConfigs = [StaticConfig(targets: ports.map { "127.0.0.1:\($0)" })]
        c.targetLimit = 1
        return ScrapeJob(config: c)
    }

    @Test func stopAllWaitsForAnApplyInFlight() async throws {
        let store = GatedAppendable()
        let manager = ScrapeManager(
            jobs: [], storage: store, registry: PrometheusCollectorRegistry(), logger: Logger(label: "test"))
        await manager.apply(jobs: [job(ports: [1, 2, 3])], discovered: [:])
        // Every loop is inside a commit that waits for the gate.
        await store.until { $0.parked >= 3 }
        // Target 1 goes: the apply cancels its loop and waits for it, i.e. for the gate.
        let applying = Task { await manager.apply(jobs: [job(ports: [2, 3])], discovered: [:]) }
        await store.until { $0.cancelled >= 1 }
        let stopping = Task { await manager.stopAll() }
        // The stop either queues behind the apply (fixed) or runs now and cancels the two
        // loops the apply keeps (it used to: the apply then crashed on its missing pool).
        var rounds = 0
        while await manager.exclusiveWaiters == 0 && store.counts.cancelled < 2 {
            rounds += 1
            try #require(rounds < 1_000_000, "stopAll neither waited nor ran")
            await Task.yield()
        }
        #expect(store.counts.cancelled == 1, "stopAll stopped loops while an apply was in flight")
        store.open()
        await applying.value
        await stopping.value
        #expect(manager.statusProvider.scrapePools() == [])
        #expect(manager.statusProvider.activeTargets().isEmpty)
        // After the stop an apply starts nothing.
        await manager.apply(jobs: [job(ports: [4])], discovered: [:])
        #expect(manager.statusProvider.scrapePools() == [])
    }
}

/// Storage whose commits wait until the test opens the gate; counts commits that parked and
/// parked commits whose task was cancelled.
final class GatedAppendable: Appendable {
    struct Counts: Sendable {
        var parked = 0
        var cancelled = 0
    }

    private struct State {
        var open = false
        var counts = Counts()
        var parked: [CheckedContinuation<Void, Never>] = []
        var waiters: [(condition: @Sendable (Counts) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    var counts: Counts { state.withLock { $0.counts } }

    func appender() -> any Appender { GatedAppender(parent: self) }

    /// Lets every parked and later commit through.
    func open() {
        let parked = state.withLock { s in
            s.open = true
            defer { s.parked = [] }
            return s.parked
        }
        for c in parked { c.resume() }
    }

    /// Returns once `condition` holds for the counts.
    func until(_ condition: @escaping @Sendable (Counts) -> Bool) async {
        await withCheckedContinuation { c in
            let now = state.withLock { s in
                if condition(s.counts) { return true }
                s.waiters.append((condition, c))
                return false
            }
            if now { c.resume() }
        }
    }

    fileprivate func commitGate() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { c in
                let (pass, ready) = state.withLock { s in
                    if s.open { return (true, [CheckedContinuation<Void, Never>]()) }
                    s.parked.append(c)
                    s.counts.parked += 1
                    return (false, Self.takeReady(&s))
                }
                if pass { c.resume() }
                for r in ready { r.resume() }
            }
        } onCancel: {
            let ready = state.withLock { s in
                s.counts.cancelled += 1
                return Self.takeReady(&s)
            }
            for r in ready { r.resume() }
        }
    }

    private static func takeReady(_ s: inout State) -> [CheckedContinuation<Void, Never>] {
        let counts = s.counts
        let ready = s.waiters.filter { $0.condition(counts) }.map(\.continuation)
        s.waiters.removeAll { $0.condition(counts) }
        return ready
    }
}

private final class GatedAppender: Appender {
    let parent: GatedAppendable
    init(parent: GatedAppendable) { self.parent = parent }
    func append(_ labels: Labels, timestampMs: Int64, value: Double) throws -> SeriesRef { .none }
    func commit() async throws { await parent.commitGate() }
    func rollback() {}
}
