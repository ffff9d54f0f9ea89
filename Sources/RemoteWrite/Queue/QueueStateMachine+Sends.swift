/// The state machine's bookkeeping of sends: acknowledgements (the ack tracker), the figures
/// the shard calculation takes from each send, retry decisions while stopping, and which WAL
/// position to save.
extension QueueStateMachine {
    /// Marks a batch of shard `shard` done (delivered or dropped for good), one run of samples
    /// of the same record at a time.
    mutating func acknowledge(_ batch: [QueuedSample], shard: Int) {
        var i = 0
        while i < batch.count {
            var j = i + 1
            while j < batch.count && batch[j].seq == batch[i].seq { j += 1 }
            tracker.done(seq: batch[i].seq, shard: shard, count: j - i, last: Int(batch[j - 1].index))
            i = j
        }
    }

    /// A send of `n` samples ended at `now` after `seconds`: delivered, or dropped for good.
    mutating func sendFinished(samples n: Int, seconds: Double, delivered: Bool, now: Duration) {
        if delivered {
            calculator.samplesOut(n, sendSeconds: seconds)
            lastSuccess = now
        } else {
            calculator.samplesDropped(n)
        }
    }

    /// A batch whose newest sample is `highestTimestampMs` was delivered; returns the new
    /// highest sent timestamp when it moved (for its gauge).
    mutating func delivered(highestTimestampMs ms: Int64) -> Int64? {
        guard ms > highestSentMs else { return nil }
        highestSentMs = ms
        return ms
    }

    enum RetryAction: Equatable {
        /// Sleep the back-off, then send again.
        case sleep
        /// Stopping, and the wait would overrun the flush deadline: leave the batch in the WAL.
        case abort
    }

    /// A send failed recoverably at `now`; the back-off (or `Retry-After`) says wait `wait`.
    func retry(after wait: Duration, now: Duration) -> RetryAction {
        guard let d = deadline else { return .sleep }
        return now + wait > d ? .abort : .sleep
    }

    /// Whether a loud, rate-limited line (one a minute per queue) is due at `now`.
    mutating func loudLogDue(now: Duration) -> Bool {
        if let last = lastLoudLog, now - last < .seconds(60) { return false }
        lastLoudLog = now
        return true
    }

    /// The position to save: this run's acknowledged and per-shard positions, with the
    /// previous run's not yet passed. Nil when unchanged since the last save (unless `final`).
    mutating func positionToSave(final: Bool) -> ReaderPosition? {
        let acked = tracker.acked
        let p = ReaderPosition(
            acked: acked, delivered: ReaderPosition.merge([tracker.shardPositions] + resumedShardings, acked: acked))
        defer { savedPosition = p }
        return p != savedPosition || final ? p : nil
    }
}
