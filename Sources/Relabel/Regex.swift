import CRE2

/// A relabel regular expression: RE2 syntax, fully anchored as Prometheus compiles it
/// (`^(?s:REGEX)$`, so `.` also matches a newline), compiled once.
///
/// Literal patterns (`prod`, `10\.0\.0\.1`) and alternations of literals (`a|b|c`, also
/// wrapped in one group) and the match-all patterns (`.*`, `(.*)`, `.+`, `(.+)`) are answered
/// without RE2. Match results are UTF-8 byte offsets, as Go's `FindStringSubmatchIndex`.
///
/// See https://github.com/prometheus/prometheus/blob/main/model/relabel/relabel.go (`NewRegexp`)
/// and https://github.com/google/re2/wiki/Syntax.
public struct Regex: Sendable, CustomStringConvertible {
    /// The pattern as written in the configuration, without the anchors.
    public let pattern: String
    let engine: Engine
    /// Capturing groups, not counting group 0 (the whole match).
    public let groupCount: Int
    /// Named groups → group index.
    public let groupNames: [String: Int]

    /// Compiles `pattern`.
    /// - Throws: `RelabelError` of kind `.invalidRegex` with the pattern, RE2's message and the
    ///   byte offset of the offending fragment when RE2 names one.
    public init(_ pattern: String) throws(RelabelError) {
        try self.init(pattern, fastPath: true)
    }

    /// `fastPath: false` always uses RE2 (tests compare both engines).
    init(_ pattern: String, fastPath: Bool) throws(RelabelError) {
        self.pattern = pattern
        if fastPath, let fast = FastPattern.parse(pattern) {
            engine = fast
            groupCount = fast.fastGroupCount
            groupNames = [:]
            return
        }
        let box = try RE2Box.compile(pattern)
        engine = .re2(box)
        groupCount = box.groupCount
        groupNames = box.names
    }

    public var description: String { pattern }

    /// Whether the whole of `text` matches.
    public func matches(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { matches(bytes: $0) }
    }

    /// Byte ranges of group 0...groupCount when the whole of `text` matches (nil for a group
    /// that did not take part), or nil when it does not match.
    public func match(_ text: String) -> [Range<Int>?]? {
        var text = text
        guard let o = text.withUTF8({ offsets($0) }) else { return nil }
        return stride(from: 0, to: o.count, by: 2).map { o[$0] < 0 ? nil : o[$0]..<o[$0 + 1] }
    }

    /// Index of the group called `name`, or nil.
    public func groupIndex(named name: String) -> Int? { groupNames[name] }

    /// Whether RE2 is bypassed for this pattern.
    var usesFastPath: Bool {
        if case .re2 = engine { return false }
        return true
    }

    /// True when this is the default relabel regex `(.*)`.
    var isDefault: Bool { pattern == "(.*)" }

    func matches(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        switch engine {
        case .literals(let alts, let set, _):
            if let set { return set.contains(Array(bytes)) }
            return alts.contains { $0.elementsEqual(bytes) }
        case .any(let nonEmpty, _):
            return !nonEmpty || !bytes.isEmpty
        case .re2(let box):
            return cre2_full_match(
                box.handle, bytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                bytes.count, nil, nil, 0) == 1
        }
    }

    /// Go's submatch index slice: `[start0, end0, start1, end1, …]`, -1 for unset groups.
    func offsets(_ bytes: UnsafeBufferPointer<UInt8>) -> [Int]? {
        switch engine {
        case .literals, .any:
            guard matches(bytes: bytes) else { return nil }
            return groupCount == 0 ? [0, bytes.count] : [0, bytes.count, 0, bytes.count]
        case .re2(let box):
            let n = box.groupCount + 1
            return withUnsafeTemporaryAllocation(of: Int64.self, capacity: 2 * n) { buf -> [Int]? in
                let starts = buf.baseAddress!
                let ends = starts + n
                let text = bytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
                guard cre2_full_match(box.handle, text, bytes.count, starts, ends, Int32(n)) == 1 else { return nil }
                var out = [Int]()
                out.reserveCapacity(2 * n)
                for i in 0..<n {
                    out.append(Int(starts[i]))
                    out.append(Int(ends[i]))
                }
                return out
            }
        }
    }
}

/// How a `Regex` is answered.
enum Engine: Sendable {
    /// The text must equal one of `alts` byte for byte (`set` when there are many).
    /// `groups` is 1 when the alternation is wrapped in a capturing group.
    case literals([[UInt8]], Set<[UInt8]>?, groups: Int)
    /// `.*` / `.+` (with `(?s)`, any text), optionally in one capturing group.
    case any(nonEmpty: Bool, groups: Int)
    case re2(RE2Box)

    var fastGroupCount: Int {
        switch self {
        case .literals(_, _, let g), .any(_, let g): return g
        case .re2(let b): return b.groupCount
        }
    }
}

/// Owns one compiled RE2 handle. RE2 objects are immutable after compilation and safe to
/// match from many threads at once, hence `@unchecked Sendable`.
// Unchecked: an immutable C++ object behind an OpaquePointer (see above).
final class RE2Box: @unchecked Sendable {
    let handle: OpaquePointer
    let groupCount: Int
    let names: [String: Int]

    init(handle: OpaquePointer) {
        self.handle = handle
        groupCount = Int(cre2_num_groups(handle))
        var names: [String: Int] = [:]
        for i in 0..<cre2_num_named_groups(handle) {
            var index: Int32 = 0
            if let cName = cre2_named_group(handle, i, &index) {
                names[String(cString: cName)] = Int(index)
            }
        }
        self.names = names
    }

    deinit { cre2_free(handle) }

    /// Compiles `^(?s:pattern)$`. On failure the error describes the user's pattern alone.
    static func compile(_ pattern: String) throws(RelabelError) -> RE2Box {
        let rewritten = rewriteNamedGroups(pattern)
        if let h = try? raw("^(?s:" + rewritten + ")$") {
            let box = RE2Box(handle: h)
            // RE2 (2022-06) accepts a repeated group name; Go's regexp, hence Prometheus, does not.
            if Int(cre2_num_group_names(h)) != box.names.count {
                throw RelabelError(
                    .invalidRegex, "invalid regex \(GoString.quote(pattern)): duplicate capture group name")
            }
            return box
        }
        do {
            // The anchored form failed: compile the bare pattern for a message about it.
            let h = try raw(rewritten)
            cre2_free(h)
        } catch {
            var msg = "invalid regex \(GoString.quote(pattern))"
            if !error.arg.isEmpty, let at = byteOffset(of: error.arg, in: pattern) {
                msg += " at byte offset \(at)"
            }
            throw RelabelError(.invalidRegex, msg + ": " + error.message)
        }
        // Only the anchored form fails (should not happen): report RE2's own words.
        do {
            _ = try raw("^(?s:" + rewritten + ")$")
        } catch {
            throw RelabelError(.invalidRegex, "invalid regex \(GoString.quote(pattern)): " + error.message)
        }
        throw RelabelError(.invalidRegex, "invalid regex \(GoString.quote(pattern))")
    }

    struct CompileError: Error { var message: String; var arg: String; var code: Int32 = 0 }

    static func raw(_ pattern: String) throws(CompileError) -> OpaquePointer {
        var p = pattern
        var err = [CChar](repeating: 0, count: 512)
        var arg = [CChar](repeating: 0, count: 512)
        var code: Int32 = 0
        let h = p.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                cre2_compile_ex(chars.baseAddress, chars.count, &err, err.count, &code, &arg, arg.count)
            }
        }
        guard let h else {
            func str(_ a: [CChar]) -> String {
                String(decoding: a.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            throw CompileError(message: str(err), arg: str(arg), code: code)
        }
        return h
    }

    private static func byteOffset(of fragment: String, in pattern: String) -> Int? {
        let hay = Array(pattern.utf8), needle = Array(fragment.utf8)
        guard !needle.isEmpty, needle.count <= hay.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i..<(i + needle.count)].elementsEqual(needle) {
            return i
        }
        return nil
    }

    /// Go (1.22+) accepts `(?<name>re)` as well as `(?P<name>re)`; Debian's RE2 (2022-06)
    /// knows only the latter, so rewrite the former outside escapes and character classes.
    static func rewriteNamedGroups(_ pattern: String) -> String {
        guard pattern.utf8.contains(UInt8(ascii: "<")) else { return pattern }
        let b = Array(pattern.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(b.count + 4)
        var i = 0, inClass = false
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\\"), i + 1 < b.count {
                out.append(c); out.append(b[i + 1]); i += 2; continue
            }
            if inClass {
                if c == UInt8(ascii: "]") { inClass = false }
            } else if c == UInt8(ascii: "[") {
                inClass = true
                out.append(c); i += 1
                // A `]` right after `[` or `[^` is a literal member.
                if i < b.count, b[i] == UInt8(ascii: "^") { out.append(b[i]); i += 1 }
                if i < b.count, b[i] == UInt8(ascii: "]") { out.append(b[i]); i += 1 }
                continue
            } else if c == UInt8(ascii: "("), i + 3 < b.count, b[i + 1] == UInt8(ascii: "?"),
                b[i + 2] == UInt8(ascii: "<"), b[i + 3] != UInt8(ascii: "="), b[i + 3] != UInt8(ascii: "!")
            {
                out += Array("(?P<".utf8); i += 3; continue
            }
            out.append(c); i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
