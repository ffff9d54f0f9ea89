import PromModel

/// A streaming parser over a scraped body, in the style of Prometheus's `model/textparse`.
///
/// Call `next()` until it returns nil; after each entry read the accessors that belong to it.
/// `next()` works on byte offsets into the body and allocates nothing per sample once its
/// label-offset buffer has grown; `String`s are built only by `labels()` and the metadata
/// accessors. Text 0.0.4 follows `promlex.l` / `promparse.go`, OpenMetrics 1.0 follows
/// `openmetricslex.l` / `openmetricsparse.go` of Prometheus 3.
///
/// ```swift
/// var p = ExpositionParser(body: bytes, format: .prometheusText)
/// while let entry = try p.next() {
///     if entry == .series { append(p.labels(), p.timestampMs ?? now, p.value) }
/// }
/// ```
public struct ExpositionParser {
    let body: [UInt8]
    /// The format this parser reads.
    public let format: ExpositionFormat

    var pos = 0
    var done = false
    /// The type of the last TYPE line (sticky, as Prometheus's `p.mtype`): decides whether
    /// `le` / `quantile` values are normalised.
    var currentType: MetricType?

    // Series state: offsets into `body`.
    var seriesStart = 0
    var seriesEnd = 0
    var nameStart = -1
    var nameEnd = -1
    /// Four offsets per label: name start, name end, value start, value end (raw, escaped).
    var labelOffsets: [Int] = []
    var sampleValue: Double = 0
    var sampleTimestampMs: Int64?
    /// Exemplar of the last sample (OpenMetrics): four offsets per label as `labelOffsets`.
    var exemplarPresent = false
    var exemplarLabelOffsets: [Int] = []
    var exemplarValue: Double = 0
    var exemplarTimestampMs: Int64?

    // Metadata state.
    var metaStart = 0
    var metaEnd = 0
    var textStart = 0
    var textEnd = 0
    var metaType: MetricType = .unknown

    /// Creates a parser over `body` (the decompressed response body).
    public init(body: [UInt8], format: ExpositionFormat) {
        self.body = body
        self.format = format
        labelOffsets.reserveCapacity(32)
        if format == .openMetrics { exemplarLabelOffsets.reserveCapacity(8) }
    }

    /// Advances to the next entry.
    /// - Returns: the kind of entry, or nil at the end of the body.
    /// - Throws: `ExpositionError` on the first malformed line; the whole scrape must then be
    ///   discarded, as Prometheus does. After an error `next()` returns nil.
    public mutating func next() throws(ExpositionError) -> ExpositionEntry? {
        if done { return nil }
        let body = self.body
        let result: Result<ExpositionEntry?, ExpositionError> = body.withUnsafeBufferPointer { b in
            Result { () throws(ExpositionError) -> ExpositionEntry? in
                switch format {
                case .prometheusText: return try nextText(b)
                case .openMetrics: return try nextOpenMetrics(b)
                }
            }
        }
        switch result {
        case .success(let entry):
            if entry == nil { done = true }
            return entry
        case .failure(let error):
            done = true
            throw error
        }
    }

    // MARK: - Series accessors (valid after `.series`)

    /// The raw bytes of `name{labels}` as written, for a per-series cache keyed by bytes.
    public var seriesBytes: ArraySlice<UInt8> { body[seriesStart..<seriesEnd] }

    /// The sample's label set, `__name__` included, sorted by name. Escapes are resolved, empty
    /// values dropped, and `le` (TYPE histogram) / `quantile` (TYPE summary) values normalised as
    /// Prometheus 3 does (`1` → `1.0`, `1000000` → `1e+06`).
    public func labels() -> Labels {
        body.withUnsafeBufferPointer { b in
            var list: [Label] = []
            list.reserveCapacity(labelOffsets.count / 4 + 1)
            list.append(Label(Labels.metricName, unescapedString(b, nameStart..<nameEnd, help: false)))
            var k = 0
            while k + 3 < labelOffsets.count {
                let name = unescapedString(b, labelOffsets[k]..<labelOffsets[k + 1], help: false)
                var value = unescapedString(b, labelOffsets[k + 2]..<labelOffsets[k + 3], help: false)
                k += 4
                if value.isEmpty { continue }
                if (currentType == .histogram && name == "le") || (currentType == .summary && name == "quantile") {
                    value = normalizeFloatLabelValue(value)
                }
                list.append(Label(name, value))
            }
            sortLabelsByName(&list)
            return Labels(trustedSorted: list)
        }
    }

    /// Names of labels written with an empty value (`{job=""}`), which `labels()` drops. With
    /// `honor_labels: true` such a label still keeps the target's label of that name away, as
    /// in Prometheus. Empty (and allocation-free) in the usual case.
    public func emptyLabelNames() -> [String] {
        var out: [String] = []
        var k = 0
        while k + 3 < labelOffsets.count {
            if labelOffsets[k + 2] == labelOffsets[k + 3] {
                out.append(
                    body.withUnsafeBufferPointer {
                        unescapedString($0, labelOffsets[k]..<labelOffsets[k + 1], help: false)
                    })
            }
            k += 4
        }
        return out
    }

    /// The sample value; a parsed NaN is Prometheus's canonical NaN (`normalNaN`).
    public var value: Double { sampleValue }

    /// The explicit timestamp in milliseconds, or nil when the line has none.
    public var timestampMs: Int64? { sampleTimestampMs }

    /// Whether the sample line has an exemplar (OpenMetrics ` # {labels} value [ts]`; never
    /// in text 0.0.4).
    public var hasExemplar: Bool { exemplarPresent }

    /// The exemplar of the sample line, or nil: its labels (escapes resolved, sorted, kept
    /// as written otherwise), value, and timestamp in milliseconds when the line has one.
    /// Strings are built only here.
    public func exemplar() -> (labels: Labels, value: Double, timestampMs: Int64?)? {
        guard exemplarPresent else { return nil }
        let labels: Labels = body.withUnsafeBufferPointer { b in
            var list: [Label] = []
            list.reserveCapacity(exemplarLabelOffsets.count / 4)
            var k = 0
            while k + 3 < exemplarLabelOffsets.count {
                list.append(
                    Label(
                        unescapedString(b, exemplarLabelOffsets[k]..<exemplarLabelOffsets[k + 1], help: false),
                        unescapedString(b, exemplarLabelOffsets[k + 2]..<exemplarLabelOffsets[k + 3], help: false)))
                k += 4
            }
            return Labels(list)
        }
        return (labels, exemplarValue, exemplarTimestampMs)
    }

    // MARK: - Metadata accessors (valid after `.type`, `.help`, `.unit`)

    /// The metric family name of a TYPE, HELP or UNIT line (quotes of a quoted name removed).
    public var metadataName: String { String(decoding: body[metaStart..<metaEnd], as: UTF8.self) }

    /// The raw bytes of the family name of a TYPE, HELP or UNIT line (for a cache keyed by
    /// bytes: no `String` built when the line is the same as in the previous scrape).
    public var metadataNameBytes: ArraySlice<UInt8> { body[metaStart..<metaEnd] }

    /// The raw (still escaped) text of a HELP or UNIT line.
    public var metadataTextBytes: ArraySlice<UInt8> { body[textStart..<textEnd] }

    /// The type of a TYPE line; text 0.0.4 `untyped` is `.unknown`, as in Prometheus.
    public var metricType: MetricType { metaType }

    /// The help text of a HELP line, escapes resolved (`\\`, `\n`; OpenMetrics also `\"`).
    public var helpText: String {
        body.withUnsafeBufferPointer { b in
            unescapedString(b, textStart..<textEnd, help: format == .prometheusText)
        }
    }

    /// The unit of a UNIT line (OpenMetrics).
    public var unitText: String { String(decoding: body[textStart..<textEnd], as: UTF8.self) }
}

/// Parses `value` as a float (Go `strconv.ParseFloat`) and re-formats it with
/// `formatOpenMetricsFloat`; values that do not parse are kept as they are.
func normalizeFloatLabelValue(_ value: String) -> String {
    let bytes = Array(value.utf8)
    let parsed = bytes.withUnsafeBufferPointer { parseGoFloat($0, 0..<$0.count) }
    guard case .success(let f) = parsed else { return value }
    return formatOpenMetricsFloat(f)
}

/// Builds a `String` from `b[range]`, resolving the label-value escapes (`\"`, `\\`, `\n`) or,
/// with `help`, the text 0.0.4 HELP escapes (`\\`, `\n`) in one left-to-right pass; other
/// backslashes are kept (Go `strings.NewReplacer` semantics).
func unescapedString(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, help: Bool) -> String {
    guard range.lowerBound >= 0, range.lowerBound <= range.upperBound, range.upperBound <= b.count else { return "" }
    let slice = UnsafeBufferPointer(rebasing: b[range])
    guard slice.contains(UInt8(ascii: "\\")) else { return String(decoding: slice, as: UTF8.self) }
    var out: [UInt8] = []
    out.reserveCapacity(slice.count)
    var i = 0
    while i < slice.count {
        let c = slice[i]
        if c == UInt8(ascii: "\\") && i + 1 < slice.count {
            let d = slice[i + 1]
            if d == UInt8(ascii: "\\") {
                out.append(d)
                i += 2
                continue
            } else if d == UInt8(ascii: "n") {
                out.append(0x0A)
                i += 2
                continue
            } else if d == UInt8(ascii: "\"") && !help {
                out.append(d)
                i += 2
                continue
            }
        }
        out.append(c)
        i += 1
    }
    return String(decoding: out, as: UTF8.self)
}

/// Sorts labels by name, keeping the written order of equal names. Insertion sort for the
/// usual small, nearly sorted set; above 16 labels an O(n log n) sort, so a
/// hostile line with 100,000 label names in reverse order costs O(n log n), not O(n²).
@inline(__always)
func sortLabelsByName(_ list: inout [Label]) {
    guard list.count > 16 else {
        var i = 1
        while i < list.count {
            var j = i
            while j > 0 && list[j] < list[j - 1] {
                list.swapAt(j, j - 1)
                j -= 1
            }
            i += 1
        }
        return
    }
    var isSorted = true
    for i in 1..<list.count where list[i] < list[i - 1] {
        isSorted = false
        break
    }
    guard !isSorted else { return }
    // Index as the tie-breaker: equal names keep their order whatever `sort` guarantees.
    list = list.enumerated().sorted { a, b in
        a.element < b.element || (!(b.element < a.element) && a.offset < b.offset)
    }.map(\.element)
}
