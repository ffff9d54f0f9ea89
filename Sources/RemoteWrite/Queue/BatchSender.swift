import AgentConfig
import Logging
import PromModel

/// What became of a batch.
enum SendVerdict: Equatable {
    /// 2xx.
    case delivered
    /// A non-recoverable answer: the batch is dropped for good (counted as failed).
    case dropped
    /// Stopped (flush deadline or cancellation) before it could be delivered: the samples
    /// stay in the WAL and are sent after the next start.
    case aborted
}

/// What a `BatchSender` reports to its queue and asks of it (`QueueManager` in production):
/// the seam that keeps the sender out of the queue's state.
protocol SendBookkeeping: Sendable {
    /// A batch whose newest sample is `highestTimestampMs` was delivered.
    func delivered(highestTimestampMs: Int64)
    /// A send of `samples` samples ended after `seconds`: delivered, or dropped for good.
    func sendFinished(samples: Int, seconds: Double, delivered: Bool)
    /// Shows or clears an SLS condition (refused credentials, missing Metricstore) after a send.
    func noteSLSCondition(_ result: SendResult)
    /// Whether to wait `wait` and retry, or give up because the queue stops before then.
    func retry(after wait: Duration) -> QueueStateMachine.RetryAction
    /// Whether a loud, rate-limited line is due now.
    func loudLogDue() -> Bool
}

/// Encodes, compresses and sends one batch with retries, for one shard (buffers reused from
/// batch to batch). All send-side metric updates and log lines live here. A stop's deadline
/// reaches it as task cancellation: a send or back-off sleep in progress then ends the batch
/// as `.aborted` (it stays in the WAL).
struct BatchSender {
    let client: any WriteSending
    let metrics: QueueMetrics
    let logger: Logger
    let clock: QueueClock
    let queue: any SendBookkeeping
    var encoder = WriteRequestEncoder()
    var compressed: [UInt8] = []
    var backoff: Backoff

    init(
        client: any WriteSending, queueConfig: QueueConfig, metrics: QueueMetrics, logger: Logger, clock: QueueClock,
        queue: any SendBookkeeping
    ) {
        self.client = client
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
        self.queue = queue
        backoff = Backoff(minBackoff: queueConfig.minBackoff, maxBackoff: queueConfig.maxBackoff)
    }

    private enum Kind {
        case samples
        case metadata
    }

    /// Sends samples; returns when they are delivered, dropped as final, or stop overran.
    mutating func send(_ batch: [QueuedSample]) async -> SendVerdict {
        var exemplars = 0
        var highest = Int64.min
        for s in batch {
            if s.exemplar != nil { exemplars += 1 }
            if s.sample.timestampMs > highest { highest = s.sample.timestampMs }
        }
        encoder.encode(batch: batch)
        let verdict: SendVerdict
        switch await sendEncoded(count: batch.count, kind: .samples, exemplars: exemplars) {
        case .split:
            // Too large for the server: each half on its own (and halved again if need be).
            let mid = batch.count / 2
            let first = await send(Array(batch[..<mid]))
            let second = first == .aborted ? .aborted : await send(Array(batch[mid...]))
            return first == .aborted || second == .aborted
                ? .aborted : first == .dropped || second == .dropped ? .dropped : .delivered
        case .done(let v): verdict = v
        }
        if verdict == .delivered { queue.delivered(highestTimestampMs: highest) }
        return verdict
    }

    /// What one encoded request came to.
    private enum Attempt: Equatable {
        case done(SendVerdict)
        /// Too large for the server: send the batch again in halves.
        case split
    }

    mutating func send(metadata: ArraySlice<MetricMetadata>) async {
        encoder.encode(metadata: metadata)
        _ = await sendEncoded(count: metadata.count, kind: .metadata)  // metadata is never split
    }

    private mutating func sendEncoded(count n: Int, kind: Kind, exemplars: Int = 0) async -> Attempt {
        let m = metrics
        let log = logger
        do {
            try Snappy.compress(encoder.buffer, into: &compressed)
        } catch {
            log.error("remote write: snappy compression failed", metadata: ["error": "\(error)"])
            (kind == .samples ? m.samplesFailed : m.metadataFailed).increment(by: Int64(n))
            return .done(.dropped)
        }
        backoff.reset()
        while true {
            let start = clock.now()
            let result = await client.send(compressed)
            // Cancelled (the flush deadline passed): unless it got through, the batch is
            // abandoned, so a hung endpoint cannot hold a shutdown past its deadline.
            if Task.isCancelled && result.outcome != .success {
                log.warning(
                    "remote write: flush deadline reached during a send; the batch stays in the WAL for the next start",
                    metadata: ["kind": "\(kind)", "count": "\(n)"])
                return .done(.aborted)
            }
            let seconds = (clock.now() - start).totalSeconds
            if kind == .samples { m.sentBatchDuration.record(seconds) }
            if let e = result.sls { m.slsError(code: e.code.isEmpty ? "none" : e.code) }
            queue.noteSLSCondition(result)
            switch result.outcome {
            case .success:
                switch kind {
                case .samples:
                    m.samplesTotal.increment(by: Int64(n))
                    if exemplars > 0 { m.exemplarsTotal.increment(by: Int64(exemplars)) }
                    m.bytesTotal.increment(by: Int64(compressed.count))
                    queue.sendFinished(samples: n, seconds: seconds, delivered: true)
                case .metadata:
                    m.metadataTotal.increment(by: Int64(n))
                    m.metadataBytesTotal.increment(by: Int64(compressed.count))
                }
                return .done(.delivered)
            case .final(let reason):
                m.httpFailure(statusCode: result.statusCode)
                (kind == .samples ? m.samplesFailed : m.metadataFailed).increment(by: Int64(n))
                if kind == .samples { queue.sendFinished(samples: n, seconds: seconds, delivered: false) }
                log.error(
                    "remote write: non-recoverable error, batch dropped",
                    metadata: [
                        "kind": "\(kind)", "count": "\(n)", "reason": "\(reason)",
                        "status": "\(result.statusCode.map(String.init) ?? "-")",
                        "body": "\(result.bodyPrefix)",
                    ].withRequestID(result.requestID))
                return .done(.dropped)
            case .tooLarge(let reason):
                m.httpFailure(statusCode: result.statusCode)
                if n > 1 && kind == .samples {
                    log.warning(
                        "remote write: request too large for the server; sending the batch again in two halves",
                        metadata: [
                            "count": "\(n)", "bytes": "\(compressed.count)", "reason": "\(reason)",
                        ].withRequestID(result.requestID))
                    return .split
                }
                (kind == .samples ? m.samplesFailed : m.metadataFailed).increment(by: Int64(n))
                log.error(
                    "remote write: request too large for the server even alone; dropped",
                    metadata: [
                        "kind": "\(kind)", "count": "\(n)", "bytes": "\(compressed.count)", "reason": "\(reason)",
                    ])
                return .done(.dropped)
            case .recoverable(let reason, let retryAfter):
                m.httpFailure(statusCode: result.statusCode)
                (kind == .samples ? m.samplesRetried : m.metadataRetried).increment(by: Int64(n))
                let wait = backoff.failed(retryAfter: retryAfter)
                if Task.isCancelled || queue.retry(after: wait) == .abort {
                    log.warning(
                        "remote write: stopping during retries; the batch stays in the WAL for the next start",
                        metadata: ["kind": "\(kind)", "count": "\(n)", "reason": "\(reason)"])
                    return .done(.aborted)
                }
                if let e = result.sls, e.kind == .credentials || e.kind == .missingStore {
                    // Loud, but one line a minute at most: every shard retries the same way.
                    if queue.loudLogDue() {
                        log.error(
                            "remote write: SLS refuses every request; the samples stay in the WAL and are retried",
                            metadata: [
                                "reason": "\(reason)", "retry_in": "\(wait)",
                            ].withRequestID(result.requestID))
                    }
                    do { try await clock.sleep(for: wait) } catch { return .done(.aborted) }
                    continue
                }
                log.warning(
                    "remote write: recoverable error, retrying",
                    metadata: [
                        "kind": "\(kind)", "count": "\(n)", "reason": "\(reason)", "attempt": "\(backoff.attempts)",
                        "retry_in": "\(wait)",
                    ].withRequestID(result.requestID))
                do { try await clock.sleep(for: wait) } catch { return .done(.aborted) }
            }
        }
    }
}

extension Logger.Metadata {
    /// Adds SLS's request id (`x-log-requestid`, what SLS support asks for) when the response
    /// had one; plain remote-write receivers send none and get no placeholder.
    func withRequestID(_ id: String?) -> Logger.Metadata {
        guard let id else { return self }
        var m = self
        m["x_log_requestid"] = "\(id)"
        return m
    }
}
