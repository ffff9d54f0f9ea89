import Exposition
import PromModel

/// Counts from appending one scrape body.
public struct AppendStats: Sendable, Equatable {
    /// Samples in the body (`scrape_samples_scraped`).
    public var scraped = 0
    /// Samples left after metric relabeling (`scrape_samples_post_metric_relabeling`).
    public var postRelabel = 0
    /// Series not in the previous scrape (`scrape_series_added`).
    public var seriesAdded = 0
    /// Samples dropped because their series was already in this scrape with another value
    /// (`prometheus_target_scrapes_sample_duplicate_timestamp_total`).
    public var duplicates = 0
    /// Samples dropped because their explicit timestamp is older than the last one appended
    /// for the series (`prometheus_target_scrapes_sample_out_of_order_total`).
    public var outOfOrder = 0
    /// Staleness markers written for series that disappeared.
    public var staleMarkers = 0
    /// The cache was flushed because failed scrapes made it grow
    /// (`prometheus_target_scrapes_cache_flush_forced_total`).
    public var forcedCacheFlush = false
    public init() {}
}

/// Limits checked per scrape; 0 means unlimited (Prometheus semantics: exceeding any fails
/// the whole scrape).
public struct ScrapeLimits: Sendable, Equatable {
    public var sampleLimit = 0
    public var labelLimit = 0
    public var labelNameLengthLimit = 0
    public var labelValueLengthLimit = 0
    public init() {}
}

/// Why a scrape failed after the body arrived.
public struct ScrapeAppendError: Error, CustomStringConvertible {
    public var description: String
    /// Why, as a metric label (`parse`, `sample_limit`, `label_limit`, …).
    public var reason: ScrapeFailureReason
    /// What was counted before the failure: Prometheus reports these in the report series
    /// of a failed scrape.
    public var partial = AppendStats()
}

/// The pure part of a scrape: body → samples in an appender, with target labels merged,
/// metric relabeling, duplicates, out-of-order timestamps, staleness markers — Prometheus's
/// `scrapeLoop.append`. No I/O; tested on its own.
struct ScrapeAppender {
    /// Entries parsed between two looks at the scrape deadline (a clock read costs ~25 ns;
    /// 1,024 entries take ~10 µs to parse).
    static let deadlineCheckEntries = 1024

    var targetLabels: Labels
    var honorLabels: Bool
    var honorTimestamps: Bool
    var trackTimestampsStaleness: Bool
    var metricRelabel: LabelsTransform?
    var limits: ScrapeLimits

    /// Parses `body` and appends its samples at `timestampMs` (the scheduled scrape start)
    /// to `appender`, then staleness markers for series of the previous scrape that are gone.
    ///
    /// On error the caller rolls the appender back and calls `appendFailure(afterParse: true)`;
    /// the cache keeps what was parsed before the error (series parsed before a bad line are
    /// not marked stale, as in Prometheus).
    ///
    /// `pastDeadline` is asked every ``deadlineCheckEntries`` entries: when it answers true the
    /// scrape stops there with `context deadline exceeded` (reason `timeout`), so a body that
    /// is slow to parse cannot hold the loop past its `scrape_timeout`.
    func append(
        body: [UInt8], format: ExpositionFormat, timestampMs: Int64, cache: inout ScrapeCache,
        appender: any Appender, pastDeadline: (() -> Bool)? = nil
    ) throws -> AppendStats {
        var stats = AppendStats()
        cache.beginIteration()
        let it = cache.iter
        // A 0-byte body is an empty, successful scrape in every format (Prometheus checks
        // this before choosing a parser; OpenMetrics would otherwise demand `# EOF`).
        var parser = ExpositionParser(body: body, format: body.isEmpty ? .prometheusText : format)
        var untilCheck = Self.deadlineCheckEntries
        do {
            while let entry = try parser.next() {
                untilCheck -= 1
                if untilCheck == 0 {
                    untilCheck = Self.deadlineCheckEntries
                    if let pastDeadline, pastDeadline() {
                        throw ScrapeAppendError(
                            description: "context deadline exceeded (while parsing)", reason: .timeout)
                    }
                }
                switch entry {
                case .series:
                    stats.scraped += 1
                    try appendSeries(
                        &parser, timestampMs: timestampMs, iter: it, cache: &cache, stats: &stats, appender: appender)
                case .type, .help, .unit:
                    updateMetadata(entry, &parser, cache: &cache)
                case .comment:
                    continue
                }
            }
        } catch let e as ExpositionError {
            throw ScrapeAppendError(description: e.description, reason: .parse, partial: stats)
        } catch var e as ScrapeAppendError {
            e.partial = stats
            throw e
        }
        for ref in cache.vanishedSeries()
        where try appender.append(ref: ref, timestampMs: timestampMs, value: StaleNaN.value) {
            stats.staleMarkers += 1
        }
        stats.forcedCacheFlush = cache.endIteration(flush: !body.isEmpty)
        return stats
    }

    /// Records a TYPE/HELP/UNIT line; an unchanged line costs one lookup, no strings.
    private func updateMetadata(_ entry: ExpositionEntry, _ parser: inout ExpositionParser, cache: inout ScrapeCache) {
        let nameKey = ByteKey(borrowing: parser.metadataNameBytes)
        var seen = cache.seenMetadata[nameKey] ?? SeenMetadata()
        switch entry {
        case .type:
            if seen.type == parser.metricType { return }
            seen.type = parser.metricType
        case .help:
            if seen.help == ByteKey(borrowing: parser.metadataTextBytes) { return }
            seen.help = ByteKey(copying: parser.metadataTextBytes)
        default:
            if seen.unit == ByteKey(borrowing: parser.metadataTextBytes) { return }
            seen.unit = ByteKey(copying: parser.metadataTextBytes)
        }
        cache.seenMetadata[ByteKey(copying: nameKey.bytes)] = seen
        let name = parser.metadataName
        var md = cache.metadata[name] ?? MetricMetadata(familyName: name, type: .unknown)
        switch entry {
        case .type: md.type = parser.metricType
        case .help: md.help = parser.helpText
        default: md.unit = parser.unitText
        }
        cache.metadata[name] = md
    }

    /// One sample line: cache lookup (or label-set build on a miss), checks, append.
    @inline(__always)
    private func appendSeries(
        _ parser: inout ExpositionParser, timestampMs: Int64, iter it: Int32, cache: inout ScrapeCache,
        stats: inout AppendStats, appender: any Appender
    ) throws {
        let explicitTs = honorTimestamps ? parser.timestampMs : nil
        let value = parser.value
        let ts = explicitTs ?? timestampMs
        let tracked = explicitTs == nil || trackTimestampsStaleness
        let i: Int
        if let found = cache.find(parser.seriesBytes) {
            i = found
            if cache.entries[i].lastSeenIter == it {
                // The same series twice in one scrape: the first sample wins. Prometheus counts
                // the second in post_metric_relabeling and, with another value, as a duplicate.
                if !cache.entries[i].isDropped {
                    stats.postRelabel += 1
                    if cache.entries[i].lastValueBits != value.bitPattern { stats.duplicates += 1 }
                }
                return
            }
            cache.entries[i].lastSeenIter = it
            cache.seenThisIter += 1
            cache.seen(i)
            if cache.entries[i].isDropped { return }
        } else {
            let names = honorLabels ? parser.emptyLabelNames() : []
            let final = try finalLabels(parser.labels(), emptyNames: names)
            // The key is copied into the cache's arena: the body can be freed after this scrape.
            i = cache.insert(key: parser.seriesBytes, ref: final == nil ? .dropped : .none, lastSeenIter: it)
            cache.seenThisIter += 1
            cache.seen(i)
            guard let final else { return }
            stats.seriesAdded += 1
            guard try admit(ts: ts, value: value, entry: &cache.entries[i], stats: &stats) else { return }
            cache.entries[i].ref = try appender.append(final, timestampMs: ts, value: value)
            appended(ts: ts, tracked: tracked, iter: it, entry: &cache.entries[i])
            if parser.hasExemplar {
                appendExemplar(parser, ref: cache.entries[i].ref, sampleTs: ts, appender: appender)
            }
            return
        }
        guard try admit(ts: ts, value: value, entry: &cache.entries[i], stats: &stats) else { return }
        if try !appender.append(ref: cache.entries[i].ref, timestampMs: ts, value: value) {
            // Storage forgot the series (no sample for a long time, or no refs at all): append
            // it by its labels again, from the line being parsed.
            let names = honorLabels ? parser.emptyLabelNames() : []
            guard let final = try finalLabels(parser.labels(), emptyNames: names) else { return }
            cache.entries[i].ref = try appender.append(final, timestampMs: ts, value: value)
        }
        appended(ts: ts, tracked: tracked, iter: it, entry: &cache.entries[i])
        if parser.hasExemplar { appendExemplar(parser, ref: cache.entries[i].ref, sampleTs: ts, appender: appender) }
    }

    /// The exemplar of the sample just appended for `ref`; without a timestamp of its own it
    /// takes the sample's. Storage refusing it does not fail the scrape (Prometheus only logs
    /// exemplar errors).
    private func appendExemplar(_ parser: ExpositionParser, ref: SeriesRef, sampleTs: Int64, appender: any Appender) {
        guard let e = parser.exemplar() else { return }
        try? appender.appendExemplar(
            ref: ref, exemplar: Exemplar(labels: e.labels, value: e.value, timestampMs: e.timestampMs ?? sampleTs))
    }

    /// Counts the sample and checks the sample limit and its order; returns false when the
    /// sample is out of order (dropped, counted; the scrape still succeeds).
    @inline(__always)
    private func admit(ts: Int64, value: Double, entry: inout CachedSeries, stats: inout AppendStats) throws -> Bool {
        stats.postRelabel += 1
        if limits.sampleLimit > 0 && stats.postRelabel > limits.sampleLimit {
            throw ScrapeAppendError(
                description: "sample_limit exceeded (limit: \(limits.sampleLimit))", reason: .sampleLimit)
        }
        entry.lastValueBits = value.bitPattern
        if ts < entry.lastTimestampMs {
            // Older than what was already appended for this series: storage refuses it.
            stats.outOfOrder += 1
            return false
        }
        return true
    }

    @inline(__always)
    private func appended(ts: Int64, tracked: Bool, iter it: Int32, entry: inout CachedSeries) {
        entry.lastTimestampMs = ts
        if tracked { entry.staleIter = it }
    }

    /// A failed scrape: staleness markers for every series of the previous scrape not seen in
    /// this one. `afterParse` is true when `append` ran (and began the iteration) before
    /// failing, false for a failure before any body (HTTP error).
    func appendFailure(afterParse: Bool, timestampMs: Int64, cache: inout ScrapeCache, appender: any Appender) throws
        -> Int
    {
        if !afterParse { cache.beginIteration() }
        var n = 0
        // A series storage has forgotten got no sample for minutes: it is stale already.
        for ref in cache.vanishedSeries()
        where try appender.append(ref: ref, timestampMs: timestampMs, value: StaleNaN.value) {
            n += 1
        }
        // Series parsed before the bad line kept their markers away in this scrape, but their
        // samples were rolled back: they do not count as "previous" for the next scrape either
        // (what Prometheus 2.42's agent does, measured side by side in Tests/Parity).
        if afterParse {
            let it = cache.iter
            for i in cache.entries.indices where cache.entries[i].staleIter == it {
                cache.entries[i].staleIter = -1
            }
        }
        _ = cache.endIteration(flush: false)
        return n
    }

    /// Merges the target labels into a scraped label set (honor_labels semantics), checks the
    /// label limits and applies metric relabeling. Returns nil when relabeling drops it.
    func finalLabels(_ scraped: Labels, emptyNames: [String] = []) throws -> Labels? {
        let merged = Self.merge(
            scraped: scraped, target: targetLabels, honorLabels: honorLabels, emptyNames: emptyNames)
        guard let relabeled = metricRelabel.map({ $0(merged) }) ?? merged else { return nil }
        if relabeled.isEmpty { return nil }
        try checkLabelLimits(relabeled)
        return relabeled
    }

    func checkLabelLimits(_ l: Labels) throws {
        if limits.labelLimit > 0 && l.count > limits.labelLimit {
            throw ScrapeAppendError(
                description:
                    "label_limit exceeded (metric: \(l.name ?? ""), number of labels: \(l.count), limit: \(limits.labelLimit))",
                reason: .labelLimit)
        }
        for label in l {
            if limits.labelNameLengthLimit > 0 && label.name.utf8.count > limits.labelNameLengthLimit {
                throw ScrapeAppendError(
                    description:
                        "label_name_length_limit exceeded (metric: \(l.name ?? ""), label name: \(label.name), length: \(label.name.utf8.count), limit: \(limits.labelNameLengthLimit))",
                    reason: .labelNameLengthLimit)
            }
            if limits.labelValueLengthLimit > 0 && label.value.utf8.count > limits.labelValueLengthLimit {
                throw ScrapeAppendError(
                    description:
                        "label_value_length_limit exceeded (metric: \(l.name ?? ""), label name: \(label.name), value: \"\(label.value)\", length: \(label.value.utf8.count), limit: \(limits.labelValueLengthLimit))",
                    reason: .labelValueLengthLimit)
            }
        }
    }

    /// Prometheus's `mutateSampleLabels`: with `honor_labels` scraped labels win; without,
    /// target labels win and a conflicting scraped label is kept as `exported_<name>`.
    /// `emptyNames`: labels the body wrote with an empty value; with `honor_labels` they
    /// still win over the target's label (which then ends up absent).
    static func merge(scraped: Labels, target: Labels, honorLabels: Bool, emptyNames: [String] = []) -> Labels {
        var b = LabelsBuilder(scraped)
        if honorLabels {
            for l in target where b.get(l.name) == nil && !emptyNames.contains(l.name) { b.set(l.name, l.value) }
            return b.labels()
        }
        var conflicts: [Label] = []
        for l in target {
            if let existing = scraped[l.name] { conflicts.append(Label(l.name, existing)) }
            b.set(l.name, l.value)
        }
        for c in conflicts {
            var name = "exported_" + c.name
            while b.get(name) != nil { name = "exported_" + name }
            b.set(name, c.value)
        }
        return b.labels()
    }

    /// Names of the report series, in the order they are appended.
    static func reportSeriesNames(extra: Bool) -> [String] {
        [
            "up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
            "scrape_series_added",
        ] + (extra ? ["scrape_timeout_seconds", "scrape_sample_limit", "scrape_body_size_bytes"] : [])
    }

    /// The report series Prometheus appends after every scrape. Their refs are kept in
    /// `refs` (the scrape cache's `reportRefs`), so later scrapes append them by ref.
    func reportSeries(
        up: Bool, durationSeconds: Double, stats: AppendStats, timestampMs: Int64, appender: any Appender,
        extra: [(String, Double)] = [], refs: inout [SeriesRef]
    ) throws {
        let values: [(String, Double)] =
            [
                ("up", up ? 1 : 0),
                ("scrape_duration_seconds", durationSeconds),
                ("scrape_samples_scraped", Double(stats.scraped)),
                ("scrape_samples_post_metric_relabeling", Double(stats.postRelabel)),
                ("scrape_series_added", Double(stats.seriesAdded)),
            ] + extra
        if refs.count != values.count { refs = Array(repeating: .none, count: values.count) }
        for (k, (name, v)) in values.enumerated() {
            if try appender.append(ref: refs[k], timestampMs: timestampMs, value: v) { continue }
            var b = LabelsBuilder(targetLabels)
            b.set(Labels.metricName, name)
            refs[k] = try appender.append(b.labels(), timestampMs: timestampMs, value: v)
        }
    }
}
