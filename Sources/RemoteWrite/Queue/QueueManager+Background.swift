import AgentConfig
import Logging
import PromModel
import Prometheus
import ServiceLifecycle

/// The queue's background tasks besides reading and sending: saving the WAL position,
/// resharding, and sending metadata.
extension QueueManager {
    // MARK: - Positions and resharding

    /// Saves the position at most every `positionSaveInterval`, and only after batches were
    /// acknowledged (or every `backlogRefresh` for the backlog gauge): an idle queue sets no
    /// timer of its own.
    func runPositionSaver(backlogRefresh: Duration = .seconds(15)) async {
        while !Task.isCancelled {
            let seen = acknowledged.current
            do { try await Task.sleep(for: positionSaveInterval) } catch { return }
            await savePosition(final: false)
            await acknowledged.wait(seen: seen, until: .now + backlogRefresh)
        }
    }

    /// Saves the acknowledged position and the per-shard positions if they moved (atomic
    /// write-rename) and tells the WAL, which may then delete segments every reader has passed.
    func savePosition(final: Bool) async {
        let (p, changed) = lock.withLock { () -> (ReaderPosition, Bool) in
            let p = currentReaderPosition
            defer { savedPosition = p }
            return (p, p != savedPosition)
        }
        let acked = p.acked
        if changed || final {
            await wal.savePosition(remoteName, p)
            wal.updateReader(remoteName, acked: acked)
        }
        metrics.walBacklogBytes.set(to: Double(wal.bytesAfter(acked)))
        if final { logger.debug("WAL position saved", metadata: ["position": "\(acked)"]) }
    }

    /// What `savePosition` saves: this run's per-shard positions and those of the previous
    /// run not yet passed. Under `lock`.
    private var currentReaderPosition: ReaderPosition {
        let acked = tracker.acked
        return ReaderPosition(
            acked: acked, delivered: ReaderPosition.merge([tracker.shardPositions] + resumedShardings, acked: acked))
    }

    func runShardCalculation() async {
        let q = config.queueConfig
        guard q.maxShards > q.minShards else { return }
        var last = ContinuousClock.now
        while !Task.isCancelled {
            do { try await Task.sleep(for: shardUpdateInterval) } catch { return }
            let now = ContinuousClock.now
            let elapsed = now - last
            last = now
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let highestIn = wal.highestTimestampMs
            let (desired, raw, current, recentSuccess) = lock.withLock { () -> (Int, Double, Int, Bool) in
                let delay =
                    highestSentTimestampMs == .min || highestIn == .min
                    ? 0 : Double(highestIn - highestSentTimestampMs) / 1000
                let d = calculator.desiredShards(
                    current: numShards, minShards: q.minShards, maxShards: q.maxShards, delaySeconds: delay,
                    seconds: seconds)
                return (d, calculator.desired, numShards, now - lastSuccess < shardUpdateInterval * 2)
            }
            metrics.shardsDesired.set(to: raw)
            // Prometheus: no reshard while sends fail (the drain would block), or if stopping.
            guard desired != current, recentSuccess, !isStopping else { continue }
            lock.withLock { reshardTo = desired }
            wal.appended.bump()
        }
    }

    // MARK: - Metadata

    func runMetadataLoop() async {
        guard config.metadataConfig.send, let source = metadataSource else { return }
        while true {
            do { try await Task.sleep(for: config.metadataConfig.sendInterval) } catch { return }
            let md = source()
            if !md.isEmpty { await sendMetadata(md) }
        }
    }

    /// Sends `metadata` in requests of at most `metadata_config.max_samples_per_send` entries,
    /// retrying recoverable failures with backoff until stopped.
    public func sendMetadata(_ metadata: [MetricMetadata]) async {
        var sender = BatchSender(manager: self)
        let per = max(1, config.metadataConfig.maxSamplesPerSend)
        var i = 0
        while i < metadata.count {
            let chunk = metadata[i..<min(i + per, metadata.count)]
            await sender.send(metadata: chunk)
            i += per
        }
    }
}
