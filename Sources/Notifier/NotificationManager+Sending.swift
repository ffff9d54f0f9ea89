import AgentConfig
import AsyncHTTPClient
import HTTPClientSupport
import Logging
import NIOCore
import PromModel
import ServiceLifecycle

extension NotificationManager {
    /// Sends queued batches whenever alerts arrive, until graceful shutdown; then the drain.
    func sendLoop() async {
        for await _ in wake.cancelOnGracefulShutdown() {
            await shutdownRetiredClients()
            while !Task.isShuttingDownGracefully, !Task.isCancelled, let (batch, sets) = nextBatch() {
                await boundedByShutdown { await self.sendBatch(batch, sets: sets, deadline: nil) }
            }
        }
        await drain()
    }

    /// Runs `operation`; when graceful shutdown starts meanwhile, cancels it at the shutdown
    /// deadline, so a batch in flight cannot hold shutdown for a whole Alertmanager `timeout`.
    func boundedByShutdown(_ operation: @escaping @Sendable () async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await operation() }
            group.addTask {
                do { try await gracefulShutdown() } catch { return }  // cancelled: the operation ended
                try? await self.timeline.sleep(untilElapsed: self.shutdownDeadline())
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// The time (on `timeline`) by which shutdown sending ends: `drainTimeout` after it was
    /// first asked for.
    func shutdownDeadline() -> Duration {
        state.withLock { s in
            if let d = s.shutdownDeadline { return d }
            let d = timeline.elapsed() + drainTimeout
            s.shutdownDeadline = d
            return d
        }
    }

    /// Prometheus `drainQueue`: stop accepting, then send what is queued — at most until the
    /// shutdown deadline — or, with draining off, drop it. What is left is counted as dropped.
    func drain() async {
        let queued = state.withLock { s in
            s.accepting = false
            return s.queue.count
        }
        if queued > 0 && drainOnShutdown && !Task.isCancelled {
            logger.info("draining remaining notifications", metadata: ["count": "\(queued)"])
            let end = shutdownDeadline()
            // Requests carry the deadline (in NIO's terms) and the drain is cancelled when the
            // clock reaches it, whichever comes first.
            let deadline = NIODeadline.now() + timeAmount(end - timeline.elapsed())
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    while self.timeline.elapsed() < end, !Task.isCancelled, let (batch, sets) = self.nextBatch() {
                        await self.sendBatch(batch, sets: sets, deadline: deadline)
                    }
                }
                group.addTask { try? await self.timeline.sleep(untilElapsed: end) }
                await group.next()
                group.cancelAll()
            }
        }
        let left = state.withLock { s in
            defer { metrics.queueLength.set(to: 0) }
            return s.queue.removeAll()
        }
        if left > 0 {
            metrics.dropped.increment(by: Double(left))
            logger.warning(
                "notifications left in the queue at shutdown were dropped",
                metadata: ["count": "\(left)", "drain": "\(drainOnShutdown)"])
        } else if queued > 0 {
            logger.info("remaining notifications drained")
        }
    }

    /// The next batch and the sets to send it to, or nil when the queue is empty.
    func nextBatch() -> ([NotifierAlert], [AlertmanagerSet])? {
        state.withLock { s in
            let batch = s.queue.nextBatch(max: Self.maxBatchSize)
            metrics.queueLength.set(to: Double(s.queue.count))
            return batch.isEmpty ? nil : (batch, s.sets)
        }
    }

    /// Sends one batch; counts it as dropped unless every set that had Alertmanagers to send
    /// it to had one take it (Prometheus `sendOneBatch`).
    func sendBatch(_ batch: [NotifierAlert], sets: [AlertmanagerSet], deadline: NIODeadline?) async {
        let delivered = await sendAll(batch, sets: sets, deadline: deadline)
        if !delivered {
            metrics.dropped.increment(by: Double(batch.count))
        }
        onBatchSent(batch.count, delivered)
    }

    /// POSTs `alerts` to every active Alertmanager of every set at once, each set's
    /// `alert_relabel_configs` applied first (Prometheus `sendAll`). A set whose rules drop
    /// every alert is skipped.
    ///
    /// A set that has no Alertmanager (none discovered yet, or all dropped by
    /// `relabel_configs`) fails the batch, with a warning: Prometheus 3 skips such a set and
    /// the alerts vanish without a trace; Prometheus 2 counted them as dropped, as here.
    /// - Parameter deadline: a bound on every request besides the set's `timeout` (the drain).
    /// - Returns: true when every set meant to get the batch had at least one Alertmanager
    ///   take it.
    func sendAll(_ alerts: [NotifierAlert], sets: [AlertmanagerSet], deadline: NIODeadline?) async -> Bool {
        guard !alerts.isEmpty else { return true }
        let begin = timeline.elapsed()
        var shared: ByteBuffer?
        var posts: [Post] = []
        var attempted = Set<Int>()
        for (i, set) in sets.enumerated() {
            let body: ByteBuffer
            var count = alerts.count
            if let rules = set.alertRelabel {
                let relabeled = AlertRelabeling.apply(alerts, externalLabels: Labels(), rules: rules)
                guard !relabeled.isEmpty else { continue }
                count = relabeled.count
                body = set.active.isEmpty ? ByteBuffer() : ByteBuffer(bytes: AlertPayload.encode(relabeled))
            } else {
                if shared == nil && !set.active.isEmpty { shared = ByteBuffer(bytes: AlertPayload.encode(alerts)) }
                body = shared ?? ByteBuffer()
            }
            attempted.insert(i)
            if set.active.isEmpty {
                logger.warning(
                    "no Alertmanager to send alerts to, dropping them",
                    metadata: [
                        "config": "\(set.name)", "count": "\(count)", "dropped_alertmanagers": "\(set.dropped.count)",
                    ])
                continue
            }
            var requestDeadline = NIODeadline.now() + timeAmount(set.config.timeout)
            if let deadline { requestDeadline = min(requestDeadline, deadline) }
            for am in set.active {
                posts.append(
                    Post(
                        set: i, setName: set.name, url: am.url, client: set.client, body: body, count: count,
                        deadline: requestDeadline))
            }
        }
        let covered = await withTaskGroup(of: (Int, Bool).self, returning: Set<Int>.self) { group in
            for post in posts {
                group.addTask { (post.set, await self.post(post, begin: begin)) }
            }
            var covered = Set<Int>()
            for await (set, ok) in group where ok { covered.insert(set) }
            return covered
        }
        return attempted.isSubset(of: covered)
    }

    /// One POST of a batch to one Alertmanager.
    struct Post: Sendable {
        var set: Int
        var setName: String
        var url: String
        var client: LazyHTTPClient
        var body: ByteBuffer
        var count: Int
        var deadline: NIODeadline
    }

    /// Sends one POST, counts it, and logs a failure with the Alertmanager's URL, the HTTP
    /// status and the start of the answer. - Returns: true on a 2xx answer.
    /// - Parameter begin: when the batch's sending began, on `timeline`.
    func post(_ post: Post, begin: Duration) async -> Bool {
        var request = HTTPClientRequest(url: post.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "promsls/\(promslsVersion)")
        request.body = .bytes(post.body)
        var failure: (status: Int?, reason: String)?
        do {
            let response = try await post.client.client().execute(request, deadline: post.deadline)
            let status = Int(response.status.code)
            var body: [UInt8] = []
            for try await chunk in response.body where body.count < 512 {
                body.append(contentsOf: chunk.readableBytesView.prefix(512 - body.count))
            }
            if !(200..<300).contains(status) {
                failure = (status, String(decoding: body, as: UTF8.self))
            }
        } catch {
            failure = (nil, HTTPClientSupport.describe(error))
        }
        let m = metrics.forAlertmanager(post.url)
        m.latency.record((timeline.elapsed() - begin).totalSeconds)
        m.sent.increment(by: Double(post.count))
        guard let failure else { return true }
        m.errors.increment(by: Double(post.count))
        var meta: Logger.Metadata = [
            "alertmanager": "\(post.url)", "config": "\(post.setName)", "count": "\(post.count)",
        ]
        if let status = failure.status {
            meta["status"] = "\(status)"
            meta["body"] = "\(failure.reason)"
        } else {
            meta["err"] = "\(failure.reason)"
        }
        logger.error("error sending alerts", metadata: meta)
        return false
    }

    /// Shuts down the clients of sets a reload replaced (no batch is in flight here).
    func shutdownRetiredClients() async {
        let retired = state.withLock { s in
            defer { s.retired = [] }
            return s.retired
        }
        for client in retired { await client.shutdown() }
    }

    func timeAmount(_ d: Duration) -> TimeAmount { .nanoseconds(d.totalNanoseconds) }
}
