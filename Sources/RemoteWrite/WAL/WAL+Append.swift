import Logging
import PromModel

/// The writing side of the WAL: commits appended as records, series definitions once per
/// segment, segment cuts, fsync and close. All of it runs under `writeLock`; `commit` runs it
/// on the I/O thread.
extension WAL {
    /// Appends one commit's samples on the WAL's I/O thread (see `WALIOThread`) and returns
    /// once they are written — and fsynced when the policy is `always` — as
    /// `append(_:series:exemplars:)` does on the caller's thread. Commits are written in the
    /// order they reach the I/O thread; the calling task is suspended meanwhile, no thread
    /// of the cooperative pool is blocked. One hop per commit: `samples` is not copied.
    /// - Throws: `WALIOError` as `append(_:series:exemplars:)` (disk full, I/O error, closed).
    public func commit(
        _ samples: [RefSample], series table: SeriesTable, exemplars: [IndexedExemplar] = []
    ) async throws {
        guard !samples.isEmpty else { return }
        try await io.run { try self.append(samples, series: table, exemplars: exemplars) }
    }

    /// Appends one commit's samples given by label set (tests, tools, `QueueManager.enqueue`):
    /// each label set is resolved in `series` first. See `append(_:series:externalLabels:exemplars:)`.
    public func append(_ samples: [TimeSeriesSample], exemplars: [IndexedExemplar] = []) throws {
        guard !samples.isEmpty else { return }
        let refSamples = samples.map {
            RefSample(ref: series.ref(for: $0.labels), timestampMs: $0.sample.timestampMs, value: $0.sample.value)
        }
        try append(refSamples, series: series, exemplars: exemplars)
    }

    /// Appends one commit's samples (split into records of at most `maxSamplesPerRecord`).
    /// Series are written by ref; a series' definition (its labels from `table`, external
    /// labels included) goes into the first record of each segment that uses it. Returns once written, and fsynced when the policy is `always`.
    /// - Throws: `WALIOError` (disk full, I/O error) — the failed record is cut off again, so
    ///   nothing corrupt is left; samples of that record and later ones are lost (counted).
    /// - Parameter exemplars: exemplars of `samples` (`index` into `samples`, increasing);
    ///   written in the record of their sample (type 3).
    public func append(
        _ samples: [RefSample], series table: SeriesTable, exemplars: [IndexedExemplar] = []
    ) throws {
        guard !samples.isEmpty else { return }
        guard table === series else {
            // Refs of another table (a storage writing to several WALs): WAL refs are slots of
            // this WAL's own table, so translate (slow path, tests and tools only).
            let own = samples.map { s in
                RefSample(
                    ref: table.labels(s.ref).map { series.ref(for: $0) } ?? SeriesRef(raw: .max),
                    timestampMs: s.timestampMs, value: s.value)
            }
            try append(own, series: series, exemplars: exemplars)
            return
        }
        var written = 0
        defer { if written > 0 { appended.bump() } }
        try writeLock.withLock {
            var newest = Int64.min
            for s in samples where s.timestampMs > newest { newest = s.timestampMs }
            let isClosed = lock.withLock {
                if !closed && newest > highest { highest = newest }
                return closed
            }
            guard !isClosed else { throw WALIOError(op: "append", path: "closed WAL", errno: 9) }
            var start = samples.startIndex
            var ex = exemplars.startIndex
            while start < samples.endIndex {
                let chunk = samples[start..<min(samples.endIndex, start + max(1, options.maxSamplesPerRecord))]
                var chunkExemplars: [IndexedExemplar] = []
                while ex < exemplars.endIndex && exemplars[ex].index < chunk.endIndex {
                    if exemplars[ex].index >= start {
                        chunkExemplars.append(
                            IndexedExemplar(index: exemplars[ex].index - start, exemplar: exemplars[ex].exemplar))
                    }
                    ex += 1
                }
                do {
                    try writeRecord(chunk, table: table, exemplars: chunkExemplars[...])
                } catch {
                    metrics.writesFailed.increment()
                    metrics.samplesLost.increment(by: Int64(samples.endIndex - start))
                    throw error
                }
                written += chunk.count
                start = chunk.endIndex
            }
            if options.fsync == .always { try syncLocked() } else { lock.withLock { dirty = true } }
        }
    }

    /// Encodes and writes one record, cutting a new segment first when it would not fit.
    private func writeRecord(
        _ chunk: ArraySlice<RefSample>, table: SeriesTable, exemplars: ArraySlice<IndexedExemplar>
    ) throws {
        var attempt = 0
        while true {
            definedRefs.removeAll(keepingCapacity: true)
            definitionEntries.removeAll(keepingCapacity: true)
            sampleRefs.removeAll(keepingCapacity: true)
            var stamps: [UInt64] = []
            swap(&stamps, &defined)
            let epoch = self.epoch
            var lost = 0
            table.withSlots { slots in
                for s in chunk {
                    let i = Int(truncatingIfNeeded: s.ref.raw & 0xffff_ffff)
                    let g = UInt32(truncatingIfNeeded: s.ref.raw >> 32)
                    guard i < slots.count, slots[i].generation == g, let series = slots[i].series else {
                        sampleRefs.append(.max)
                        lost += 1
                        continue
                    }
                    let stamp = UInt64(g) << 32 | UInt64(epoch)
                    if i >= stamps.count { stamps.append(contentsOf: repeatElement(0, count: i + 1 - stamps.count)) }
                    if stamps[i] != stamp {
                        stamps[i] = stamp
                        definedRefs.append(UInt32(i))
                        WALRecord.putUvarint(&definitionEntries, UInt64(i))
                        series.appendWALDefinition(to: &definitionEntries)
                    }
                    sampleRefs.append(UInt32(i))
                }
            }
            swap(&stamps, &defined)
            buffer.removeAll(keepingCapacity: true)
            valueUndo.removeAll(keepingCapacity: true)
            WALRecord.appendCommit(
                to: &buffer, definitionCount: definedRefs.count, definitionEntries: definitionEntries, refs: sampleRefs,
                samples: chunk, exemplars: exemplars,
                values: &values, undo: &valueUndo, key: recordsInSegment % Self.keyRecordEvery == 0)
            if lost > 0 {
                // Written with an unknown ref: readers drop and count them per endpoint.
                logger.warning("WAL: samples of series refs storage no longer knows", metadata: ["samples": "\(lost)"])
            }
            if offset > 0 && offset + buffer.count > options.segmentSize && attempt == 0 {
                // Not written here: take its values back (the cut resets them, unless its sync throws).
                values.undo(valueUndo)
                try cutSegment()
                attempt += 1
                continue
            }
            do {
                try store.append(segment, buffer)
            } catch {
                // The definitions and values of this record were not written: write them again
                // next time, and the values against what was written before.
                for i in definedRefs { defined[Int(i)] = 0 }
                values.undo(valueUndo)
                writeFailedSinceCut = true
                do {
                    try store.truncate(segment, to: offset)
                } catch {
                    logger.error("WAL: cannot truncate after a failed write", metadata: ["error": "\(error)"])
                }
                logger.error(
                    "WAL write failed: the commit's samples are lost, scraping continues",
                    metadata: ["error": "\(error)", "segment": "\(segment)", "samples": "\(chunk.count)"])
                throw error
            }
            let newEnd = offset + buffer.count
            lock.withLock { offset = newEnd }  // readers may read it now
            recordsInSegment += 1
            metrics.recordsWritten.increment()
            metrics.bytesWritten.increment(by: Int64(buffer.count))
            if offset >= options.segmentSize { try cutSegment() }
            return
        }
    }

    /// Starts the next segment (under `writeLock`). Readers see it once its file exists (a
    /// reader finding no file for the current segment would take it as deleted).
    func cutSegment() throws {
        try syncLocked()  // a complete segment is always made durable, as Prometheus does
        writeFailedSinceCut = false
        let next = segment + 1
        epoch &+= 1
        values.reset()
        recordsInSegment = 0
        defer {
            lock.withLock {
                segment = next
                offset = 0
            }
        }
        try store.append(next, [])
        metrics.segmentCurrent.set(to: Double(next))
    }

    /// Fsyncs the current segment (under `writeLock`).
    func syncLocked() throws {
        let start = ContinuousClock.now
        try store.sync(segment)
        lock.withLock { dirty = false }
        let d = ContinuousClock.now - start
        metrics.fsyncDuration.record(d.totalSeconds)
    }

    /// Flushes to disk if anything was written since the last sync, on the calling thread
    /// (blocking; the maintenance loop syncs on the I/O thread).
    public func sync() {
        writeLock.withLock {
            guard lock.withLock({ dirty }) else { return }
            do { try syncLocked() } catch { logger.error("WAL fsync failed", metadata: ["error": "\(error)"]) }
        }
    }

    /// Syncs and refuses further appends; readers may go on reading. Blocking (shutdown).
    public func close() {
        writeLock.withLock {
            if !lock.withLock({ closed }) {
                do { try syncLocked() } catch { logger.error("WAL fsync failed", metadata: ["error": "\(error)"]) }
                lock.withLock { closed = true }
                store.close()
            }
        }
        appended.bump()
    }

    public var isClosed: Bool { lock.withLock { closed } }

}
