// Rules: Prometheus rule files evaluated against a remote Prometheus-compatible query API
// (DESIGN.md, "Rules run remotely"): the rule-file loader (Files/), Go text/template
// expansion of labels and annotations (Template/), the query client, rule groups and the
// alert state machine. Results leave through the `Appender`, alerts through the Notifier.
