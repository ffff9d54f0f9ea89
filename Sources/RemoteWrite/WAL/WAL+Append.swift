import Logging
import PromModel

/// The writing side of the WAL: commits appended as records, series definitions once per
/// segment, segment cuts, fsync and close. All of it runs under `lock`.
extension WAL {
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
        try lock.withLock {
            guard !closed else { throw WALIOError(op: "append", path: "closed WAL", errno: 9) }
            var start = samples.startIndex
            var ex = exemplars.startIndex
            for s in samples where s.timestampMs > highest { highest = s.timestampMs }
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
            if options.fsync == .always { try syncLocked() } else { dirty = true }
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
            offset += buffer.count
            recordsInSegment += 1
            metrics.recordsWritten.increment()
            metrics.bytesWritten.increment(by: Int64(buffer.count))
            if offset >= options.segmentSize { try cutSegment() }
            return
        }
    }

    /// Starts the next segment (under `lock`).
    func cutSegment() throws {
        try syncLocked()  // a complete segment is always made durable, as Prometheus does
        writeFailedSinceCut = false
        segment += 1
        offset = 0
        epoch &+= 1
        values.reset()
        recordsInSegment = 0
        try store.append(segment, [])
        metrics.segmentCurrent.set(to: Double(segment))
    }

    func syncLocked() throws {
        let start = ContinuousClock.now
        try store.sync(segment)
        dirty = false
        let d = ContinuousClock.now - start
        metrics.fsyncDuration.record(Double(d.components.attoseconds) / 1e18 + Double(d.components.seconds))
    }

    /// Flushes to disk if anything was written since the last sync.
    public func sync() {
        lock.withLock {
            guard dirty else { return }
            do { try syncLocked() } catch { logger.error("WAL fsync failed", metadata: ["error": "\(error)"]) }
        }
    }

    /// Syncs and refuses further appends; readers may go on reading.
    public func close() {
        lock.withLock {
            if !closed {
                do { try syncLocked() } catch { logger.error("WAL fsync failed", metadata: ["error": "\(error)"]) }
                closed = true
                store.close()
            }
        }
        appended.bump()
    }

    public var isClosed: Bool { lock.withLock { closed } }

}
