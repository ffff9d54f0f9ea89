import Testing

@testable import Relabel

// Rules from the Prometheus documentation: the relabel_config section of
// docs/configuration/configuration.md (action descriptions) and the examples it points to
// (documentation/examples/prometheus-kubernetes.yml, the blackbox exporter pattern).
let docsCases: [RelabelCase] = [
    .init(
        "docs: kubernetes labelmap __meta_kubernetes_node_label_(.+)",
        [r("labelmap", regex: "__meta_kubernetes_node_label_(.+)")],
        #"__meta_kubernetes_node_label_kubernetes_io_hostname="node1",__address__="10.0.0.1:10250""#,
        #"__meta_kubernetes_node_label_kubernetes_io_hostname="node1",__address__="10.0.0.1:10250",kubernetes_io_hostname="node1""#
    ),
    .init(
        "docs: kubernetes service port annotation rewrites __address__",
        [
            r(
                src: ["__address__", "__meta_kubernetes_service_annotation_prometheus_io_port"],
                regex: #"([^:]+)(?::\d+)?;(\d+)"#, target: "__address__", repl: "$1:$2")
        ],
        #"__address__="10.0.0.1:80",__meta_kubernetes_service_annotation_prometheus_io_port="9102""#,
        #"__address__="10.0.0.1:9102",__meta_kubernetes_service_annotation_prometheus_io_port="9102""#),
    .init(
        "docs: kubernetes port rewrite leaves __address__ without annotation",
        [
            r(
                src: ["__address__", "__meta_kubernetes_service_annotation_prometheus_io_port"],
                regex: #"([^:]+)(?::\d+)?;(\d+)"#, target: "__address__", repl: "$1:$2")
        ],
        #"__address__="10.0.0.1:80""#, #"__address__="10.0.0.1:80""#),
    .init(
        "docs: kubernetes keep prometheus.io/scrape=true",
        [r("keep", src: ["__meta_kubernetes_service_annotation_prometheus_io_scrape"], regex: "true")],
        #"__meta_kubernetes_service_annotation_prometheus_io_scrape="false""#, nil),
    .init(
        "docs: kubernetes scheme (https?)",
        [
            r(
                src: ["__meta_kubernetes_service_annotation_prometheus_io_scheme"], regex: "(https?)",
                target: "__scheme__")
        ],
        #"__scheme__="http",__meta_kubernetes_service_annotation_prometheus_io_scheme="https""#,
        #"__scheme__="https",__meta_kubernetes_service_annotation_prometheus_io_scheme="https""#),
    .init(
        "docs: kubernetes namespace copy",
        [r(src: ["__meta_kubernetes_namespace"], target: "kubernetes_namespace")],
        #"__meta_kubernetes_namespace="default""#,
        #"__meta_kubernetes_namespace="default",kubernetes_namespace="default""#),
    .init(
        "docs: blackbox exporter (target → __param_target → instance, fixed __address__)",
        [
            r(src: ["__address__"], target: "__param_target"),
            r(src: ["__param_target"], target: "instance"),
            r(target: "__address__", repl: "127.0.0.1:9115"),
        ], #"__address__="https://example.com""#,
        #"__address__="127.0.0.1:9115",__param_target="https://example.com",instance="https://example.com""#),
    .init(
        "docs: replace with ${1} and ${2} in replacement",
        [
            r(
                src: ["__address__", "__metrics_path__"], regex: #"([^:]+):(\d+);/(.*)"#, target: "relabel",
                repl: "${1}_${2}_${3}")
        ],
        #"__address__="localhost:9100",__metrics_path__="/metrics""#,
        #"__address__="localhost:9100",__metrics_path__="/metrics",relabel="localhost_9100_metrics""#),
    .init(
        "docs: rename metrics with a prefix (metric_relabel_configs)",
        [r(src: ["__name__"], regex: "((?:go|http|process)_.*)", target: "__name__", repl: "telegraf_${1}")],
        #"__name__="go_goroutines""#, #"__name__="telegraf_go_goroutines""#),
    .init(
        "docs: remove a label with an empty replacement",
        [r(src: ["host"], target: "host", repl: "")], #"__name__="up",host="h1""#, #"__name__="up""#),
    .init(
        "docs: keepequal keeps when the port equals the annotation",
        [
            r(
                "keepequal", src: ["__meta_kubernetes_pod_container_port_number"],
                target: "__meta_kubernetes_pod_annotation_prometheus_io_port")
        ],
        #"__meta_kubernetes_pod_container_port_number="8080",__meta_kubernetes_pod_annotation_prometheus_io_port="8080""#,
        #"__meta_kubernetes_pod_container_port_number="8080",__meta_kubernetes_pod_annotation_prometheus_io_port="8080""#
    ),
]

@Test(arguments: docsCases)
func docsExamples(_ c: RelabelCase) throws { try checkRelabel(c) }
