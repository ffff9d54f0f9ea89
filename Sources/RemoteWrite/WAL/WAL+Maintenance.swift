import Logging
import PromModel

extension WAL {
    // MARK: - Start-up repair

    /// Scans segment `seg`: a torn or corrupt tail (no valid record after the first bad one)
    /// is truncated; a corrupt record followed by valid ones is left for readers to skip.
    static func repairTail(store: any SegmentStore, segment seg: Int, logger: Logger, metrics: WALMetrics) {
        guard let size = store.size(seg), size > 0, let bytes = try? store.read(seg, offset: 0, count: size) else {
            return
        }
        let off = bytes.withUnsafeBytes { buf in
            WALRecord.scan(buf) { item in
                guard case .skipped(let from, let to) = item else { return }
                metrics.corruptions.increment()
                logger.warning(
                    "WAL: corrupt record in segment; readers will skip it",
                    metadata: ["segment": "\(seg)", "offset": "\(from)", "skipped_bytes": "\(to - from)"])
            }
        }
        guard off < size else { return }
        metrics.corruptions.increment()
        do {
            try store.truncate(seg, to: off)
            metrics.truncations.increment()
            logger.warning(
                "WAL: torn or corrupt tail truncated",
                metadata: ["segment": "\(seg)", "offset": "\(off)", "removed_bytes": "\(size - off)"])
        } catch {
            metrics.truncationsFailed.increment()
            logger.error("WAL: cannot truncate a corrupt tail", metadata: ["segment": "\(seg)", "error": "\(error)"])
        }
    }

    /// Samples and time range of the records of `seg` from `offset` on (for loss reports).
    func stats(segment seg: Int, from offset: Int) -> WALRecord.Stats {
        var stats = WALRecord.Stats()
        guard let size = store.size(seg), size > offset,
            let bytes = try? store.read(seg, offset: offset, count: size - offset)
        else { return stats }
        var series: [WireSeries?] = []
        var none: [WireSample] = []
        var noExemplars: [IndexedExemplar] = []
        var values = WALValues()  // stats only: values are not wanted
        _ = bytes.withUnsafeBytes { buf in
            WALRecord.scan(buf) { item in
                guard case .record(let payload, _) = item else { return }
                _ = try? WALRecord.decodeCommit(
                    payload, series: &series, makeSeries: nil, out: &none, exemplars: &noExemplars, stats: &stats,
                    values: &values)
            }
        }
        return stats
    }

    // MARK: - Periodic work

    /// How often the series table is collected, and after how many collections without a
    /// sample a series is forgotten: 10–11 minutes, twice PromQL's 5-minute lookback, so a
    /// forgotten series is stale for every query (a later sample simply defines it again).
    static let seriesCollectInterval = Duration.seconds(60)
    static let seriesIdleTicks: UInt32 = 10

    /// Until cancelled: fsync per policy (one `interval` after the first commit since the last
    /// sync), and housekeeping — delete segments every reader has passed, enforce `maxSize`
    /// and `retention` — every `housekeepingInterval` and whenever a segment was cut; the
    /// series table is collected every `seriesCollectInterval`. Sleeps on the WAL's append
    /// signal in between: an agent with nothing to write sets a timer only for housekeeping.
    /// The fsyncs and housekeeping run on the I/O thread (see `WALIOThread`).
    /// - Parameter clock: what the periods are measured on (tests: a manual clock).
    func runMaintenance<C: Clock<Duration>>(
        housekeepingInterval: Duration = .seconds(10), clock: C = ContinuousClock()
    ) async {
        var nextHousekeeping = clock.now.advanced(by: housekeepingInterval)
        var nextCollect = clock.now.advanced(by: Self.seriesCollectInterval)
        var lastSegment = end.segment
        while !Task.isCancelled {
            let seen = appended.current
            let now = clock.now
            let (isDirty, current) = lock.withLock { (dirty, segment) }
            if now >= nextCollect {
                nextCollect = now.advanced(by: Self.seriesCollectInterval)
                let freed = series.collect(idleTicks: Self.seriesIdleTicks)
                if freed > 0 {
                    logger.debug("series without samples for 10m forgotten", metadata: ["series": "\(freed)"])
                }
            }
            if now >= nextHousekeeping || current != lastSegment {
                nextHousekeeping = now.advanced(by: housekeepingInterval)
                lastSegment = current
                _ = try? await io.run { self.housekeeping() }
            }
            let wake = min(nextHousekeeping, nextCollect)
            if case .interval(let d) = options.fsync, isDirty {
                // Written since the last sync: sync one interval later, with what came since.
                do { try await clock.sleep(for: max(d, .milliseconds(10))) } catch { return }
                _ = try? await io.run { self.sync() }
            } else {
                await appended.wait(seen: seen, until: wake, clock: clock)
            }
        }
    }

    /// Deletes passed segments, then drops the oldest while over the bounds.
    /// The directory is listed once per pass (it ran every second, listed four times: most of
    /// an idle agent's system calls).
    func housekeeping(nowMs: Int64 = currentTimeMs()) {
        cutDrainedSegmentAfterWriteFailure()
        var segs = (try? store.segments()) ?? []
        segs = deletePassedSegments(segs)
        var sizes = segs.map { store.size($0) ?? 0 }
        enforceBounds(nowMs: nowMs, segments: &segs, sizes: &sizes)
        metrics.storageSize.set(to: Double(sizes.reduce(0, +)))
    }

    /// Deletes segments older than every reader's acknowledged position (all but the current
    /// one when there are no readers). A reader acknowledged to the end of an earlier
    /// segment has passed it.
    /// Takes the segment list and returns what is left of it.
    func deletePassedSegments(_ segments: [Int]) -> [Int] {
        let (cur, acks) = withReaders { cur, readers in (cur, readers.values.map(\.acked)) }
        let passed = acks.map { a in
            a.segment < cur && a.offset >= (store.size(a.segment) ?? 0) ? a.segment + 1 : a.segment
        }
        let keepFrom = min(passed.min() ?? cur, cur)
        var left: [Int] = []
        for s in segments {
            guard s < keepFrom else {
                left.append(s)
                continue
            }
            do {
                try store.remove(s)
                metrics.truncations.increment()
                logger.debug("WAL segment deleted: every endpoint has sent it", metadata: ["segment": "\(s)"])
            } catch {
                metrics.truncationsFailed.increment()
                logger.error("WAL: cannot delete segment", metadata: ["segment": "\(s)", "error": "\(error)"])
                left.append(s)
            }
        }
        return left
    }

    /// Drops the oldest segments (never the current one) while the WAL is larger than
    /// `maxSize` or its oldest segment is older than `retention`; every reader that had not
    /// sent them is told how many samples it lost.
    /// `segs` and `sizes` (the segments and their sizes, oldest first) lose what is dropped.
    func enforceBounds(nowMs: Int64, segments segs: inout [Int], sizes: inout [Int]) {
        guard options.maxSize > 0 || options.retention > .zero else { return }
        let cur = end.segment
        while let oldest = segs.first, oldest < cur {
            let total = sizes.reduce(0, +)
            let tooBig = options.maxSize > 0 && total > options.maxSize
            let retentionMs = options.retention.totalMilliseconds
            let tooOld = options.retention > .zero && (store.modifiedMs(oldest) ?? nowMs) < nowMs - retentionMs
            guard tooBig || tooOld else { return }
            drop(oldest, reason: tooBig ? "max-size" : "retention", walBytes: total)
            segs.removeFirst()
            sizes.removeFirst()
        }
    }

    private func drop(_ seg: Int, reason: String, walBytes: Int) {
        let affected = withReaders { _, readers in
            readers.filter { $0.value.read.segment <= seg }.map { ($0.key, $0.value) }
        }
        var full: WALRecord.Stats?
        for (name, r) in affected {
            let from = r.read.segment == seg ? r.read.offset : 0
            let st = from == 0 ? (full ?? stats(segment: seg, from: 0)) : stats(segment: seg, from: from)
            if from == 0 { full = st }
            r.onDrop(st.samples, st.minTimestampMs, st.maxTimestampMs, seg)
            logger.warning(
                "WAL segment dropped before this endpoint sent it: samples lost",
                metadata: [
                    "remote_name": "\(name)", "reason": "\(reason)", "segment": "\(seg)", "samples": "\(st.samples)",
                    "from": "\(formatMs(st.minTimestampMs))", "to": "\(formatMs(st.maxTimestampMs))",
                    "wal_bytes": "\(walBytes)", "max_size": "\(options.maxSize)", "retention": "\(options.retention)",
                ])
        }
        do {
            try store.remove(seg)
            metrics.segmentsDropped.increment()
            metrics.truncations.increment()
        } catch {
            metrics.truncationsFailed.increment()
            logger.error("WAL: cannot delete segment", metadata: ["segment": "\(seg)", "error": "\(error)"])
        }
    }
}

/// A Unix-ms timestamp as RFC 3339 UTC (`2024-05-01T12:00:00.000Z`), "-" for none.
func formatMs(_ ms: Int64) -> String {
    guard ms != .min && ms != .max else { return "-" }
    let secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
    let c = CivilTime(unixSeconds: secs)
    func p(_ v: some BinaryInteger, _ w: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, w - s.count)) + s
    }
    return
        "\(c.year)-\(p(c.month, 2))-\(p(c.day, 2))T\(p(c.hour, 2)):\(p(c.minute, 2)):\(p(c.second, 2)).\(p(ms - secs * 1000, 3))Z"
}
