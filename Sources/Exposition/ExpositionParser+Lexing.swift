/// Byte classes and small scanners shared by both formats (the lexer rules of `promlex.l` and
/// `openmetricslex.l`).

let LF: UInt8 = 0x0A

@inline(__always) func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
@inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
@inline(__always) func isLetterOrUnderscore(_ c: UInt8) -> Bool {
    (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || c == 0x5F
}
/// `[a-zA-Z_:]`
@inline(__always) func isMetricNameStart(_ c: UInt8) -> Bool { isLetterOrUnderscore(c) || c == 0x3A }
/// `[a-zA-Z_:0-9]`
@inline(__always) func isMetricNameChar(_ c: UInt8) -> Bool { isMetricNameStart(c) || isDigit(c) }
/// `[a-zA-Z_0-9]`
@inline(__always) func isLabelNameChar(_ c: UInt8) -> Bool { isLetterOrUnderscore(c) || isDigit(c) }

extension ExpositionParser {
    @inline(__always) mutating func skipBlanks(_ b: UnsafeBufferPointer<UInt8>) {
        while pos < b.count && isBlank(b[pos]) { pos &+= 1 }
    }

    /// Lexes a label name at `pos` (both formats): a legacy name, or a quoted UTF-8 name
    /// (Prometheus 3). Returns its range (quotes included when quoted) and moves `pos` past it.
    /// - Throws: "expected label name" when neither starts at `pos`.
    @inline(__always)
    mutating func scanLabelName(_ b: UnsafeBufferPointer<UInt8>) throws(ExpositionError) -> (Int, Int, Bool) {
        let start = pos
        let c = b[pos]
        if isLetterOrUnderscore(c) {
            while pos < b.count && isLabelNameChar(b[pos]) { pos &+= 1 }
            return (start, pos, false)
        }
        if c == UInt8(ascii: "\""), let end = scanQuoted(b, pos, allowLF: true) {
            pos = end
            return (start, end, true)
        }
        throw unexpected(b, pos, "expected label name")
    }

    /// The range of a quoted label name without its quotes, checked as a UTF-8 name.
    @inline(__always)
    func unquotedLabelName(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) throws(ExpositionError) -> (Int, Int) {
        try checkQuotedName(b, (s &+ 1)..<(e &- 1))
        return (s &+ 1, e &- 1)
    }

    /// Index just past the closing quote of the quoted string opening at `i`
    /// (`"(\\.|[^\\"])*"`; `.` excludes LF), or nil when it does not close. Raw LF inside the
    /// string is allowed only when `allowLF` (text 0.0.4 label values).
    func scanQuoted(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, allowLF: Bool) -> Int? {
        var j = i &+ 1
        while j < b.count {
            let c = b[j]
            if c == UInt8(ascii: "\"") { return j &+ 1 }
            if c == UInt8(ascii: "\\") {
                guard j &+ 1 < b.count, b[j &+ 1] != LF else { return nil }
                j &+= 2
                continue
            }
            if c == LF && !allowLF { return nil }
            j &+= 1
        }
        return nil
    }

    /// Index of the LF ending the line at or after `i`, or `b.count`.
    func endOfLine(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        var j = i
        while j < b.count && b[j] != LF { j &+= 1 }
        return j
    }

    /// Whether the ASCII `word` is at `i`.
    func hasPrefix(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard i >= 0, i &+ n <= b.count else { return false }
        return word.withUTF8Buffer { w in
            for k in 0..<n where b[i &+ k] != w[k] { return false }
            return true
        }
    }

    /// The bytes of the token at `i` for an error message: a quoted string, a name or number,
    /// or one character (`"\n"` at the end of a text 0.0.4 line or body).
    func tokenBytes(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> ArraySlice<UInt8> {
        guard i < b.count else { return format == .prometheusText ? [LF] : [] }
        let c = b[i]
        var j = i &+ 1
        if c == UInt8(ascii: "\"") {
            j = scanQuoted(b, i, allowLF: false) ?? endOfLine(b, i)
        } else if isMetricNameChar(c) {
            while j < b.count && isMetricNameChar(b[j]) { j &+= 1 }
        } else if c >= 0x80 {
            j = i &+ max(1, utf8SequenceLength(b, at: i))
        }
        return ArraySlice(b[i..<min(j, b.count)])
    }

    /// An error at byte `offset`: `message` followed by `, got "<token at offset>"`.
    func unexpected(_ b: UnsafeBufferPointer<UInt8>, _ offset: Int, _ message: String) -> ExpositionError {
        .at(offset, in: b, message + ", got " + goQuote(tokenBytes(b, offset)))
    }

    /// Resets the per-series state before a sample line.
    mutating func beginSeries() {
        nameStart = -1
        nameEnd = -1
        labelOffsets.removeAll(keepingCapacity: true)
        sampleTimestampMs = nil
        exemplarPresent = false
    }

    /// Checks what Prometheus checks after parsing a sample line (`scrape.go`): a non-empty
    /// metric name and unique label names (`__name__` included).
    func checkSeriesNames(_ b: UnsafeBufferPointer<UInt8>) throws(ExpositionError) {
        if nameEnd <= nameStart {
            throw .at(seriesStart, in: b, "metric name is empty")
        }
        // Up to 16 labels every pair is compared; above, the names are sorted once.
        let firstDuplicate = labelOffsets.count > 4 * 16 ? firstDuplicateBySorting(b) : nil
        var k = 0
        while k + 1 < labelOffsets.count {
            let (s1, e1) = (labelOffsets[k], labelOffsets[k + 1])
            let duplicated = firstDuplicate.map { k == $0 } ?? hasDuplicate(b, s1..<e1, after: k &+ 4)
            if hasSameBytes(b, s1..<e1, "__name__") || duplicated {
                let name = goQuote(UnsafeBufferPointer(rebasing: b[s1..<e1]))
                throw .at(s1, in: b, "label name \(name) is not unique")
            }
            k &+= 4
        }
    }

    /// The offset in `labelOffsets` of the first label whose name is written again later
    /// (what the pairwise check finds first), or `Int.max`: O(n log n) for a line with many
    /// labels, where comparing every pair cost minutes at 100,000 names.
    private func firstDuplicateBySorting(_ b: UnsafeBufferPointer<UInt8>) -> Int {
        let ks = stride(from: 0, to: labelOffsets.count - 1, by: 4).sorted { x, y in
            let (rx, ry) = (labelOffsets[x]..<labelOffsets[x + 1], labelOffsets[y]..<labelOffsets[y + 1])
            if b[rx].elementsEqual(b[ry]) { return x < y }
            return b[rx].lexicographicallyPrecedes(b[ry])
        }
        var first = Int.max
        var i = 0
        while i + 1 < ks.count {
            let (x, y) = (ks[i], ks[i + 1])
            // Sorted by name, then by position: the first of a run of equal names is its
            // earliest occurrence.
            if b[labelOffsets[x]..<labelOffsets[x + 1]].elementsEqual(b[labelOffsets[y]..<labelOffsets[y + 1]]) {
                first = min(first, x)
            }
            i += 1
        }
        return first
    }

    private func hasDuplicate(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, after k0: Int) -> Bool {
        var k = k0
        while k + 1 < labelOffsets.count {
            let r2 = labelOffsets[k]..<labelOffsets[k + 1]
            if r2.count == r.count && b[r2].elementsEqual(b[r]) { return true }
            k &+= 4
        }
        return false
    }

    private func hasSameBytes(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ word: StaticString) -> Bool {
        r.count == word.utf8CodeUnitCount && hasPrefix(b, r.lowerBound, word)
    }

    /// Parses the value token `b[range]`, mapping failures to Go's messages.
    func parseValue(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(ExpositionError) -> Double {
        switch parseGoFloat(b, range) {
        case .success(let v): return v.isNaN ? normalNaN : v
        case .failure(let f): throw floatError(b, range, f)
        }
    }

    func floatError(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ f: FloatParseError) -> ExpositionError {
        let token = goQuote(UnsafeBufferPointer(rebasing: b[range]))
        switch f {
        case .unsupportedCharacter: return .at(range.lowerBound, in: b, "unsupported character in float: \(token)")
        case .invalidSyntax: return .at(range.lowerBound, in: b, "strconv.ParseFloat: parsing \(token): invalid syntax")
        case .outOfRange:
            return .at(range.lowerBound, in: b, "strconv.ParseFloat: parsing \(token): value out of range")
        }
    }
}
