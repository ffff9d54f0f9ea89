import PromModel

/// The queue's bookkeeping of what was sent: acknowledgements (which wake the position
/// saver), samples left in the WAL at a stop, and what its `BatchSender`s report
/// (`SendBookkeeping`), all recorded in the state machine.
extension QueueManager: SendBookkeeping {
    /// A sender for one shard (or the metadata loop), reporting to this queue.
    func makeSender() -> BatchSender {
        BatchSender(
            client: client, queueConfig: config.queueConfig, metrics: metrics, logger: logger, clock: clock, queue: self
        )
    }

    /// Marks a batch of shard `shard` done (delivered or dropped for good).
    func acknowledge(_ batch: [QueuedSample], shard: Int) {
        state.withLock { $0.acknowledge(batch, shard: shard) }
        acknowledged.bump()
        metrics.samplesPending.decrement(by: Double(batch.count))
    }

    func leftInWAL(_ n: Int) {
        guard n > 0 else { return }
        metrics.samplesPending.decrement(by: Double(n))
        logger.warning(
            "remote write stopped before these samples were delivered; they stay in the WAL and are sent after the next start",
            metadata: ["samples": "\(n)"])
    }

    func delivered(highestTimestampMs: Int64) {
        if let v = state.withLock({ $0.delivered(highestTimestampMs: highestTimestampMs) }) {
            metrics.highestSentTimestamp.set(to: Double(v) / 1000)
        }
    }

    func sendFinished(samples n: Int, seconds: Double, delivered: Bool) {
        let now = clock.now()
        state.withLock { $0.sendFinished(samples: n, seconds: seconds, delivered: delivered, now: now) }
    }

    func retry(after wait: Duration) -> QueueStateMachine.RetryAction {
        let now = clock.now()
        return state.withLock { $0.retry(after: wait, now: now) }
    }

    func loudLogDue() -> Bool {
        let now = clock.now()
        return state.withLock { $0.loudLogDue(now: now) }
    }
}
