/// Go's builtins and Prometheus's template functions. Cases marked "upstream" carry the
/// expectation of Prometheus's template/template_test.go.
let functionCases: [TemplateCase] = [
    // Queries.
    out(#"{{ with query "node_memory_MemTotal_bytes" }}{{ . | first | value | humanize1024 }}B{{ end }}"#, "8GiB"),
    out(#"{{ with query "up" }}{{ . | first | value | humanize }}{{ end }}"#, "0"),
    out(#"{{ with query "empty" }}{{ . | first | value }}{{ else }}none{{ end }}"#, "none"),
    out(#"{{ query "1.5" | first | value }}"#, "1.5"),  // upstream
    out(#"{{ query "metric{instance='a'}" | first | label "instance" }}"#, "a"),  // upstream
    out(#"{{ query "metric{instance='a'}" | first | label "foo" }}"#, ""),  // upstream
    out(#"{{ query "metric{instance='a'}" | first | strvalue }}"#, "a"),  // upstream
    out(#"{{ $x := query "metric{instance='a'}" | first }}{{ $x.Labels.foo }}"#, ""),  // upstream
    out(#"{{ query "up" | len }}"#, "2"),
    out(
        #"{{ range query "up" }}{{ with printf "node_memory_MemTotal_bytes{instance='%s'}" .Labels.instance | query }}{{ . | first | value | humanize1024 }} {{ end }}{{ end }}"#,
        "8Gi 8Gi "),
    // Regular expressions.
    out(#"{{ reReplaceAll "(a)b" "x$1" "ab" }}"#, "xa"),  // upstream
    out(#"{{ reReplaceAll "(.*):.*" "$1" $labels.instance }}"#, "node1"),
    out(#"{{ reReplaceAll ":[0-9]+$" "" $labels.instance }}"#, "node1"),
    out(#"{{ reReplaceAll "a" "b" "banana" }}"#, "bbnbnb"),
    out(#"{{ reReplaceAll "x*" "-" "abc" }}"#, "-a-b-c-"),
    out(#"{{ reReplaceAll "(?P<host>[^:]+):(?P<port>\\d+)" "${port}@${host}" "h:80" }}"#, "80@h"),
    out(#"{{ reReplaceAll "^" "> " "a\nb" }}"#, "> a\nb"),
    out(#"{{ match "a+" "aa" }} {{ match "a+" "b" }}"#, "true false"),  // upstream
    out(#"{{ if match "^node" $labels.instance }}node{{ end }}"#, "node"),
    // Strings.
    out(#"{{ "aa bb CC" | title }}"#, "Aa Bb CC"),  // upstream
    out(#"{{ "hello-world foo_bar" | title }}"#, "Hello-World Foo_bar"),
    out(#"{{ "aa bb CC" | toUpper }}"#, "AA BB CC"),  // upstream
    out(#"{{ "aA bB CC" | toLower }}"#, "aa bb cc"),  // upstream
    out(#"{{ "straße" | toUpper }}"#, "STRAßE"),
    out(#"{{ "<b>" | safeHtml }}"#, "<b>"),
    // upstream
    out(#"{{ graphLink "up" }}|{{ tableLink "up" }}"#, "/graph?g0.expr=up&g0.tab=0|/graph?g0.expr=up&g0.tab=1"),
    out(#"{{ graphLink "rate(x[5m]) > 0" }}"#, "/graph?g0.expr=rate%28x%5B5m%5D%29+%3E+0&g0.tab=0"),
    out("{{ pathPrefix }}|{{ externalURL }}", "/path/prefix|http://testhost:9090/path/prefix"),  // upstream
    out(
        #"{{ "foo.example.com" | stripPort }}|{{ "foo.example.com:12345" | stripPort }}"#,
        "foo.example.com|foo.example.com"),
    out(#"{{ "192.0.2.1" | stripPort }}|{{ "192.0.2.1:12345" | stripPort }}"#, "192.0.2.1|192.0.2.1"),
    out(#"{{ "2001:0DB8::1" | stripPort }}|{{ "[2001:0DB8::1]:12345" | stripPort }}"#, "2001:0DB8::1|2001:0DB8::1"),
    out(#"{{ "[2001:0DB8::1]::12345" | stripPort }}"#, "[2001:0DB8::1]::12345"),  // upstream
    out(#"{{ "foo.example.com" | stripDomain }}|{{ "foo.example.com:12345" | stripDomain }}"#, "foo|foo:12345"),
    out(#"{{ "192.0.2.1" | stripDomain }}|{{ "192.0.2.1:12345" | stripDomain }}"#, "192.0.2.1|192.0.2.1:12345"),
    out(
        #"{{ "2001:0DB8::1" | stripDomain }}|{{ "[2001:0DB8::1]:12345" | stripDomain }}|{{ "[2001:0DB8::1]::12345" | stripDomain }}"#,
        "2001:0DB8::1|[2001:0DB8::1]:12345|[2001:0DB8::1]::12345"),
    out(
        #"Disk usage on {{ $labels.instance | stripPort }} is {{ $value | printf "%.1f" }}%"#,
        "Disk usage on node1 is 85.5%"),
    // Numbers (upstream humanize cases and the brief's examples).
    out("{{ humanize 0 }}:{{ humanize 1 }}:{{ humanize 1234567.0 }}:{{ humanize .12 }}", "0:1:1.235M:120m"),
    out(#"{{ humanize "0.0" }}:{{ humanize "1234567.0" }}:{{ humanize ".12" }}"#, "0:1.235M:120m"),
    out("{{ humanize -1 }}:{{ humanize 1234567 }}:{{ humanize 9223372036854775807 }}", "-1:1.235M:9.223E"),
    out("{{ 0.001234 | humanize }}|{{ $value | humanize }}", "1.234m|1.235M", value: 1_234_567),
    out("{{ humanize 1e30 }}|{{ humanize 1e-30 }}|{{ humanize -0.5 }}", "1e+06Y|1e-06y|-500m"),
    out(
        "{{ humanize1024 0 }}:{{ humanize1024 1 }}:{{ humanize1024 1048576.0 }}:{{ humanize1024 .12 }}", "0:1:1Mi:0.12"),
    out(#"{{ humanize1024 "1048576" }}:{{ humanize1024 1234567 }}:{{ humanize1024 -1 }}"#, "1Mi:1.177Mi:-1"),
    out("{{ humanize1024 9223372036854775807 }}", "8Ei"),
    out("{{ humanizeDuration 123.5 }}|{{ humanizeDuration 0.0012 }}|{{ humanizeDuration 0 }}", "2m 3s|1.2ms|0s"),
    out(
        "{{ humanizeDuration 1 }}:{{ humanizeDuration 60 }}:{{ humanizeDuration 3600 }}:{{ humanizeDuration 86400 }}:{{ humanizeDuration 90000 }}",
        "1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:1d 1h 0m 0s"),
    out("{{ humanizeDuration -183845 }}|{{ humanizeDuration 899.99 }}", "-2d 3h 4m 5s|14m 59s"),  // upstream
    out(
        "{{ humanizeDuration .1 }}:{{ humanizeDuration .0001 }}:{{ humanizeDuration .12345 }}:{{ humanizeDuration 60.1 }}:{{ humanizeDuration 1.2345 }}:{{ humanizeDuration 12.345 }}",
        "100ms:100us:123.5ms:1m 0s:1.234s:12.35s"),  // upstream
    out(
        #"{{ humanizeDuration "60.5" }}|{{ humanizeDuration 1234567 }}|{{ humanizeDuration -1 }}"#,
        "1m 0s|14d 6h 56m 7s|-1s"),
    out("{{ $value | humanizePercentage }}", "12.34%", value: 0.1234),
    out(
        "{{ -0.22222 | humanizePercentage }}:{{ 0.0 | humanizePercentage }}:{{ 0.1234567 | humanizePercentage }}:{{ 1.23456 | humanizePercentage }}",
        "-22.22%:0%:12.35%:123.5%"),  // upstream
    out(#"{{ "0.5" | humanizePercentage }}|{{ humanizePercentage 1234567 }}"#, "50%|1.235e+08%"),
    out("{{ 1435065584.128 | humanizeTimestamp }}", "2015-06-23 13:19:44.128 +0000 UTC"),  // upstream
    out(#"{{ "1435065584.128" | humanizeTimestamp }}"#, "2015-06-23 13:19:44.128 +0000 UTC"),  // upstream
    out(
        "{{ humanizeTimestamp 0 }}|{{ humanizeTimestamp -1 }}|{{ humanizeTimestamp 1234567 }}|{{ humanizeTimestamp 9223372036 }}",
        "1970-01-01 00:00:00 +0000 UTC|1969-12-31 23:59:59 +0000 UTC|1970-01-15 06:56:07 +0000 UTC|2262-04-11 23:47:16 +0000 UTC"
    ),  // upstream
    out("{{ humanizeTimestamp -0.5 }}", "1969-12-31 23:59:59.5 +0000 UTC"),
    out(
        "{{ humanize $value }}:{{ humanize1024 $value }}:{{ humanizeDuration $value }}:{{ humanizeTimestamp $value }}",
        "+Inf:+Inf:+Inf:+Inf", value: .infinity),  // upstream
    out(
        "{{ humanize $value }}:{{ humanize1024 $value }}:{{ humanizeDuration $value }}:{{ humanizeTimestamp $value }}",
        "NaN:NaN:NaN:NaN", value: .nan),  // upstream
    out(#"{{ humanize "-Inf" }}:{{ humanizeDuration "NaN" }}"#, "-Inf:NaN"),
    // Time and duration.
    out(#"{{ (1435065584.128 | toTime).Format "2006" }}"#, "2015"),  // upstream
    out(#"{{ ("1435065584.128" | toTime).Format "2006-01-02T15:04:05Z07:00" }}"#, "2015-06-23T13:19:44Z"),
    out(#"{{ (toTime 1435065584.128).Format "Mon Jan 2 15:04:05.000 MST 2006" }}"#, "Tue Jun 23 13:19:44.128 UTC 2015"),
    out("{{ toTime 1435065584 }}|{{ (toTime 1435065584).Unix }}", "2015-06-23 13:19:44 +0000 UTC|1435065584"),
    out(#"{{ (toTime 0).Format "January _2, 3:04PM -0700" }}"#, "January  1, 12:00AM +0000"),
    out("{{ toDuration 90 }}|{{ 5400 | toDuration }}|{{ toDuration 0.0015 }}", "1m30s|1h30m0s|1.5ms"),
    out("{{ (toDuration 90).Minutes }}|{{ toDuration 90 | humanizeDuration }}", "1.5|1m 30s"),
    out(#"{{ "1h30m" | parseDuration }}|{{ parseDuration "1d" }}|{{ parseDuration "-1h" }}"#, "5400|86400|-3600"),
    out(#"{{ printf "%0.2f" (parseDuration "1h2m10ms") }}"#, "3720.01"),  // upstream
    out("{{ now }}|{{ now | humanizeTimestamp }}", "1.7000000005e+09|2023-11-14 22:13:20.5 +0000 UTC"),
    // Go builtins.
    out(#"{{ len $labels }}|{{ len "héllo" }}|{{ len (query "up") }}"#, "3|6|2"),
    out(
        #"{{ index $labels "job" }}|{{ index $labels "nope" }}|{{ (index (query "up") 1).Labels.instance }}"#,
        "node||a:9100"),
    out(#"{{ index "abc" 1 }}|{{ slice "abcdef" 1 3 }}|{{ slice "abcdef" 2 }}"#, "98|bc|cdef"),
    out(#"{{ range slice (query "up") 1 }}{{ .Labels.instance }}{{ end }}"#, "a:9100"),
    out(
        #"{{ and 1 0 "x" }}|{{ or 0 "" "x" }}|[{{ or 0 "" }}]|{{ not 0 }}|{{ and $labels.job $labels.instance }}"#,
        "0|x|[]|true|node1:9100"),
    out(#"{{ if and (gt $value 80.0) (eq $labels.severity "critical") }}page{{ end }}"#, "page"),
    out(#"{{ or 1 (query "empty" | first) }}"#, "1"),
    out(
        #"{{ eq $labels.job "api" "node" }}|{{ ne 1 2 }}|{{ lt "a" "b" }}|{{ le 2 2 }}|{{ ge 1.5 2.5 }}|{{ gt 3 2 }}"#,
        "true|true|true|true|false|true"),
    out(#"{{ eq (index "abc" 0) 97 }}|{{ eq (args 1).missing "x" }}|{{ eq (args 1).missing nil }}"#, "true|false|true"),
    out(#"{{ html "<a href=\"x\">'&" }}"#, "&lt;a href=&#34;x&#34;&gt;&#39;&amp;"),
    out(#"{{ js "it's <b>=&\"\n" }}"#, #"it\'s \u003Cb\u003E\u003D\u0026\"\u000A"#),
    out(#"{{ urlquery "a b&c/d" }}|{{ $labels.instance | urlquery }}"#, "a+b%26c%2Fd|node1%3A9100"),
    out(#"{{ html 1 "<" }}"#, "1&lt;"),
]
