import AgentConfig
import Hummingbird
import Logging
import NIOCore
import PromModel
import Prometheus
import Synchronization
import TestSupport

@testable import RemoteWrite

/// A `WriteSending` that answers from a script and records every decoded request.
final class ScriptedSender: WriteSending, Sendable {
    typealias Condition = @Sendable (_ requests: [DecodedWriteRequest], _ delivered: [DecodedWriteRequest]) -> Bool

    private struct State {
        var requests: [DecodedWriteRequest] = []
        var delivered: [DecodedWriteRequest] = []
        var waiters: [(Condition, CheckedContinuation<Void, Never>)] = []

        /// Removes and returns the waiters whose condition now holds.
        mutating func takeReady() -> [CheckedContinuation<Void, Never>] {
            let (r, d) = (requests, delivered)
            let ready = waiters.filter { $0.0(r, d) }.map(\.1)
            waiters.removeAll { $0.0(r, d) }
            return ready
        }
    }

    private let state = Mutex(State())
    let answer: @Sendable (Int) -> SendResult

    init(answer: @escaping @Sendable (Int) -> SendResult = { _ in SendResult(outcome: .success, statusCode: 204) }) {
        self.answer = answer
    }

    var requests: [DecodedWriteRequest] { state.withLock { $0.requests } }
    var delivered: [DecodedWriteRequest] { state.withLock { $0.delivered } }

    func send(_ compressedBody: [UInt8]) async -> SendResult {
        let req = (try? WriteRequestDecoder.decode(snappyCompressed: compressedBody)) ?? DecodedWriteRequest()
        let i = state.withLock { s in
            s.requests.append(req)
            return s.requests.count - 1
        }
        let r = answer(i)
        let ready = state.withLock { s in
            if r.outcome == .success { s.delivered.append(req) }
            return s.takeReady()
        }
        for c in ready { c.resume() }
        return r
    }

    /// Returns once the requests sent and answered so far, and those delivered, satisfy
    /// `condition` (no sleeping, no polling; the test's time limit bounds the wait).
    func waitUntil(_ condition: @escaping Condition) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s in
                if condition(s.requests, s.delivered) { return true }
                s.waiters.append((condition, c))
                return false
            }
            if ready { c.resume() }
        }
    }

    func waitUntilDelivered(_ condition: @escaping @Sendable ([DecodedWriteRequest]) -> Bool) async {
        await waitUntil { _, delivered in condition(delivered) }
    }
}

/// One request as the test receiver saw it.
struct ReceivedRequest: Sendable {
    /// Header names lowercased.
    var headers: [String: String]
    var body: DecodedWriteRequest?
    var status: Int
    /// When it arrived on the receiver's manual clock (zero without one).
    var at: Duration
}

/// A remote write receiver on 127.0.0.1 (Hummingbird, port 0) answering from a script.
final class TestReceiver: Sendable {
    typealias Condition = @Sendable ([ReceivedRequest]) -> Bool
    private let state = Mutex<(received: [ReceivedRequest], waiters: [(Condition, CheckedContinuation<Void, Never>)])>(
        ([], []))
    let script: @Sendable (Int, DecodedWriteRequest?) -> (status: Int, headers: [(String, String)], body: String)
    /// Stamps each request's arrival (`ReceivedRequest.at`).
    let clock: ManualClock?

    init(
        clock: ManualClock? = nil,
        script: @escaping @Sendable (Int) -> (status: Int, headers: [(String, String)], body: String)
    ) {
        self.clock = clock
        self.script = { i, _ in script(i) }
    }

    /// Answers from the request number and the decoded request.
    init(
        answer:
            @escaping @Sendable (Int, DecodedWriteRequest?) -> (status: Int, headers: [(String, String)], body: String)
    ) {
        self.clock = nil
        self.script = answer
    }

    var received: [ReceivedRequest] { state.withLock { $0.received } }
    /// Samples of the requests answered with 2xx, in arrival order.
    var deliveredSamples: [TimeSeriesSample] {
        received.filter { (200..<300).contains($0.status) }.flatMap { $0.body?.samples ?? [] }
    }

    /// Returns once the requests received so far satisfy `condition` (no polling; the test's
    /// time limit bounds the wait).
    func waitUntil(_ condition: @escaping Condition) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s in
                if condition(s.received) { return true }
                s.waiters.append((condition, c))
                return false
            }
            if ready { c.resume() }
        }
    }

    /// Records one answered request and wakes the waiters whose condition now holds.
    private func record(_ r: ReceivedRequest) {
        let ready = state.withLock { s in
            s.received.append(r)
            let received = s.received
            let ready = s.waiters.filter { $0.0(received) }.map(\.1)
            s.waiters.removeAll { $0.0(received) }
            return ready
        }
        for c in ready { c.resume() }
    }

    /// Runs the server, calls `body` with its write URL, then stops the server.
    func withServer<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/api/v1/write") { request, _ -> Response in
            /// Header names lowercased.
            var headers: [String: String] = [:]
            for f in request.headers { headers[f.name.canonicalName.lowercased()] = f.value }
            let buf = try await request.body.collect(upTo: 16 << 20)
            let decoded = try? WriteRequestDecoder.decode(snappyCompressed: Array(buffer: buf))
            let i = self.received.count
            let (status, h, text) = self.script(i, decoded)
            self.record(
                ReceivedRequest(headers: headers, body: decoded, status: status, at: self.clock?.now.offset ?? .zero))
            var fields = HTTPFields()
            for (k, v) in h { fields.append(.init(name: .init(k)!, value: v)) }
            return Response(
                status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let port = PortBox()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { ch in port.set(ch.localAddress?.port ?? 0) },
            logger: {
                var l = Logger(label: "test-receiver")
                l.logLevel = .critical
                return l
            }())
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await app.runService(gracefulShutdownSignals: [])
                return nil
            }
            let p = await port.wait()
            let result = try await body("http://127.0.0.1:\(p)/api/v1/write")
            group.cancelAll()
            return result
        }
    }
}

/// The port the receiver listens on, handed over when the server runs.
final class PortBox: Sendable {
    private let state = Mutex<(port: Int, waiters: [CheckedContinuation<Int, Never>])>((0, []))

    func set(_ p: Int) {
        let wake = state.withLock { s in
            s.port = p
            defer { s.waiters = [] }
            return s.waiters
        }
        for c in wake { c.resume(returning: p) }
    }

    /// Returns the port once the server runs.
    func wait() async -> Int {
        await withCheckedContinuation { (c: CheckedContinuation<Int, Never>) in
            let p: Int? = state.withLock { s in
                if s.port != 0 { return s.port }
                s.waiters.append(c)
                return nil
            }
            if let p { c.resume(returning: p) }
        }
    }
}

/// A queue config with short timings for tests.
func fastConfig(url: String, name: String = "test", maxSamples: Int = 10, capacity: Int = 1000) -> RemoteWriteConfig {
    var c = RemoteWriteConfig(url: url)
    c.name = name
    c.remoteTimeout = .seconds(5)
    c.queueConfig.minBackoff = .milliseconds(10)
    c.queueConfig.maxBackoff = .milliseconds(40)
    c.queueConfig.batchSendDeadline = .milliseconds(50)
    c.queueConfig.maxSamplesPerSend = maxSamples
    c.queueConfig.capacity = capacity
    // No resharding unless a test asks for it (a manual clock can pass the 10 s period).
    c.queueConfig.maxShards = 1
    c.metadataConfig.sendInterval = .milliseconds(100)
    return c
}

func makeSamples(_ n: Int, series: Int = 3, job: String = "j") -> [TimeSeriesSample] {
    (0..<n).map {
        TimeSeriesSample(
            labels: Labels(["__name__": "m", "job": job, "i": "\($0 % series)"]), timestampMs: Int64(1000 + $0),
            value: Double($0))
    }
}

/// Runs `qm` while `body` executes, then stops it with a flush deadline. The deadline only
/// bounds a failure: a stop returns once everything is delivered. It is generous because
/// synchronous tests running beside can hold both threads of the cooperative pool for seconds
/// (10 s once left half of a queue test's samples undelivered).
@discardableResult
func withRunning<T: Sendable>(
    _ qm: QueueManager, flush: Duration = .seconds(60), _ body: @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            try await qm.run()
            return nil
        }
        let r = try await body()
        await qm.stop(within: flush)
        try await group.waitForAll()
        return r
    }
}

/// Runs `body` while moving `clock` forward in `step`s whenever some task is parked on it:
/// the code under test sees time pass as fast as it waits, with no sleeping. `body` waits on
/// events (deliveries, acked positions), not on time. Time runs fast here: stop a queue
/// outside the drive unless its flush deadline is meant to pass.
func whileDriving<T: Sendable>(
    _ clock: ManualClock, step: Duration = .milliseconds(10), _ body: @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            while !Task.isCancelled {
                if clock.sleeperCount > 0 { clock.advance(by: step) }
                await Task.yield()
            }
            return nil
        }
        let r = try await body()
        group.cancelAll()
        return r
    }
}

extension QueueManager {
    /// Returns once everything up to `position` is acknowledged (woken by each acknowledgement).
    func waitUntilAcked(_ position: WALPosition) async {
        while !Task.isCancelled {
            let seen = acknowledged.current
            if ackedPosition >= position { return }
            await acknowledged.wait(seen: seen, until: nil)
        }
    }
}

/// The value of one sample line of the registry's exposition (`name{labels}`), or nil.
func metricValue(_ registry: PrometheusCollectorRegistry, _ series: String) -> Double? {
    for line in exposition(registry).split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1))
    }
    return nil
}

/// The sum of every series of the family `name` (0 when none).
func metricSum(_ registry: PrometheusCollectorRegistry, _ name: String) -> Double {
    var total = 0.0
    for line in exposition(registry).split(separator: "\n")
    where line.hasPrefix(name + " ") || line.hasPrefix(name + "{") {
        if let v = line.split(separator: " ").last.flatMap({ Double($0) }) { total += v }
    }
    return total
}

let testLogger: Logger = {
    var l = Logger(label: "rw-test")
    l.logLevel = .critical
    return l
}()

func encodeOnce(_ samples: [TimeSeriesSample]) -> [UInt8] {
    var e = WriteRequestEncoder()
    return e.encode(samples: samples)
}

/// What `/metrics` serves for `registry`: the registry's families, then the per-job ones.
func exposition(_ registry: PrometheusCollectorRegistry) -> String {
    var perJob: [UInt8] = []
    LabeledFamilies.attached(to: registry).emit(into: &perJob)
    return registry.emitToString() + String(decoding: perJob, as: UTF8.self)
}
