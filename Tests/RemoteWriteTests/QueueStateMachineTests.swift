import PromModel
import Testing

@testable import RemoteWrite

/// The queue's control state without I/O and without time: every lifecycle event in every
/// phase, then the ack and send bookkeeping.
@Suite struct QueueStateMachineTests {
    typealias M = QueueStateMachine

    static let limits = M.Limits(minShards: 1, maxShards: 8, shardUpdateInterval: .seconds(10))
    static let origin = WALPosition(segment: 0, offset: 0)

    static func pos(_ offset: Int) -> WALPosition { WALPosition(segment: 0, offset: offset) }

    static func fresh() -> M {
        M(start: ReaderPosition(acked: origin), resumedShardings: [], limits: limits)
    }

    /// A machine brought into `phase` by events only.
    static func machine(in phase: M.Phase) -> M {
        var m = fresh()
        switch phase {
        case .idle:
            break
        case .running:
            _ = m.start()
        case .resharding:
            _ = m.start()
            // 10 000 samples in, 100 out taking 1 s: 100 shards wanted, capped at 8.
            _ = m.recordRead(start: origin, end: pos(10), samplesIn: 10_000, counts: [])
            m.sendFinished(samples: 100, seconds: 1, delivered: true, now: .seconds(1))
            _ = m.shardUpdate(now: .seconds(1), seconds: 1, highestInMs: .min)
        case .draining:
            _ = m.start()
            _ = m.stopRequested(deadline: .seconds(30), registerWaiter: false)
        case .stopped:
            _ = m.start()
            _ = m.finished()
        }
        #expect(m.phase == phase)
        return m
    }

    /// One event: its action (as text, to share one table) and the phase after it.
    struct Case: CustomTestStringConvertible, Sendable {
        var from: M.Phase
        var event: String
        var action: String
        var to: M.Phase
        var testDescription: String { "\(event) in \(from)" }
    }

    static func apply(_ event: String, to m: inout M) -> String {
        switch event {
        case "start": "\(m.start())"
        case "stop": "\(m.stopRequested(deadline: .seconds(20), registerWaiter: false))"
        case "readerNextStep": "\(m.readerNextStep())"
        case "readerCaughtUp": "\(m.readerCaughtUp())"
        case "deadlinePassed": "\(m.deadlinePassed(now: .seconds(25)))"
        case "retry": "\(m.retry(after: .seconds(15), now: .seconds(10)))"
        case "reshardDrained": "\(m.reshardDrained(to: 8))"
        case "finished": "\(m.finished().count)"
        default: "unknown event"
        }
    }

    static let cases: [Case] = [
        // start
        Case(from: .idle, event: "start", action: "run", to: .running),
        Case(from: .running, event: "start", action: "none", to: .running),
        Case(from: .resharding, event: "start", action: "none", to: .resharding),
        Case(from: .draining, event: "start", action: "none", to: .draining),
        Case(from: .stopped, event: "start", action: "none", to: .stopped),
        // a stop (deadline 20 s; the draining machine's was 30 s: it moves)
        Case(from: .idle, event: "stop", action: "returnNow", to: .idle),
        Case(from: .running, event: "stop", action: "stopping(deadlineMoved: true, waiter: nil)", to: .draining),
        Case(from: .resharding, event: "stop", action: "stopping(deadlineMoved: true, waiter: nil)", to: .draining),
        Case(from: .draining, event: "stop", action: "stopping(deadlineMoved: true, waiter: nil)", to: .draining),
        Case(from: .stopped, event: "stop", action: "returnNow", to: .stopped),
        // the reader's next step
        Case(from: .idle, event: "readerNextStep", action: "read", to: .idle),
        Case(from: .running, event: "readerNextStep", action: "read", to: .running),
        Case(from: .resharding, event: "readerNextStep", action: "reshard(to: 8)", to: .resharding),
        Case(from: .draining, event: "readerNextStep", action: "read", to: .draining),
        Case(from: .stopped, event: "readerNextStep", action: "read", to: .stopped),
        // the reader caught up
        Case(from: .idle, event: "readerCaughtUp", action: "waitForAppend", to: .idle),
        Case(from: .running, event: "readerCaughtUp", action: "waitForAppend", to: .running),
        Case(from: .resharding, event: "readerCaughtUp", action: "waitForAppend", to: .resharding),
        Case(from: .draining, event: "readerCaughtUp", action: "stop", to: .draining),
        Case(from: .stopped, event: "readerCaughtUp", action: "stop", to: .stopped),
        // the deadline timer fired at 25 s (the draining machine's deadline is 30 s)
        Case(from: .idle, event: "deadlinePassed", action: "none", to: .idle),
        Case(from: .running, event: "deadlinePassed", action: "none", to: .running),
        Case(from: .resharding, event: "deadlinePassed", action: "none", to: .resharding),
        Case(from: .draining, event: "deadlinePassed", action: "wait(until: 30.0 seconds)", to: .draining),
        Case(from: .stopped, event: "deadlinePassed", action: "none", to: .stopped),
        // a 15 s back-off at 10 s: overruns only a deadline before 25 s
        Case(from: .idle, event: "retry", action: "sleep", to: .idle),
        Case(from: .running, event: "retry", action: "sleep", to: .running),
        Case(from: .resharding, event: "retry", action: "sleep", to: .resharding),
        Case(from: .draining, event: "retry", action: "sleep", to: .draining),
        Case(from: .stopped, event: "retry", action: "sleep", to: .stopped),
        // the shards of a round drained for a reshard to 8 (nothing pending)
        Case(from: .idle, event: "reshardDrained", action: "restart(shards: 8)", to: .idle),
        Case(from: .running, event: "reshardDrained", action: "restart(shards: 8)", to: .running),
        Case(from: .resharding, event: "reshardDrained", action: "restart(shards: 8)", to: .running),
        Case(from: .draining, event: "reshardDrained", action: "restart(shards: 8)", to: .draining),
        Case(from: .stopped, event: "reshardDrained", action: "restart(shards: 8)", to: .stopped),
        // run() ended (no stop caller parked)
        Case(from: .idle, event: "finished", action: "0", to: .stopped),
        Case(from: .running, event: "finished", action: "0", to: .stopped),
        Case(from: .resharding, event: "finished", action: "0", to: .stopped),
        Case(from: .draining, event: "finished", action: "0", to: .stopped),
        Case(from: .stopped, event: "finished", action: "0", to: .stopped),
    ]

    @Test(arguments: cases) func eventInPhase(_ c: Case) {
        var m = Self.machine(in: c.from)
        #expect(Self.apply(c.event, to: &m) == c.action)
        #expect(m.phase == c.to)
    }

    @Test func theEarliestDeadlineWinsAndOnlyAnEarlierOneMovesIt() {
        var m = Self.machine(in: .running)
        let first = m.stopRequested(deadline: .seconds(10), registerWaiter: true)
        #expect(first == .stopping(deadlineMoved: true, waiter: 1))
        let later = m.stopRequested(deadline: .seconds(20), registerWaiter: false)
        #expect(later == .stopping(deadlineMoved: false, waiter: nil))
        #expect(m.deadline == .seconds(10))
        #expect(m.retry(after: .seconds(4), now: .seconds(5)) == .sleep)
        #expect(m.retry(after: .seconds(6), now: .seconds(5)) == .abort)
        #expect(m.deadlinePassed(now: .seconds(10)) == .cancelWork)
    }

    @Test func aStopBeforeStartIsKeptAndTheRunDrains() {
        var m = Self.fresh()
        let r1 = m.stopRequested(deadline: .seconds(5), registerWaiter: true)
        #expect(r1 == .returnNow)
        let r2 = m.stopRequested(deadline: .seconds(3), registerWaiter: true)
        #expect(r2 == .returnNow)
        let r3 = m.start()
        #expect(r3 == .run)
        #expect(m.phase == .draining)
        #expect(m.deadline == .seconds(3))
        #expect(m.readerCaughtUp() == .stop)
    }

    @Test func noReshardWhileSendsFailOrWhenStopping() {
        // The same load as `machine(in: .resharding)`, but the last success is 25 s old.
        var m = Self.machine(in: .running)
        _ = m.recordRead(start: Self.origin, end: Self.pos(10), samplesIn: 10_000, counts: [])
        m.sendFinished(samples: 100, seconds: 1, delivered: true, now: .seconds(1))
        let late = m.shardUpdate(now: .seconds(21), seconds: 1, highestInMs: .min)
        #expect(late.reshardTo == nil)
        #expect(late.desired == 100)
        #expect(m.phase == .running)

        var stopping = Self.machine(in: .draining)
        _ = stopping.recordRead(start: Self.origin, end: Self.pos(10), samplesIn: 10_000, counts: [])
        stopping.sendFinished(samples: 100, seconds: 1, delivered: true, now: .seconds(1))
        let r4 = stopping.shardUpdate(now: .seconds(1), seconds: 1, highestInMs: .min)
        #expect(r4.reshardTo == nil)
    }

    @Test func aReshardWithSamplesPendingEndsTheRun() {
        var m = Self.machine(in: .resharding)
        _ = m.recordRead(start: Self.pos(10), end: Self.pos(20), samplesIn: 2, counts: [2])
        let r5 = m.reshardDrained(to: 8)
        #expect(r5 == .stop)
        #expect(m.shards == 1)
    }

    // MARK: - Acks and sends

    static func batch(seq: UInt64, indices: [Int32]) -> [QueuedSample] {
        let series = WireSeries.make(Labels(["__name__": "m"]))
        return indices.map {
            QueuedSample(sample: WireSample(series: series, timestampMs: 1, value: 1), seq: seq, index: $0)
        }
    }

    @Test func theAckedPositionMovesOnlyPastRecordsEveryShardFinished() {
        var m = Self.fresh()
        _ = m.start()
        _ = m.reshardDrained(to: 2)  // two shards, nothing pending
        let a = m.recordRead(start: Self.origin, end: Self.pos(10), samplesIn: 3, counts: [2, 1])
        let b = m.recordRead(start: Self.pos(10), end: Self.pos(20), samplesIn: 1, counts: [1, 0])
        m.acknowledge(Self.batch(seq: a, indices: [0, 2]) + Self.batch(seq: b, indices: [0]), shard: 0)
        #expect(m.tracker.acked == Self.origin)  // shard 1 still holds record a
        #expect(m.tracker.pending == 1)
        m.acknowledge(Self.batch(seq: a, indices: [1]), shard: 1)
        #expect(m.tracker.acked == Self.pos(20))
        #expect(m.tracker.pending == 0)
    }

    @Test func aPositionIsSavedOnlyWhenItMovedOrAtTheEnd() {
        var m = Self.fresh()
        _ = m.start()
        let r6 = m.positionToSave(final: false)
        #expect(r6 == nil)
        let r7 = m.positionToSave(final: true)
        #expect(r7?.acked == Self.origin)
        let a = m.recordRead(start: Self.origin, end: Self.pos(10), samplesIn: 1, counts: [1])
        m.acknowledge(Self.batch(seq: a, indices: [0]), shard: 0)
        let r8 = m.positionToSave(final: false)
        #expect(r8?.acked == Self.pos(10))
        let r9 = m.positionToSave(final: false)
        #expect(r9 == nil)
    }

    @Test func highestSentAndLoudLogs() {
        var m = Self.fresh()
        let r10 = m.delivered(highestTimestampMs: 5)
        #expect(r10 == 5)
        let r11 = m.delivered(highestTimestampMs: 3)
        #expect(r11 == nil)
        let r12 = m.delivered(highestTimestampMs: 9)
        #expect(r12 == 9)
        let r13 = m.loudLogDue(now: .seconds(1))
        #expect(r13)
        let r14 = m.loudLogDue(now: .seconds(60))
        #expect(!r14)
        let r15 = m.loudLogDue(now: .seconds(61))
        #expect(r15)
    }
}
