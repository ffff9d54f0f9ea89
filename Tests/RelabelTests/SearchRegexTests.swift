import Testing

@testable import Relabel

/// Go `regexp` semantics for templates: unanchored, ReplaceAllString with Expand.
@Suite struct SearchRegexTests {
    @Test(arguments: [
        ("a(x*)b", "-ab-axxb-", "$1W", "---"),  // `$1W` is the group named `1W`: empty
        ("a(x*)b", "-ab-axxb-", "${1}W", "-W-xxW-"),
        ("a(?P<n>x*)b", "-ab-axxb-", "<${n}>", "-<>-<xx>-"),
        ("a(?<n>x*)b", "axb", "$n$n", "xx"),
        ("x*", "abc", "-", "-a-b-c-"),
        ("", "hé", "-", "-h-é-"),
        ("(.*):.*", "node1:9100", "$1", "node1"),
        ("^", "a\nb", "> ", "> a\nb"),
        ("b", "abcb", "$$", "a$c$"),
        ("z", "abc", "y", "abc"),
    ])
    func replaceAll(_ pattern: String, _ text: String, _ replacement: String, _ want: String) throws {
        #expect(try SearchRegex(pattern).replaceAll(in: text, with: replacement) == want)
    }

    @Test func containsMatchIsUnanchoredAndDotStopsAtNewline() throws {
        #expect(try SearchRegex("b").containsMatch("abc"))
        #expect(try !SearchRegex("^b").containsMatch("abc"))
        #expect(try !SearchRegex("a.c").containsMatch("a\nc"))
        #expect(try SearchRegex("(?s)a.c").containsMatch("a\nc"))
    }

    @Test func invalidPatternUsesGoWording() {
        #expect(throws: RelabelError(.invalidRegex, "error parsing regexp: missing closing ): `(`")) {
            try SearchRegex("(")
        }
        #expect(throws: RelabelError(.invalidRegex, "error parsing regexp: missing closing ]: `[a`")) {
            try SearchRegex("[a")
        }
    }
}
