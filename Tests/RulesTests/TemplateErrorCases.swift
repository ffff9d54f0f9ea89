/// Parse errors (with their line) and execution errors (with line, column and the node).
let errorCases: [TemplateCase] = [
    // Parse errors, in Go's words.
    err("{{", "template: test:1: unclosed action"),  // upstream
    err("{{ end }}", "template: test:1: unexpected {{end}}"),
    err("{{ else }}", "template: test:1: unexpected {{else}}"),
    err("{{ if true }}x", "template: test:1: unexpected EOF"),
    err("a\n{{ if true }}\nb", "template: test:3: unexpected EOF"),
    err("{{ foo }}", #"template: test:1: function "foo" not defined"#),
    err("line1\nline2 {{ $labels.job | bar }}", #"template: test:2: function "bar" not defined"#),
    err("{{ $x }}", #"template: test:1: undefined variable "$x""#),
    err("{{ if true }}{{ $y := 1 }}{{ end }}{{ $y }}", #"undefined variable "$y""#),
    err("{{ break }}", "template: test:1: {{break}} outside {{range}}"),
    err("{{ 1 | 2 }}", "non executable command in pipeline stage 2"),
    err("{{ range }}{{ end }}", "missing value for range"),
    err("{{ }}", "missing value for command"),
    err(#"{{ "abc }}"#, "unterminated quoted string"),
    err("{{ 3x }}", #"bad number syntax: "3x""#),
    err("{{/* x }}", "unclosed comment"),
    err("{{/* x */ 1 }}", "comment ends before closing delimiter"),
    err("{{ .Labels.job ) }}", #"unexpected ")" in command"#),
    err("{{ (1 }}", "unclosed left paren"),
    err("{{\u{00A0}}}", "unrecognized character in action: U+00A0"),  // upstream
    err("{{ $labels\n\n", "template: test:3: unclosed action started at test:1"),
    err("{{-/* x */}}", #"illegal number syntax: "-""#),
    err(
        "{{ " + String(repeating: "(", count: 200) + "1" + String(repeating: ")", count: 200) + " }}",
        "max expression depth exceeded"),
    err(String(repeating: "{{ if 1 }}", count: 200), "max expression depth exceeded"),
    out(String(repeating: "{{ if 1 }}", count: 60) + "deep" + String(repeating: "{{ end }}", count: 60), "deep"),
    err("{{ range $i, $j, $k := . }}{{ end }}", "too many declarations in range"),
    err(#"{{ define "a" }}x{{ else }}y{{ end }}"#, "unexpected {{else}} in define clause"),
    err(
        "{{ .Labels.job.x.y | }}",
        #"template: test:1:10: executing "test" at <.Labels.job.x.y>: can't evaluate field x in type string"#),
    // Execution errors: template name, line, 0-based column, the node, Go's message.
    err(
        #"{{ query "empty" | first }}"#,
        #"template: test:1:19: executing "test" at <first>: error calling first: first() called on vector with no elements"#
    ),  // upstream
    err(
        "line1\n  {{ query \"empty\" | first }}",
        #"template: test:2:21: executing "test" at <first>: error calling first: first() called on vector with no elements"#
    ),
    err(#"{{ query "fail" }}"#, "error calling query: bad_data: 1:5: parse error: unexpected end of input"),
    err(#"{{ (query "empty").banana }}"#, "can't evaluate field banana in type template.queryResult"),  // upstream
    err(
        #"{{ humanize "one" }}"#,
        #"template: test:1:3: executing "test" at <humanize "one">: error calling humanize: strconv.ParseFloat: parsing "one": invalid syntax"#
    ),  // upstream
    err(
        #"{{ "one" | humanizePercentage }}"#,
        #"template: test:1:11: executing "test" at <humanizePercentage>: error calling humanizePercentage: strconv.ParseFloat: parsing "one": invalid syntax"#
    ),  // upstream
    err("{{ humanize true }}", "error calling humanize: can't convert bool to float"),
    err(
        "{{ humanizeTimestamp 1e19 }}",
        "error calling humanizeTimestamp: 1e+19 cannot be represented as a nanoseconds timestamp since it overflows int64"
    ),
    err("{{ toTime $value }}", "error calling toTime: value is NaN or Inf", value: .nan),
    err(#"{{ parseDuration "1x" }}"#, #"error calling parseDuration: not a valid duration string: "1x""#),
    err(
        #"{{ reReplaceAll "(" "x" "y" }}"#,
        "error calling reReplaceAll: regexp: Compile(`(`): error parsing regexp: missing closing ): `(`"),
    err(#"{{ match "[" "x" }}"#, "error calling match: error parsing regexp: missing closing ]: `[`"),
    err("{{ if gt $value 80 }}high{{ end }}", "error calling gt: incompatible types for comparison"),
    err("{{ eq 1 1.0 }}", "error calling eq: incompatible types for comparison"),
    err("{{ lt true false }}", "error calling lt: invalid type for comparison"),
    err("{{ eq 1 }}", "error calling eq: missing argument for comparison"),
    err(#"{{ index (query "up") 5 }}"#, "error calling index: index out of range: 5"),
    err(#"{{ index $labels 1 }}"#, "error calling index: value has type int; should be string"),
    err("{{ len 3 }}", "error calling len: len of type int"),
    err(#"{{ slice "abc" 2 1 }}"#, "error calling slice: invalid slice index: 2 > 1"),
    err(#"{{ first "x" }}"#, #"can't handle "x" for arg of type template.queryResult"#),
    err("{{ $labels.job | first }}", "wrong type for value; expected template.queryResult; got string"),
    err("{{ humanize }}", "wrong number of args for humanize: want 1 got 0"),
    err(#"{{ label "x" }}"#, "wrong number of args for label: want 2 got 1"),
    err(#"{{ printf }}"#, "wrong number of args for printf: want at least 1 got 0"),
    err(#"{{ toUpper 1 }}"#, "expected string; found 1"),
    err("{{ 1 2 }}", "can't give argument to non-function 1"),
    err("{{ nil }}", "nil is not a command"),
    err(
        "{{ .Foo }}",
        "can't evaluate field Foo in type struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }"
    ),
    err(
        "{{ $labels.job.foo }}",
        #"template: test:1:10: executing "test" at <$labels.job.foo>: can't evaluate field foo in type string"#),
    err("{{ value nil }}", "error calling value: runtime error: invalid memory address or nil pointer dereference"),
    err(
        #"{{ template "nope" }}"#,
        #"template: test:1:12: executing "test" at <{{template "nope"}}>: template "nope" not defined"#),
    err("{{ range 1.5 }}{{ end }}", "range can't iterate over 1.5"),
    err(
        #"{{ label "x" nil }}"#, "error calling label: runtime error: invalid memory address or nil pointer dereference"
    ),
    err(
        #"{{ define "r" }}{{ template "r" }}{{ end }}{{ template "r" }}"#,
        #"template: test:1:28: executing "r" at <{{template "r"}}>: exceeded maximum template depth (100)"#),
]
