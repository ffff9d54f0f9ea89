import Testing

@testable import Relabel

/// Go `regexp.Expand` corner cases. Regex `(?P<name>a)(b)?(c)(?P<é>d)?` against "acd":
/// group 1 = name = "a", group 2 unset, group 3 = "c", group 4 = é = "d".
let expandCases: [(template: String, expected: String)] = [
    ("$1", "a"),
    ("${1}", "a"),
    ("$name", "a"),
    ("${name}", "a"),
    ("$0", "acd"),
    ("$3", "c"),
    ("$é", "d"),  // Unicode letters make names, as in Go
    ("$1x", ""),  // the group named "1x": absent
    ("${1}x", "ax"),
    ("$name_x", ""),  // the group named "name_x"
    ("${name}_x", "a_x"),
    ("$2", ""),  // group did not take part
    ("$9", ""),  // no such group
    ("$99999999", ""),
    ("$100000000", ""),  // not a number in Go (≥ 1e8): a name, absent
    ("$01", ""),  // leading zero: a name, absent
    ("$$", "$"),
    ("$$1", "$1"),
    ("$$$1", "$a"),
    ("$", "$"),
    ("x$", "x$"),
    ("${1", "${1"),
    ("${}", "${}"),
    ("$-1", "$-1"),
    ("$ 1", "$ 1"),
    ("${1}}", "a}"),
    ("{$1}", "{a}"),
    ("no vars", "no vars"),
    ("é$1é", "é"),  // "1é" is one name, as "1x"
    ("é${1}é", "éaé"),
    ("", ""),
]

@Test(arguments: expandCases.indices)
func goExpand(_ i: Int) throws {
    let (template, expected) = expandCases[i]
    for fast in [true, false] {
        let re = try Regex("(?P<name>a)(b)?(c)(?P<é>d)?", fastPath: fast)
        var subject = "acd"
        let got = subject.withUTF8 { bytes in
            Template(template, regex: re).expand(bytes, re.offsets(bytes)!)
        }
        #expect(got == expected, "template \(template)")
    }
}

/// Expansion against fast-path regexes: group 0 is the whole value; `(…)` adds group 1.
@Test(arguments: [
    ("prod", "$0-$1", "prod-"),
    ("(prod|dev)", "$0-$1", "prod-prod"),
    ("(.*)", "$0-$1", "prod-prod"),
    (".*", "[$1]", "[]"),
])
func expandFastPath(pattern: String, template: String, expected: String) throws {
    let re = try Regex(pattern)
    #expect(re.usesFastPath)
    var subject = "prod"
    let got = subject.withUTF8 { Template(template, regex: re).expand($0, re.offsets($0)!) }
    #expect(got == expected)
}
