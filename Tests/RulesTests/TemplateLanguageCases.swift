/// Go text/template: text, actions, trim markers, comments, pipelines, variables, control
/// structures, literals and printing.
let languageCases: [TemplateCase] = [
    out("plain text", "plain text"),
    out("{{ 1 }}", "1"),
    out(#"{{ "<b>" }}"#, "<b>"),
    out(
        "{{ $labels.instance }} of job {{ $labels.job }} has been down for more than 5 minutes.",
        "node1:9100 of job node has been down for more than 5 minutes."),
    out("{{ .Labels.instance }}/{{ .Labels.job }}", "node1:9100/node"),
    out("[{{ $labels.missing }}][{{ .Labels.missing }}]", "[][]"),
    out("{{ $externalLabels.cluster }} {{ .ExternalLabels.cluster }}", "prod prod"),
    out(
        "{{ .ExternalURL }} {{ $externalURL }}",
        "http://prom.example.com:9090/prometheus http://prom.example.com:9090/prometheus"),
    out("{{ $value }} {{ .Value }}", "85.5 85.5"),
    out("{{ $.Labels.job }}", "node"),
    out(
        "{{ . }}",
        "{map[instance:node1:9100 job:node severity:critical] map[cluster:prod] http://prom.example.com:9090/prometheus 85.5}"
    ),
    out("{{ $labels }}", "map[instance:node1:9100 job:node severity:critical]"),
    // Trim markers and comments.
    out("a  {{- 1 -}}  b", "a1b"),
    out("x\n  {{- $labels.job }}", "xnode"),
    out("{{ $labels.job -}}\n\n  y", "nodey"),
    out("{{- /* a comment */ -}}  x", "x"),
    out("a{{/* comment */}}b", "ab"),
    out("{{ 3 }}-{{ -3 }}", "3--3"),
    // Pipelines.
    out(#"{{ "a" | printf "%s-%s" "b" }}"#, "b-a"),
    out(#"{{ $labels.job | printf "%q" }}"#, #""node""#),
    out(#"{{ (printf "%s" "x") }}"#, "x"),
    out(#"{{ $labels.instance | reReplaceAll ":.*" "" | toUpper }}"#, "NODE1"),
    // Variables and scope.
    out("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}", "2"),
    out(#"{{ $x := "a" }}{{ with $labels.job }}{{ $x := "b" }}{{ $x }}{{ end }}{{ $x }}"#, "ba"),
    out(#"{{ $labels := "x" }}{{ $labels }}"#, "x"),
    out(#"{{ range query "up" }}{{ $.Labels.job }}{{ end }}"#, "nodenode"),
    out("{{ $x := $value }}{{ $x }}", "85.5"),
    // if / else if / else, with.
    out("{{ if gt $value 80.0 }}high{{ else }}ok{{ end }}", "high"),
    out("{{ if gt $value 80.0 }}high{{ else }}ok{{ end }}", "ok", value: 50),
    out(
        #"{{ if eq $labels.severity "critical" }}page{{ else if eq $labels.severity "warning" }}ticket{{ else }}none{{ end }}"#,
        "page"),
    out(
        #"{{ if eq $labels.severity "critical" }}page{{ else if eq $labels.severity "warning" }}ticket{{ else }}none{{ end }}"#,
        "ticket", labels: ["severity": "warning"]),
    out("{{ if $labels.missing }}yes{{ else }}no{{ end }}", "no"),
    out("{{ if 0 }}a{{ else if 0.0 }}b{{ else if \"\" }}c{{ else if $labels }}d{{ end }}", "d"),
    out("{{ with $labels.missing }}has{{ else }}none{{ end }}", "none"),
    out("{{ with $labels.job }}job={{ . }}{{ end }}", "job=node"),
    out("{{ with $labels.missing }}a{{ else with $labels.job }}{{ . }}{{ end }}", "node"),
    // range.
    out("{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}", "instance=node1:9100;job=node;severity=critical;"),
    out("{{ range $labels }}{{ . }},{{ end }}", "node1:9100,node,critical,"),
    out(
        #"{{ range query "up" | sortByLabel "instance" }}{{ .Labels.instance }}={{ .Value }} {{ end }}"#,
        "a:9100=1 b:9100=0 "),
    out(#"{{ range $i, $s := query "up" }}{{ $i }}:{{ $s.Labels.instance }} {{ end }}"#, "0:b:9100 1:a:9100 "),
    out(#"{{ range query "empty" }}x{{ else }}no data{{ end }}"#, "no data"),
    out(
        #"{{ range $i, $s := query "up" }}{{ if eq $i 1 }}{{ break }}{{ end }}{{ $s.Labels.instance }}{{ end }}"#,
        "b:9100"),
    out(
        #"{{ range $i, $s := query "up" }}{{ if eq $i 0 }}{{ continue }}{{ end }}{{ $s.Labels.instance }}{{ end }}"#,
        "a:9100"),
    out(
        #"{{ range $a := query "up" }}[{{ range $k, $v := $a.Labels }}{{ if eq $k "job" }}{{ break }}{{ end }}{{ $k }} {{ end }}]{{ end }}"#,
        "[__name__ instance ][__name__ instance ]"),
    out("{{ range 3 }}{{ . }}{{ end }}", "012"),
    out(#"{{ $n := 0 }}{{ range query "up" }}{{ $n = . }}{{ end }}{{ $n.Labels.instance }}"#, "a:9100"),
    out(
        """
        {{- range query "up" | sortByLabel "instance" }}
        - {{ .Labels.instance }}: {{ if eq .Value 1.0 }}up{{ else }}down{{ end }}
        {{- end }}
        """, "\n- a:9100: up\n- b:9100: down"),
    // define / template / block.
    out(#"{{define "x"}}{{.arg0}} {{.arg1}}{{end}}{{template "x" (args 1 "2")}}"#, "1 2"),
    out(#"{{ define "inst" }}[{{ . }}]{{ end }}{{ template "inst" $labels.job }}"#, "[node]"),
    out(#"{{ define "t" }}{{ . }}{{ end }}{{ template "t" }}"#, "<no value>"),
    out(#"{{ block "b" $labels.job }}<{{ . }}>{{ end }}"#, "<node>"),
    // Literals.
    out(#"{{ "a\tb\u00e9\x41" }}"#, "a\tbéA"),
    out(#"{{ `a\nb` }}"#, #"a\nb"#),
    out("{{ 'a' }} {{ 0x1F }} {{ 1e3 }} {{ -2 }} {{ 1_000 }} {{ 017 }} {{ 0b101 }}", "97 31 1000 -2 1000 15 5"),
    out("{{ true }} {{ false }} {{ 1.0 }} {{ 2.50 }}", "true false 1 2.5"),
]

/// How values print. Go's `%v` of a float64 is `%g` with the shortest digits: the exponent
/// form when the exponent is < -4 or >= 6 (checked against Go 1.19: `1e+06`, `100000`).
let valueCases: [TemplateCase] = [
    out("{{ $value }}", "1e+06", value: 1_000_000),
    out("{{ $value }}", "100000", value: 100_000),
    out("{{ $value }}", "0.0001", value: 0.0001),
    out("{{ $value }}", "1e-05", value: 0.00001),
    out("{{ $value }}", "1e+21", value: 1e21),
    out("{{ $value }}", "1.23456789e+08", value: 123_456_789),
    out("{{ $value }}", "NaN", value: .nan),
    out("{{ $value }}", "+Inf", value: .infinity),
    out("{{ $value }}", "-Inf", value: -.infinity),
    out("{{ $value }}", "-0.5", value: -0.5),
    out("{{ $value }}", "3", value: 3),
    out(#"{{ printf "%.2f" $value }}%"#, "85.50%"),
    out(#"{{ printf "%.2f" 1 }}"#, "%!f(int=01)"),
    out(#"{{ printf "%d" 1.5 }}"#, "%!d(float64=1.5)"),
    out(#"{{ printf "%d %s" "foo" }}"#, "%!d(string=foo) %!s(MISSING)"),
    out(#"{{ printf "%d" 1 2 }}"#, "1%!(EXTRA int=2)"),
    out(#"{{ printf "%d%%" 50 }}"#, "50%"),
    out(#"{{ printf "%s is %.1f%%" $labels.instance $value }}"#, "node1:9100 is 85.5%"),
    out(
        #"{{ printf "%5.2f|%-5s|%05d|%x|%X|%q|%+d|%e|%g|%.3g|%8.3e" 3.14159 "ab" 42 255 "hi" "a\"b" 5 1234.5678 1e-7 1234.5678 1234.5678 }}"#,
        #" 3.14|ab   |00042|ff|6869|"a\"b"|+5|1.234568e+03|1e-07|1.23e+03|1.235e+03"#),
    out(
        #"{{ printf "%8.2f|%-8.2f|%+.1e|%08.3f" 3.14159 2.5 12345.678 -3.14159 }}"#,
        "    3.14|2.50    |+1.2e+04|-003.142"),
    out(#"{{ printf "%[2]s %[1]s" "a" "b" }}"#, "b a"),
    out(#"{{ printf "%t %v %c%c %U" true false 72 105 65 }}"#, "true false Hi U+0041"),
    out(#"{{ printf "%v|%d" nil nil }}"#, "<nil>|%!d(<nil>)"),
    out(#"{{ printf "%6.2f%%" 0.5 }}"#, "  0.50%"),
    out(
        #"{{ printf "%T %T %T %T" 1.5 1 $labels (query "up") }}"#, "float64 int map[string]string template.queryResult"),
    out(#"{{ printf "%.4g|%.4g|%.4g|%.4g" 12.345 1.2345 123.45 100000.0 }}"#, "12.35|1.234|123.5|1e+05"),
    out(#"{{ printf "%v" $labels }}"#, "map[instance:node1:9100 job:node severity:critical]"),
    out(#"{{ printf "%.3s|%5s|%-5s|" "abcdef" "ab" "ab" }}"#, "abc|   ab|ab   |"),
    out(#"{{ printf "%x % x %#x" "hi" "hi" 255 }}"#, "6869 68 69 0xff"),
    out(#"{{ printf "%s" (query "1.5" | first) }}"#, "&{map[] %!s(float64=1.5)}"),
    out(#"{{ query "1.5" | first }}"#, "{map[] 1.5}"),
    out(#"{{ print 1 2 "a" 3 "b" "c" }}"#, "1 2a3bc"),
    out(#"{{ println 1 "a" }}"#, "1 a\n"),
    out(#"{{ print nil }}"#, "<nil>"),
    out("{{ (args 1).arg5 }}|{{ print (args 1).arg5 }}", "<no value>|<nil>"),
    out(#"{{ args 1 "x" }}"#, "map[arg0:1 arg1:x]"),
]
