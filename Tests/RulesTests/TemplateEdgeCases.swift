/// Edge cases whose expected text is what Go 1.19's text/template printed with Prometheus's
/// function map for the same template and data (flags and verbs of printf, trim markers next
/// to comments, literals, variables in if/with, type errors, title after digits).
let edgeCases: [TemplateCase] = [
    out(#"{{/* c */ -}}  x"#, #"x"#),
    out(#"  {{- /* c */}}x"#, #"x"#),
    out(#"{{ 1 }}  {{- /* c */ -}}  {{ 2 }}"#, #"12"#),
    out(#"{{ printf "%+.3v|%10.4v|%-10v|" 3.14159 2.0 "x" }}"#, #"3.14|         2|x         |"#),
    out(#"{{ printf "%05.1f|% d|% .2f|%+s" 2.25 5 1.5 "a" }}"#, #"002.2| 5| 1.50|a"#),
    out(#"{{ printf "%o %O %b %#o %#b %08b" 8 8 5 8 5 5 }}"#, #"10 0o10 101 010 0b101 00000101"#),
    out(#"{{ printf "%q %+q %#q" "héllo\n" "héllo" "x`y" }}"#, #""héllo\n" "h\u00e9llo" "x`y""#),
    out(#"{{ printf "%q" 65 }}|{{ printf "%.0f %.0f %.0f" 0.5 1.5 2.5 }}"#, #"'A'|0 2 2"#),
    out(#"{{ printf "%e %E %G" 0.0 123456.0 1e-10 }}"#, #"0.000000e+00 1.234560E+05 1E-10"#),
    out(#"{{ printf "%v %v" -0.0 1e100 }}"#, #"-0 1e+100"#),
    out(#"{{ printf "%*d|%-*d|%.*f" 5 42 4 7 2 3.14159 }}"#, #"   42|7   |3.14"#),
    out(#"{{ printf "%d %d" (len $labels) }}"#, #"3 %!d(MISSING)"#),
    out(#"{{ printf "%!" }}|{{ printf "%" }}|{{ printf "%z" 1 }}"#, #"%!!(MISSING)|%!(NOVERB)|%!z(int=1)"#),
    out(
        #"{{ printf "%s" $labels }}|{{ printf "%d" $labels }}"#,
        #"map[instance:node1:9100 job:node severity:critical]|map[%!d(string=instance):%!d(string=node1:9100) %!d(string=job):%!d(string=node) %!d(string=severity):%!d(string=critical)]"#
    ),
    out(#"{{ printf "%x" 1.5 }}"#, #"0x1.8p+00"#),
    out(#"{{ printf "%6.2v|%v" "abc" (args 1 2.5) }}"#, #"    ab|map[arg0:1 arg1:2.5]"#),
    out(#"{{ print 1 2.5 true nil "x" }}|{{ print }}"#, #"1 2.5 true <nil>x|"#),
    out(
        #"{{ range $i, $e := $labels }}{{ $i }}{{ end }}{{ range $labels }}{{ else }}e{{ end }}"#,
        #"instancejobseverity"#),
    out(#"{{ with $x := $labels.job }}{{ $x }}{{ end }}"#, #"node"#),
    out(#"{{ if $x := $labels.job }}{{ $x }}{{ else }}{{ $x }}{{ end }}"#, #"node"#),
    out(#"{{ index (args "a" "b") "arg1" }}|{{ index (args "a") "arg9" }}"#, #"b|<no value>"#),
    out(#"{{ "abc" | len }}|{{ len (args) }}"#, #"3|0"#),
    err(
        #"{{ not "" }}|{{ not (query "up") }}|{{ and }}"#,
        #"template: test:1:39: executing "test" at <and>: wrong number of args for and: want at least 1 got 0"#),
    err(
        #"{{ eq "a" "a" }}|{{ eq 1 2 3 1 }}|{{ ne "a" "b" }}|{{ lt 1 2.0 }}"#,
        #"template: test:1:54: executing "test" at <lt 1 2.0>: error calling lt: incompatible types for comparison"#),
    out(#"{{ $labels.job | eq "node" }}"#, #"true"#),
    out(#"{{ .Labels.job | len }}|{{ $.Value }}"#, #"4|85.5"#),
    out(#"{{ define "a" }}A{{ .x }}{{ end }}{{ template "a" (args 1) }}"#, #"A<no value>"#),
    err(#"{{ define "a" }}{{ $labels }}{{ end }}"#, #"template: test:1: undefined variable "$labels""#),
    out(#"{{ template "a" }}{{ define "a" }}late{{ end }}"#, #"late"#),
    out(#"{{ 0x1p4 }} {{ 1e-3 }} {{ .5 }} {{ 'é' }} {{ '\n' }}"#, #"16 0.001 0.5 233 10"#),
    err(#"{{ 99999999999999999999 }}"#, #"template: test:1: integer overflow: "99999999999999999999""#),
    err(#"{{ 1.5e400 }}"#, #"template: test:1: illegal number syntax: "1.5e400""#),
    err(#"{{ "a" "b" }}"#, #"template: test:1:3: executing "test" at <"a">: can't give argument to non-function "a""#),
    out(#"{{ $x := 1 }}{{ $x := 2 }}{{ $x }}"#, #"2"#),
    err(
        #"{{ .Labels.instance.x }}"#,
        #"template: test:1:10: executing "test" at <.Labels.instance.x>: can't evaluate field x in type string"#),
    err(
        #"{{ $value.x }}"#,
        #"template: test:1:9: executing "test" at <$value.x>: can't evaluate field x in type float64"#),
    err(
        #"{{ humanize (args 1) }}"#,
        #"template: test:1:3: executing "test" at <humanize (args 1)>: error calling humanize: can't convert map[string]interface {} to float"#
    ),
    err(
        #"{{ humanize "1e400" }}"#,
        #"template: test:1:3: executing "test" at <humanize "1e400">: error calling humanize: strconv.ParseFloat: parsing "1e400": value out of range"#
    ),
    out(#"{{ title "don't stop o'neil 1st x.y a_b" }}"#, #"Don't Stop O'neil 1St X.y A_b"#),
    out(#"{{ toUpper "ǆ ﬀ" }}|{{ title "ǆemal" }}"#, #"Ǆ ﬀ|ǅemal"#),
    out(#"{{ js "\u2028 é" }}"#, #"\u2028 é"#),
    out(#"{{ urlquery "é~" 1 }}"#, #"%C3%A9~1"#),
    out(#"{{ html nil }}|{{ html }}"#, #"&lt;no value&gt;|"#),
    out(#"{{ match "(?i)NODE" $labels.instance }}"#, #"true"#),
    out(#"{{ reReplaceAll "(\\w+)@(\\w+)" "$2 at $1" "a@b c@d" }}"#, #"b at a d at c"#),
    out(
        #"{{ stripDomain "foo" }}|{{ stripPort "foo:" }}|{{ stripDomain "host.a.b:" }}|{{ stripDomain "[::1]:80" }}"#,
        #"foo|foo|host|[::1]:80"#),
    err(
        #"{{ parseDuration "0" }}|{{ parseDuration "1h1h" }}"#,
        #"template: test:1:27: executing "test" at <parseDuration "1h1h">: error calling parseDuration: not a valid duration string: "1h1h""#
    ),
    err(
        #"{{ parseDuration "" }}"#,
        #"template: test:1:3: executing "test" at <parseDuration "">: error calling parseDuration: not a valid duration string: """#
    ),
    out(
        #"{{ humanizeDuration 0.0000000012 }}|{{ humanizeDuration -0.5 }}|{{ humanize1024 -2048 }}"#,
        #"1.2ns|-500ms|-2ki"#),
    err(
        #"{{ humanizePercentage "x" }}"#,
        #"template: test:1:3: executing "test" at <humanizePercentage "x">: error calling humanizePercentage: strconv.ParseFloat: parsing "x": invalid syntax"#
    ),
    out(#"{{ label "instance" (query "up" | first) }}"#, #"b:9100"#),
    err(#"{{ query 1 }}"#, #"template: test:1:9: executing "test" at <1>: expected string; found 1"#),
    out(#"{{ sortByLabel "instance" (query "up") | len }}"#, #"2"#),
    out(
        #"{{ (toTime 1435065584.128).Format "2006-01-02 03:04:05.000000 PM Z0700 .999 Jan Monday 002 __2" }}"#,
        #"2015-06-23 01:19:44.128000 PM Z .128 Jun Tuesday 174 174"#),
    err(
        #"{{ toTime "x" }}"#,
        #"template: test:1:3: executing "test" at <toTime "x">: error calling toTime: strconv.ParseFloat: parsing "x": invalid syntax"#
    ),
    out("{{\n  $labels.job\n}}", #"node"#),
    out("{{ $labels.job\n| toUpper }}", #"NODE"#),
]
