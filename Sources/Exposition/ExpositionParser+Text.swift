import PromModel

/// Text format 0.0.4, as Prometheus 3's `PromParser` (`promlex.l`, `promparse.go`).
///
/// Prometheus appends a LF to the body before lexing; here the end of the body counts as the
/// end of a line instead, so an unterminated last line is fine without copying the body.
extension ExpositionParser {
    mutating func nextText(_ b: UnsafeBufferPointer<UInt8>) throws(ExpositionError) -> ExpositionEntry? {
        let n = b.count
        while true {
            skipBlanks(b)  // `<*>[ \t]+` applies at the start of a line too
            guard pos < n else { return nil }
            let c = b[pos]
            if c == LF {  // blank line
                pos &+= 1
                continue
            }
            if c == 0 {  // promlex's `\0` rule: end of input
                pos = n
                return nil
            }
            if c == UInt8(ascii: "#") { return try textCommentOrMetadata(b) }
            if c == UInt8(ascii: "{") || isMetricNameStart(c) { return try textSeries(b) }
            throw unexpected(b, pos, "expected a valid start token")
        }
    }

    /// `#[ \t]+HELP[ \t]+…`, `#[ \t]+TYPE[ \t]+…`, or any other comment.
    private mutating func textCommentOrMetadata(_ b: UnsafeBufferPointer<UInt8>) throws(ExpositionError)
        -> ExpositionEntry
    {
        pos &+= 1
        if pos < b.count && isBlank(b[pos]) {
            skipBlanks(b)
            let isHelp = hasPrefix(b, pos, "HELP")
            if (isHelp || hasPrefix(b, pos, "TYPE")) && pos &+ 4 < b.count && isBlank(b[pos &+ 4]) {
                pos &+= 4
                skipBlanks(b)
                return try textMetadata(b, isHelp: isHelp)
            }
        }
        pos = endOfLine(b, pos)
        if pos < b.count { pos &+= 1 }
        return .comment
    }

    private mutating func textMetadata(_ b: UnsafeBufferPointer<UInt8>, isHelp: Bool) throws(ExpositionError)
        -> ExpositionEntry
    {
        let what = isHelp ? "HELP" : "TYPE"
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
        // `<sMeta2>{C}*`: the rest of the line; the parser drops its first byte (the separator).
        // A rest made only of blanks lexes as whitespace, leaving an empty text.
        let eol = endOfLine(b, pos)
        var allBlank = true
        for i in pos..<eol where !isBlank(b[i]) {
            allBlank = false
            break
        }
        textStart = allBlank ? eol : pos &+ 1
        textEnd = eol
        pos = eol < b.count ? eol &+ 1 : eol
        if isHelp {
            guard isValidUTF8(b, textStart..<textEnd) else {
                let text = goQuote(UnsafeBufferPointer(rebasing: b[textStart..<textEnd]))
                throw .at(textStart, in: b, "help text \(text) is not a valid utf8 string")
            }
            return .help
        }
        let type: MetricType
        let word = UnsafeBufferPointer(rebasing: b[textStart..<textEnd])
        switch String(decoding: word, as: UTF8.self) {
        case "counter": type = .counter
        case "gauge": type = .gauge
        case "histogram": type = .histogram
        case "summary": type = .summary
        case "untyped": type = .unknown
        default: throw .at(textStart, in: b, "invalid metric type \(goQuote(word))")
        }
        metaType = type
        currentType = type
        return .type
    }

    /// `name[{labels}] value [timestamp]` or `{labels} value [timestamp]`.
    private mutating func textSeries(_ b: UnsafeBufferPointer<UInt8>) throws(ExpositionError) -> ExpositionEntry {
        beginSeries()
        seriesStart = pos
        if b[pos] != UInt8(ascii: "{") {
            nameStart = pos
            while pos < b.count && isMetricNameChar(b[pos]) { pos &+= 1 }
            nameEnd = pos
            seriesEnd = pos
            skipBlanks(b)
        }
        if pos < b.count && b[pos] == UInt8(ascii: "{") {
            try textLabels(b)
            seriesEnd = pos
            skipBlanks(b)
        }
        if nameStart < 0 {
            throw .at(seriesStart, in: b, "metric name not set")
        }
        // `<sValue>[^{ \t\n]+`
        let valueStart = pos
        while pos < b.count, case let c = b[pos], c != LF, !isBlank(c), c != UInt8(ascii: "{") { pos &+= 1 }
        if pos == valueStart { throw unexpected(b, pos, "expected value after metric") }
        sampleValue = try parseValue(b, valueStart..<pos)
        skipBlanks(b)
        if pos < b.count && isDigit(b[pos]) {  // `<sTimestamp>{D}+`
            let tsStart = pos
            while pos < b.count && isDigit(b[pos]) { pos &+= 1 }
            guard let ts = parseDigitsInt64(b, tsStart..<pos) else {
                let token = goQuote(UnsafeBufferPointer(rebasing: b[tsStart..<pos]))
                throw .at(tsStart, in: b, "strconv.ParseInt: parsing \(token): value out of range")
            }
            sampleTimestampMs = ts
            skipBlanks(b)
            if pos < b.count && b[pos] != LF { throw unexpected(b, pos, "expected next entry after timestamp") }
        } else if pos < b.count && b[pos] != LF {
            throw unexpected(b, pos, "expected timestamp or new record")
        }
        if pos < b.count { pos &+= 1 }
        try checkSeriesNames(b)
        return .series
    }

    /// The label set after `{`, as `PromParser.parseLVals`: blanks allowed between tokens,
    /// commas optional between pairs, a trailing comma allowed, a quoted string followed by `,`
    /// or `}` is the metric name (Prometheus 3 UTF-8 names).
    private mutating func textLabels(_ b: UnsafeBufferPointer<UInt8>) throws(ExpositionError) {
        pos &+= 1
        skipBlanks(b)
        while true {
            guard pos < b.count else { throw unexpected(b, pos, "expected label name") }
            let c = b[pos]
            if c == UInt8(ascii: "}") {
                pos &+= 1
                return
            }
            var (nameS, nameE, quoted) = try scanLabelName(b)
            skipBlanks(b)
            if quoted && pos < b.count && (b[pos] == UInt8(ascii: ",") || b[pos] == UInt8(ascii: "}")) {
                try setQuotedMetricName(b, nameS, nameE)
                if b[pos] == UInt8(ascii: "}") {
                    pos &+= 1
                    return
                }
                pos &+= 1
                skipBlanks(b)
                continue
            }
            if quoted { (nameS, nameE) = try unquotedLabelName(b, nameS, nameE) }
            guard pos < b.count && b[pos] == UInt8(ascii: "=") else { throw unexpected(b, pos, "expected equal") }
            pos &+= 1
            skipBlanks(b)
            guard pos < b.count && b[pos] == UInt8(ascii: "\""), let end = scanQuoted(b, pos, allowLF: true) else {
                throw unexpected(b, pos, "expected label value")
            }
            try appendLabel(b, nameS, nameE, valueQuoted: pos..<end)
            pos = end
            skipBlanks(b)
            if pos < b.count && b[pos] == UInt8(ascii: ",") {
                pos &+= 1
                skipBlanks(b)
            }
        }
    }

    /// Records the quoted metric name `b[quoted]` (quotes included in the range).
    mutating func setQuotedMetricName(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) throws(ExpositionError) {
        if nameStart >= 0 {
            throw .at(s, in: b, "metric name already set")
        }
        try checkQuotedName(b, (s &+ 1)..<(e &- 1))
        nameStart = s &+ 1
        nameEnd = e &- 1
    }

    func checkQuotedName(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) throws(ExpositionError) {
        guard isValidUTF8(b, r) else {
            throw .at(r.lowerBound, in: b, "invalid UTF-8 name: \(goQuote(UnsafeBufferPointer(rebasing: b[r])))")
        }
    }

    /// Validates the quoted label value `b[valueQuoted]` and records the label's offsets.
    mutating func appendLabel(_ b: UnsafeBufferPointer<UInt8>, _ nameS: Int, _ nameE: Int, valueQuoted: Range<Int>)
        throws(ExpositionError)
    {
        guard isValidUTF8(b, valueQuoted) else {
            let text = goQuote(UnsafeBufferPointer(rebasing: b[valueQuoted]))
            throw .at(valueQuoted.lowerBound, in: b, "invalid UTF-8 label value: \(text)")
        }
        labelOffsets.append(nameS)
        labelOffsets.append(nameE)
        labelOffsets.append(valueQuoted.lowerBound &+ 1)
        labelOffsets.append(valueQuoted.upperBound &- 1)
    }
}
