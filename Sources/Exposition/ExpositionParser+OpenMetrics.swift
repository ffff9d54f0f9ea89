import PromModel

/// OpenMetrics 1.0 text, as Prometheus 3's `OpenMetricsParser` (`openmetricslex.l`,
/// `openmetricsparse.go`): exactly one space between tokens, no blank lines, no free comments,
/// `# EOF` last, float-second timestamps, exemplars after ` # `.
extension ExpositionParser {
    mutating func nextOpenMetrics(_ b: UnsafeBufferPointer<UInt8>) throws(ExpositionError) -> ExpositionEntry? {
        let n = b.count
        guard pos < n else { throw .at(n, in: b, "data does not end with # EOF") }
        let c = b[pos]
        if c == UInt8(ascii: "#") {
            guard hasPrefix(b, pos, "# ") else { throw unexpected(b, pos, "expected a valid start token") }
            let word = pos &+ 2
            if hasPrefix(b, word, "EOF") {
                var end = word &+ 3
                if end < n && b[end] == LF { end &+= 1 }
                guard end == n else { throw .at(end, in: b, "unexpected data after # EOF") }
                pos = n
                return nil
            }
            for (keyword, entry) in [("HELP ", ExpositionEntry.help), ("TYPE ", .type), ("UNIT ", .unit)]
            where hasPrefix(b, word, keyword) {
                pos = word &+ 5
                return try openMetricsMetadata(b, entry)
            }
            throw unexpected(b, word, "expected a valid start token")
        }
        if c == UInt8(ascii: "{") || isMetricNameStart(c) { return try openMetricsSeries(b) }
        throw unexpected(b, pos, "expected a valid start token")
    }

    private func hasPrefix(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ word: String) -> Bool {
        let w = word.utf8
        guard i &+ w.count <= b.count else { return false }
        return b[i..<(i &+ w.count)].elementsEqual(w)
    }

    private mutating func openMetricsMetadata(_ b: UnsafeBufferPointer<UInt8>, _ entry: ExpositionEntry)
        throws(ExpositionError) -> ExpositionEntry
    {
        let what = entry == .help ? "HELP" : entry == .type ? "TYPE" : "UNIT"
        if pos < b.count && b[pos] == UInt8(ascii: "\"") {
            guard let end = scanQuoted(b, pos, allowLF: true) else {
                throw unexpected(b, pos, "expected metric name after \(what)")
            }
            metaStart = pos &+ 1
            metaEnd = end &- 1
            pos = end
        } else if pos < b.count && isMetricNameStart(b[pos]) {
            metaStart = pos
            while pos < b.count && isMetricNameChar(b[pos]) { pos &+= 1 }
            metaEnd = pos
        } else {
            throw unexpected(b, pos, "expected metric name after \(what)")
        }
        // `<sMeta2>{S}{C}*\n`: one space, the text, a LF that must be there.
        let eol = endOfLine(b, pos)
        guard pos < b.count, b[pos] == 0x20, eol < b.count else {
            throw .at(pos, in: b, "expected text in \(what)")
        }
        textStart = pos &+ 1
        textEnd = eol
        pos = eol &+ 1
        let text = UnsafeBufferPointer(rebasing: b[textStart..<textEnd])
        switch entry {
        case .help:
            guard isValidUTF8(b, textStart..<textEnd) else {
                throw .at(textStart, in: b, "help text \(goQuote(text)) is not a valid utf8 string")
            }
        case .type:
            guard let type = MetricType(rawValue: String(decoding: text, as: UTF8.self)), type != .untyped else {
                throw .at(textStart, in: b, "invalid metric type \(goQuote(text))")
            }
            metaType = type
            currentType = type
        default:
            // The unit must be a `_`-separated suffix of the metric name.
            let nameLen = metaEnd - metaStart
            if text.count > 0 {
                let ok =
                    nameLen >= text.count &+ 1
                    && b[(metaEnd &- text.count)..<metaEnd].elementsEqual(text)
                    && b[metaEnd &- text.count &- 1] == UInt8(ascii: "_")
                if !ok {
                    let name = goQuote(UnsafeBufferPointer(rebasing: b[metaStart..<metaEnd]))
                    throw .at(textStart, in: b, "unit \(goQuote(text)) not a suffix of metric \(name)")
                }
            }
        }
        return entry
    }

    private mutating func openMetricsSeries(_ b: UnsafeBufferPointer<UInt8>) throws(ExpositionError) -> ExpositionEntry
    {
        let n = b.count
        beginSeries()
        seriesStart = pos
        if b[pos] != UInt8(ascii: "{") {
            nameStart = pos
            while pos < n && isMetricNameChar(b[pos]) { pos &+= 1 }
            nameEnd = pos
        }
        if pos < n && b[pos] == UInt8(ascii: "{") {
            try openMetricsLabels(b, exemplar: false)
        }
        seriesEnd = pos
        if nameStart < 0 {
            throw .at(seriesStart, in: b, "metric name not set")
        }
        // `<sValue>{S}[^ \n]+`
        guard let valueEnd = spaceToken(b, pos) else { throw unexpected(b, pos, "expected value after metric") }
        sampleValue = try parseValue(b, (pos &+ 1)..<valueEnd)
        pos = valueEnd
        guard pos < n else { throw .at(pos, in: b, "data does not end with # EOF") }
        if b[pos] == LF {
            pos &+= 1
        } else if hasPrefix(b, pos, " # {") {
            try openMetricsExemplar(b)
        } else if let tsEnd = spaceToken(b, pos) {
            let range = (pos &+ 1)..<tsEnd
            let seconds: Double
            switch parseGoFloat(b, range) {
            case .success(let v): seconds = v
            case .failure(let f): throw floatError(b, range, f)
            }
            guard seconds.isFinite else {
                let text = seconds.isNaN ? "NaN" : seconds < 0 ? "-Inf" : "+Inf"
                throw .at(range.lowerBound, in: b, "invalid timestamp \(text)")
            }
            sampleTimestampMs = secondsToMilliseconds(seconds)
            pos = tsEnd
            if pos < n && b[pos] == LF {
                pos &+= 1
            } else if hasPrefix(b, pos, " # {") {
                try openMetricsExemplar(b)
            } else {
                throw unexpected(b, pos, "expected next entry after timestamp")
            }
        } else {
            // Prometheus returns this sample and fails on the leftover bytes at its next call;
            // the scrape fails either way.
            throw unexpected(b, pos, "expected timestamp or exemplar after value")
        }
        try checkSeriesNames(b)
        return .series
    }

    /// End of a `{S}[^ \n]+` token starting at `i`, or nil.
    private func spaceToken(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int? {
        guard i &+ 1 < b.count, b[i] == 0x20, b[i &+ 1] != 0x20, b[i &+ 1] != LF else { return nil }
        var j = i &+ 1
        while j < b.count && b[j] != 0x20 && b[j] != LF { j &+= 1 }
        return j
    }

    /// The label set after `{` (sample or exemplar): no blanks, `,` between pairs, a trailing
    /// comma allowed, label values without raw LF.
    private mutating func openMetricsLabels(_ b: UnsafeBufferPointer<UInt8>, exemplar: Bool) throws(ExpositionError) {
        pos &+= 1
        while true {
            guard pos < b.count else { throw unexpected(b, pos, "expected label name") }
            let c = b[pos]
            if c == UInt8(ascii: "}") {
                pos &+= 1
                return
            }
            var (nameS, nameE, quoted) = try scanLabelName(b)
            if quoted && pos < b.count && (b[pos] == UInt8(ascii: ",") || b[pos] == UInt8(ascii: "}")) {
                if exemplar { throw unexpected(b, pos, "expected label name") }
                try setQuotedMetricName(b, nameS, nameE)
                pos &+= b[pos] == UInt8(ascii: "}") ? 0 : 1
                continue
            }
            if quoted { (nameS, nameE) = try unquotedLabelName(b, nameS, nameE) }
            guard pos < b.count && b[pos] == UInt8(ascii: "=") else { throw unexpected(b, pos, "expected equal") }
            pos &+= 1
            guard pos < b.count && b[pos] == UInt8(ascii: "\""), let end = scanQuoted(b, pos, allowLF: false) else {
                throw unexpected(b, pos, "expected label value")
            }
            if exemplar {
                guard isValidUTF8(b, pos..<end) else {
                    let text = goQuote(UnsafeBufferPointer(rebasing: b[pos..<end]))
                    throw .at(pos, in: b, "invalid UTF-8 label value: \(text)")
                }
                exemplarLabelOffsets.append(nameS)
                exemplarLabelOffsets.append(nameE)
                exemplarLabelOffsets.append(pos &+ 1)
                exemplarLabelOffsets.append(end &- 1)
            } else {
                try appendLabel(b, nameS, nameE, valueQuoted: pos..<end)
            }
            pos = end
            if pos < b.count && b[pos] == UInt8(ascii: ",") {
                pos &+= 1
            } else if !(pos < b.count && b[pos] == UInt8(ascii: "}")) {
                throw unexpected(b, pos, "expected comma or brace close")
            }
        }
    }

    /// ` # {labels} value [timestamp]` then LF. Offsets kept for `exemplar()`.
    private mutating func openMetricsExemplar(_ b: UnsafeBufferPointer<UInt8>) throws(ExpositionError) {
        pos &+= 3
        exemplarLabelOffsets.removeAll(keepingCapacity: true)
        exemplarTimestampMs = nil
        try openMetricsLabels(b, exemplar: true)
        guard let valueEnd = spaceToken(b, pos) else {
            throw unexpected(b, pos, "expected value after exemplar labels")
        }
        exemplarValue = try parseValue(b, (pos &+ 1)..<valueEnd)
        pos = valueEnd
        guard pos < b.count else { throw .at(pos, in: b, "data does not end with # EOF") }
        if b[pos] == LF {
            pos &+= 1
            exemplarPresent = true
            return
        }
        guard let tsEnd = spaceToken(b, pos) else { throw unexpected(b, pos, "expected timestamp or comment") }
        let range = (pos &+ 1)..<tsEnd
        switch parseGoFloat(b, range) {
        case .success(let ts) where !ts.isFinite:
            throw .at(range.lowerBound, in: b, "invalid exemplar timestamp \(formatGoFloatG(ts))")
        case .success(let ts): exemplarTimestampMs = secondsToMilliseconds(ts)
        case .failure(let f): throw floatError(b, range, f)
        }
        pos = tsEnd
        guard pos < b.count && b[pos] == LF else {
            throw unexpected(b, pos, "expected next entry after exemplar timestamp")
        }
        pos &+= 1
        exemplarPresent = true
    }
}
