import Testing

@testable import Relabel

/// Patterns the fast path must take, and inputs on which it must agree with RE2.
let fastPatterns = [
    "", "prod", "a|b|c", "a|", "|a", "(prod|dev)", "(?:prod|dev)", #"10\.0\.0\.1:9100"#, #"a\|b"#,
    ".*", "(.*)", ".+", "(.+)", "(?:.*)", "é|ü", "a|b|c|d|e|f|g|h|i|j|k|l",
]
let slowPatterns = [
    "a.b", "a*", "(a)|(b)", "(?i)prod", #"\d+"#, "[ab]", "a{2}", "^a$", #"\_"#, #"a\b"#, "(?s:.)",
    "(?P<x>a)",
]
let subjects = [
    "", "a", "b", "c", "prod", "dev", "PROD", "prod\n", "10.0.0.1:9100", "10x0.0.1:9100", "a|b", "é", "ü", "l", "m",
    "line1\nline2", "aa", "ab",
]

@Test(arguments: fastPatterns)
func fastPathTaken(_ p: String) throws {
    #expect(try Regex(p).usesFastPath)
}

@Test(arguments: slowPatterns)
func re2PathTaken(_ p: String) throws {
    #expect(!(try Regex(p).usesFastPath))
}

@Test(arguments: fastPatterns)
func fastPathAgreesWithRE2(_ p: String) throws {
    let fast = try Regex(p), slow = try Regex(p, fastPath: false)
    #expect(fast.groupCount == slow.groupCount)
    for s in subjects {
        #expect(fast.matches(s) == slow.matches(s), "\(p) on \(s.debugDescription)")
        #expect(fast.match(s) == slow.match(s), "\(p) on \(s.debugDescription)")
    }
}

/// Anchoring and `(?s)` as Prometheus compiles them (`^(?s:REGEX)$`).
@Test(arguments: [
    ("foo", "foo", true), ("foo", "xfoo", false), ("foo", "foox", false), ("f|o", "foo", false),
    ("a.b", "a\nb", true), ("a.*", "a\n\n", true), ("(?-s:a.b)", "a\nb", false), ("(?i)ab", "AB", true),
    (".*(b).*", "abc", true), ("a)|(b", "b", true),  // Prometheus pastes the pattern in, so this compiles
])
func anchoring(pattern: String, subject: String, matches: Bool) throws {
    #expect(try Regex(pattern).matches(subject) == matches)
}

@Test func captureOffsetsAreUTF8Bytes() throws {
    let re = try Regex("(é)(x)?(ü+)")
    #expect(re.match("éüü") == [0..<6, 0..<2, nil, 2..<6])
    #expect(re.match("") == nil)
    #expect(try Regex("()").match("") == [0..<0, 0..<0])
}

@Test func namedGroups() throws {
    let re = try Regex("(?P<a>x)(y)(?<b>z)")
    #expect(re.groupCount == 3)
    #expect(re.groupNames == ["a": 1, "b": 3])
    #expect(re.groupIndex(named: "b") == 3)
    #expect(re.groupIndex(named: "c") == nil)
}

@Test func namedGroupRewriteLeavesClassesAndEscapesAlone() {
    #expect(RE2Box.rewriteNamedGroups("(?<n>a)") == "(?P<n>a)")
    #expect(RE2Box.rewriteNamedGroups(#"\(?<n>a"#) == #"\(?<n>a"#)
    #expect(RE2Box.rewriteNamedGroups("[(?<n>]") == "[(?<n>]")
    #expect(RE2Box.rewriteNamedGroups("[](?<n>]") == "[](?<n>]")
    #expect(RE2Box.rewriteNamedGroups("(?<=a)") == "(?<=a)")
}

/// The type is usable from code that also sees Swift's own `Regex`.
@Test func regexTypeResolvesToRelabels() throws {
    let re: Relabel.Regex = try Relabel.Regex("a|b")
    #expect(re.description == "a|b")
}
