import AgentConfig
import Logging
import PromModel
import Prometheus

/// The queue's background tasks besides reading and sending: the flush-deadline timer,
/// saving the WAL position, resharding, and sending metadata. Each ends when cancelled.
extension QueueManager {
    // MARK: - Flush deadline

    /// Waits for a stop request, then until its deadline on the queue's clock (re-armed when a
    /// later request moves it earlier). Returns true when the deadline passed (the run's
    /// tasks are then cancelled), false when cancelled first (delivery finished in time).
    func runDeadlineTimer() async -> Bool {
        while !Task.isCancelled {
            let seen = stopRequests.current
            guard let deadline = state.withLock({ $0.deadline }) else {
                await stopRequests.wait(seen: seen, until: nil)
                continue
            }
            guard await wait(for: stopRequests, seen: seen, orUntil: deadline) else { continue }
            let now = clock.now()
            if state.withLock({ $0.deadlinePassed(now: now) }) == .cancelWork {
                logger.debug("remote write flush deadline passed; stopping the shards")
                return true
            }
        }
        return false
    }

    /// Returns true when `deadline` (on the queue's clock) passes first, false when `signal`
    /// moves past `seen` first or the task is cancelled.
    func wait(for signal: ChangeSignal, seen: UInt64, orUntil deadline: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { [clock] in (try? await clock.sleepUntil(deadline)) != nil }
            group.addTask {
                await signal.wait(seen: seen, until: nil)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    // MARK: - Positions and resharding

    /// Saves the position at most every `positionSaveInterval`, and only after batches were
    /// acknowledged (or every `backlogRefresh` for the backlog gauge): an idle queue sets no
    /// timer of its own.
    func runPositionSaver(backlogRefresh: Duration = .seconds(15)) async {
        while !Task.isCancelled {
            let seen = acknowledged.current
            do { try await clock.sleep(for: positionSaveInterval) } catch { return }
            await savePosition(final: false)
            _ = await wait(for: acknowledged, seen: seen, orUntil: clock.now() + backlogRefresh)
        }
    }

    /// Saves the acknowledged position and the per-shard positions if they moved (atomic
    /// write-rename) and tells the WAL, which may then delete segments every reader has passed.
    func savePosition(final: Bool) async {
        let (position, acked) = state.withLock { ($0.positionToSave(final: final), $0.tracker.acked) }
        if let position {
            await wal.savePosition(remoteName, position)
            wal.updateReader(remoteName, acked: acked)
        }
        metrics.walBacklogBytes.set(to: Double(wal.bytesAfter(acked)))
        if final { logger.debug("WAL position saved", metadata: ["position": "\(acked)"]) }
    }

    /// Every `shardUpdateInterval`, recomputes the shards needed and asks the reader to
    /// reshard when they differ (`QueueStateMachine.shardUpdate`).
    func runShardCalculation() async {
        let q = config.queueConfig
        guard q.maxShards > q.minShards else { return }
        let interval = state.withLock { $0.limits.shardUpdateInterval }
        var last = clock.now()
        while !Task.isCancelled {
            do { try await clock.sleep(for: interval) } catch { return }
            let now = clock.now()
            let seconds = (now - last).totalSeconds
            last = now
            let highestIn = wal.highestTimestampMs
            let update = state.withLock { $0.shardUpdate(now: now, seconds: seconds, highestInMs: highestIn) }
            metrics.shardsDesired.set(to: update.desired)
            if update.reshardTo != nil { wal.appended.bump() }
        }
    }

    // MARK: - Metadata

    func runMetadataLoop() async {
        guard config.metadataConfig.send, let source = metadataSource else { return }
        while true {
            do { try await clock.sleep(for: config.metadataConfig.sendInterval) } catch { return }
            let md = source()
            if !md.isEmpty { await sendMetadata(md) }
        }
    }

    /// Sends `metadata` in requests of at most `metadata_config.max_samples_per_send` entries,
    /// retrying recoverable failures with backoff until stopped.
    public func sendMetadata(_ metadata: [MetricMetadata]) async {
        var sender = makeSender()
        let per = max(1, config.metadataConfig.maxSamplesPerSend)
        var i = 0
        while i < metadata.count {
            let chunk = metadata[i..<min(i + per, metadata.count)]
            await sender.send(metadata: chunk)
            i += per
        }
    }
}
