import CRE2

/// A regular expression with Go `regexp.Compile` semantics: RE2 syntax, unanchored (a match
/// may start and end anywhere), `.` not matching a newline. Prometheus's template functions
/// `match` and `reReplaceAll` use it; relabeling uses the anchored `Regex`.
///
/// See https://pkg.go.dev/regexp#Regexp.ReplaceAllString.
public struct SearchRegex: Sendable, CustomStringConvertible {
    /// The pattern as written.
    public let pattern: String
    /// The unanchored program; its `Regex` wrapper lends `Template` the group names.
    private let regex: Regex
    private let box: RE2Box

    /// Compiles `pattern`.
    /// - Throws: `RelabelError` of kind `.invalidRegex` whose message is Go's:
    ///   ``error parsing regexp: missing closing ): `(` ``.
    public init(_ pattern: String) throws(RelabelError) {
        self.pattern = pattern
        let handle: OpaquePointer
        do {
            handle = try RE2Box.raw(RE2Box.rewriteNamedGroups(pattern))
        } catch {
            throw RelabelError(.invalidRegex, "error parsing regexp: " + SearchRegex.goMessage(error))
        }
        let box = RE2Box(handle: handle)
        if Int(cre2_num_group_names(handle)) != box.names.count {
            throw RelabelError(.invalidRegex, "error parsing regexp: duplicate capture group name")
        }
        self.box = box
        regex = Regex(pattern: pattern, box: box)
    }

    public var description: String { pattern }

    /// Whether `text` contains a match (Go's `MatchString`).
    public func containsMatch(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { search($0, from: 0, groups: 0) != nil }
    }

    /// Go's `ReplaceAllString`: every non-overlapping match is replaced by `replacement`
    /// expanded with `$1`, `${1}`, `$name`, `${name}` and `$$` (`regexp.Expand`); an empty
    /// match right after a previous match is not replaced.
    public func replaceAll(in text: String, with replacement: String) -> String {
        let template = Template(replacement, regex: regex)
        var text = text
        return text.withUTF8 { bytes -> String in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var lastMatchEnd = 0
            var searchPos = 0
            while searchPos <= bytes.count {
                guard let m = search(bytes, from: searchPos, groups: box.groupCount + 1) else { break }
                out += bytes[lastMatchEnd..<m[0]]
                if m[1] > lastMatchEnd || m[0] == 0 {
                    out += template.expand(bytes, m).utf8
                }
                lastMatchEnd = m[1]
                // Advance past the match, at least one character (one UTF-8 sequence).
                let width = searchPos < bytes.count ? SearchRegex.utf8Width(bytes, at: searchPos) : 0
                if searchPos + width > m[1] {
                    searchPos += width
                } else if searchPos + 1 > m[1] {
                    searchPos += 1
                } else {
                    searchPos = m[1]
                }
            }
            out += bytes[lastMatchEnd...]
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Go-style submatch offsets of the leftmost-first match at or after `start`, or nil.
    private func search(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, groups: Int) -> [Int]? {
        let text = bytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
        if groups == 0 {
            return cre2_search(box.handle, text, bytes.count, start, nil, nil, 0) == 1 ? [] : nil
        }
        return withUnsafeTemporaryAllocation(of: Int64.self, capacity: 2 * groups) { buf -> [Int]? in
            let starts = buf.baseAddress!
            let ends = starts + groups
            guard cre2_search(box.handle, text, bytes.count, start, starts, ends, Int32(groups)) == 1 else {
                return nil
            }
            var out = [Int]()
            out.reserveCapacity(2 * groups)
            for i in 0..<groups {
                out.append(Int(starts[i]))
                out.append(Int(ends[i]))
            }
            return out
        }
    }

    private static func utf8Width(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        let c = b[i]
        let n = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4
        return min(n, b.count - i)
    }

    /// Go's `regexp/syntax` wording for an RE2 error code, followed by the offending text.
    private static func goMessage(_ error: RE2Box.CompileError) -> String {
        let text: String
        switch error.code {
        case 2: text = "invalid escape sequence"
        case 3: text = "invalid character class"
        case 4: text = "invalid character class range"
        case 5: text = "missing closing ]"
        case 6: text = error.arg == ")" ? "unexpected )" : "missing closing )"
        case 7: text = "trailing backslash at end of expression"
        case 8: text = "missing argument to repetition operator"
        case 9: text = "invalid repeat count"
        case 10: text = "invalid nested repetition operator"
        case 11: text = "invalid or unsupported Perl syntax"
        case 12: text = "invalid UTF-8"
        case 13: text = "invalid named capture"
        default: return error.message
        }
        return text + ": `" + error.arg + "`"
    }
}

extension Regex {
    /// A `Regex` over an already compiled program (no fast path), for `SearchRegex`.
    init(pattern: String, box: RE2Box) {
        self.pattern = pattern
        engine = .re2(box)
        groupCount = box.groupCount
        groupNames = box.names
    }
}
