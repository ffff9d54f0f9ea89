import PromModel

/// The queue's bookkeeping of what was sent: acknowledgements in the ack tracker (which wake
/// the position saver), samples left in the WAL at a stop, and the figures the shard
/// calculation and the highest-sent gauge take from each send.
extension QueueManager {
    /// Marks a batch of shard `shard` done in the ack tracker (runs of one record at a time).
    func acknowledge(_ batch: [QueuedSample], shard: Int) {
        lock.withLock {
            var i = 0
            while i < batch.count {
                var j = i + 1
                while j < batch.count && batch[j].seq == batch[i].seq { j += 1 }
                tracker.done(seq: batch[i].seq, shard: shard, count: j - i, last: Int(batch[j - 1].index))
                i = j
            }
        }
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

    func noteSent(highestTimestampMs: Int64) {
        let v: Int64? = lock.withLock {
            guard highestTimestampMs > highestSentTimestampMs else { return nil }
            highestSentTimestampMs = highestTimestampMs
            return highestTimestampMs
        }
        if let v { metrics.highestSentTimestamp.set(to: Double(v) / 1000) }
    }

    func noteSendDone(samples n: Int, seconds: Double, delivered: Bool) {
        lock.withLock {
            if delivered {
                calculator.samplesOut(n, sendSeconds: seconds)
                lastSuccess = .now
            } else {
                calculator.samplesDropped(n)
            }
        }
    }
}
