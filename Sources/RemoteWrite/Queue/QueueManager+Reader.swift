import AgentConfig
import Logging
import PromModel

/// The queue's reader and shards: the reader reads the WAL into the shards' queues, each
/// shard batches and sends. Rounds end for a reshard (drained, then restarted with the new
/// count) or a stop (read to the end, delivered, or cancelled at the flush deadline).
extension QueueManager {
    private enum RoundEnd {
        case stop
        case reshard(Int)
    }

    /// What the reader keeps between rounds besides its position.
    private struct ReaderProgress {
        var unknownRefSamples = 0
        var segment: Int
        /// Skips, while re-reading records after a restart, samples delivered before it.
        var deliveredFilter: DeliveredFilter?
        var skippedDelivered = 0
    }

    func runReaderAndShards() async {
        var reader = WALReader(
            wal: wal, from: ackedPosition, logger: logger,
            makeSeries: relabel.map { WALReader.relabeling($0) })
        var progress = ReaderProgress(
            unknownRefSamples: reader.unknownRefSamples, segment: reader.position.segment,
            deliveredFilter: deliveredFilter)
        var n = currentShards
        while true {
            let shards = (0..<n).map { _ in ShardQueue(capacity: config.queueConfig.capacity, clock: clock) }
            let end: RoundEnd = await withTaskGroup(of: Void.self) { group in
                for (i, shard) in shards.enumerated() { group.addTask { await self.runShard(shard, index: i) } }
                let r = await self.produce(&reader, &progress, into: shards)
                for s in shards { s.close() }
                await group.waitForAll()
                // Pushed after a shard was cancelled at the deadline: still in the WAL.
                leftInWAL(shards.reduce(0) { $0 + $1.removeAll() })
                return r
            }
            guard case .reshard(let k) = end else { return }
            // Samples left undelivered by the drain (only when cancelled meanwhile): keep the
            // per-shard positions of the shards they belong to.
            guard case .restart = state.withLock({ $0.reshardDrained(to: k) }) else { return }
            logger.info("remote write resharding", metadata: ["from": "\(n)", "to": "\(k)"])
            n = k
            metrics.shards.set(to: Double(k))
        }
    }

    /// Reads the WAL into the shards until stopped (and caught up), cancelled, or a reshard is due.
    private func produce(
        _ reader: inout WALReader, _ progress: inout ReaderProgress, into shards: [ShardQueue]
    ) async -> RoundEnd {
        let batchRead = max(config.queueConfig.maxSamplesPerSend, 1000)
        while true {
            if Task.isCancelled { return .stop }
            if case .reshard(let k) = state.withLock({ $0.readerNextStep() }) { return .reshard(k) }
            let seen = wal.appended.current
            let records: [WALReader.Record]
            do {
                records = try await reader.next(maxSamples: batchRead)
            } catch {
                logger.error("WAL read failed; retrying in 1s", metadata: ["error": "\(error)"])
                do { try await clock.sleep(for: .seconds(1)) } catch { return .stop }
                continue
            }
            if reader.unknownRefSamples > progress.unknownRefSamples {
                metrics.samplesDropped(.unintentionallyDropped).increment(
                    by: Int64(reader.unknownRefSamples - progress.unknownRefSamples))
                progress.unknownRefSamples = reader.unknownRefSamples
            }
            if reader.position.segment != progress.segment {
                progress.segment = reader.position.segment
                metrics.walSegment.set(to: Double(progress.segment))
            }
            wal.updateReader(remoteName, read: reader.position)
            if records.isEmpty {
                if state.withLock({ $0.readerCaughtUp() }) == .stop { return .stop }
                // Woken by an append, a stop or a reshard (each bumps `appended`), or by
                // cancellation: no timer while idle.
                await wal.appended.wait(seen: seen, until: nil)
                continue
            }
            for rec in records {
                guard await queue(rec, into: shards, &progress) else { return .stop }
            }
        }
    }

    /// Queues the samples of one record in their shards. Returns false when cancelled first.
    private func queue(_ rec: WALReader.Record, into shards: [ShardQueue], _ progress: inout ReaderProgress) async
        -> Bool
    {
        if let f = progress.deliveredFilter, rec.start > f.limit {
            progress.deliveredFilter = nil
            if progress.skippedDelivered > 0 {
                logger.info(
                    "remote write skipped samples delivered before the restart",
                    metadata: ["samples": "\(progress.skippedDelivered)"])
            }
        }
        // Parts per shard, each sample with its place in the record (the per-shard positions
        // count it); the record's sequence number is stamped once added.
        var parts = [[QueuedSample]](repeating: [], count: shards.count)
        var kept = 0
        // Exemplars ride with their sample (same shard, same ack), for this endpoint only if
        // it sends them.
        let exemplars = config.sendExemplars ? rec.exemplars : []
        var ex = 0
        let filter = progress.deliveredFilter
        var skipped = 0
        self.filter(rec.wire) { index, s in
            let hash = s.series.hash
            if let filter, filter.delivered(hash: hash, recordStart: rec.start, index: index) {
                skipped += 1
                return
            }
            var q = QueuedSample(sample: s, seq: 0, index: Int32(index))
            while ex < exemplars.count && exemplars[ex].index < index { ex += 1 }
            if ex < exemplars.count && exemplars[ex].index == index { q.exemplar = exemplars[ex].exemplar }
            parts[Int(hash % UInt64(shards.count))].append(q)
            kept += 1
        }
        progress.skippedDelivered += skipped
        let counts = kept == 0 ? [] : parts.map(\.count)
        let seq = state.withLock {
            $0.recordRead(start: rec.start, end: rec.end, samplesIn: rec.wire.count, counts: counts)
        }
        guard kept > 0 else { return true }
        metrics.samplesPending.increment(by: Double(kept))
        for i in parts.indices where !parts[i].isEmpty {
            for j in parts[i].indices { parts[i][j].seq = seq }
            // Waits for space (backpressure: the rest waits in the WAL). What was not pushed
            // is not acknowledged, so it is read again after the next start.
            let pushed = await shards[i].push(parts[i][...])
            if pushed < parts[i].count {
                metrics.samplesPending.decrement(by: Double(parts[i].count - pushed))
                return false
            }
        }
        return true
    }

    /// `write_relabel_configs` (applied to each series once, when the reader met its
    /// definition) and `sample_age_limit`: calls `keep` with each sample kept and its index in
    /// `samples`; drops are counted by reason.
    private func filter(_ samples: [WireSample], keep: (Int, WireSample) -> Void) {
        let ageLimit = config.queueConfig.sampleAgeLimit
        let oldest = ageLimit > .zero ? currentTimeMs() - ageLimit.totalMilliseconds : .min
        var relabelDropped = 0
        var tooOld = 0
        for (i, s) in samples.enumerated() {
            if s.series.isDropped {
                relabelDropped += 1
            } else if s.timestampMs < oldest {
                tooOld += 1
            } else {
                keep(i, s)
            }
        }
        if relabelDropped > 0 { metrics.samplesDropped(.droppedSeries).increment(by: Int64(relabelDropped)) }
        if tooOld > 0 { metrics.samplesDropped(.tooOld).increment(by: Int64(tooOld)) }
    }

    /// One shard: batches what the reader queued and sends it; ends when its queue is closed
    /// and drained, or when cancelled (what it holds stays in the WAL).
    private func runShard(_ queue: ShardQueue, index: Int) async {
        let q = config.queueConfig
        var sender = makeSender()
        var batch: [QueuedSample] = []
        batch.reserveCapacity(min(q.maxSamplesPerSend, 1 << 16))
        var batchBytes = 0
        var batchDeadline: Duration?
        while true {
            if Task.isCancelled {
                leftInWAL(batch.count + queue.removeAll())
                return
            }
            let r = queue.pop(
                into: &batch, batchBytes: &batchBytes, maxSamples: max(1, q.maxSamplesPerSend),
                maxBytes: max(1, q.maxBytesPerSend))
            if !batch.isEmpty && batchDeadline == nil { batchDeadline = clock.now() + q.batchSendDeadline }
            if let due = batchDeadline, r.full || r.closed || clock.now() >= due {
                switch await sender.send(batch) {
                case .delivered, .dropped:
                    acknowledge(batch, shard: index)
                case .aborted:
                    leftInWAL(batch.count + queue.removeAll())
                    return
                }
                batch.removeAll(keepingCapacity: true)
                batchBytes = 0
                batchDeadline = nil
                continue
            }
            if r.drained && batch.isEmpty { return }
            await queue.waitForData(until: batchDeadline)
        }
    }
}
