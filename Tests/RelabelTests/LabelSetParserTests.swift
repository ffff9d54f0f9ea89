import PromModel
import Testing

@testable import Relabel

@Test(arguments: [
    (#"__address__="10.0.0.1:9100",env="prod""#, [("__address__", "10.0.0.1:9100"), ("env", "prod")]),
    (#"{__address__="10.0.0.1:9100", env="prod"}"#, [("__address__", "10.0.0.1:9100"), ("env", "prod")]),
    ("a=\"1\"\nb=\"2\"\n", [("a", "1"), ("b", "2")]),
    ("  a = \"1\" ,\n b=\"2\",", [("a", "1"), ("b", "2")]),
    (#"b="2",a="1""#, [("a", "1"), ("b", "2")]),
    (#"a="x\"y\\z\nw""#, [("a", "x\"y\\z\nw")]),
    (#"a="{},= ""#, [("a", "{},= ")]),
    (#"a="",b="1""#, [("b", "1")]),  // empty value = absent
    ("", []),
    ("{}", []),
    (#"a="é""#, [("a", "é")]),
])
func parseLabelSetAccepts(text: String, expected: [(String, String)]) throws {
    #expect(try parseLabelSet(text) == Labels(expected.map { Label($0.0, $0.1) }))
}

@Test(arguments: [
    (#"1a="x""#, "invalid label set at byte offset 0: expected a label name"),
    (#"a-b="x""#, #"invalid label set at byte offset 1: expected '=' after label name "a""#),
    (#"a=x"#, #"invalid label set at byte offset 2: expected '"' to open the value of "a""#),
    (#"a="x"#, #"invalid label set at byte offset 4: unterminated value of "a""#),
    (#"a="x\t""#, #"invalid label set at byte offset 4: unknown escape in the value of "a""#),
    (#"a="1",a="2""#, #"invalid label set at byte offset 11: duplicate label name "a""#),
    (#"a="1" b="2""#, #"invalid label set at byte offset 6: expected ',' or a new line after the value of "a""#),
    (#"{a="1""#, "invalid label set at byte offset 6: expected '}'"),
    (#"{a="1"} x"#, "invalid label set at byte offset 8: unexpected text after the label set"),
])
func parseLabelSetRejects(text: String, message: String) {
    #expect(throws: RelabelError(.invalidLabelSet, message)) { try parseLabelSet(text) }
}
