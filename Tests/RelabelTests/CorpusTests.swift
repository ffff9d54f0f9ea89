import Testing

@testable import Relabel

// Relabel cases of the promsls edge-case corpus (corpus/cases/<id>.txt), inputs copied here
// as literals. Each expectation is the relabel output only: dropping `__`-prefixed labels and
// adding `instance`/`job` after target relabeling belongs to Scrape, not to Relabel.

/// relabel-regex-anchoring (prometheus#1520, confirmed from code): regexes are anchored
/// `^(?s:REGEX)$`, lazy quantifiers stretch to the end anchor.
let anchoringRules = [
    r(src: ["__meta_consul_tags"], regex: ",svc:(.*),", target: "svc_a"),
    r(src: ["__meta_consul_tags"], regex: ".*,svc:([^,]*),.*", target: "svc_b"),
    r(src: ["__meta_consul_tags"], regex: ",tier:(.*?),", target: "tier_a"),
    r(src: ["__meta_consul_tags"], regex: ",tier:(.*?),.*", target: "tier_b"),
]
let anchoringInput = """
    __address__="192.0.2.30:8080"
    __meta_consul_tags=",tier:backend,svc:billing,"
    """

/// hashmod-md5-shard (prometheus#11551, confirmed from code + upstream vectors).
let hashmodRules = [
    r("hashmod", src: ["__address__"], target: "__tmp_hash", mod: 3),
    r("keep", src: ["__tmp_hash"], regex: "1"),
]

/// metric-relabel-dunder-labels-kept (prometheus#5092, confirmed from code): labels created
/// by metric_relabel_configs, `__`-prefixed or not, are not stripped by relabeling.
let dunderRules = [r(src: ["__name__"], regex: "go_goroutines", target: "__tmp_mark", repl: "yes")]

let corpusCases: [RelabelCase] = [
    .init(
        "relabel-regex-anchoring", anchoringRules, anchoringInput,
        """
        __address__="192.0.2.30:8080"
        __meta_consul_tags=",tier:backend,svc:billing,"
        svc_b="billing"
        tier_a="backend,svc:billing"
        tier_b="backend"
        """),
    .init(
        "relabel-regex-anchoring: variant keep backend drops",
        [r("keep", src: ["__meta_consul_tags"], regex: "backend")],
        anchoringInput, nil),
    .init(
        "relabel-regex-anchoring: '.' matches newline", [r(src: ["a"], regex: "x.y", target: "b", repl: "dot")],
        #"a="x\ny""#, #"a="x\ny",b="dot""#),
    .init(
        "hashmod-md5-shard: 192.0.2.10:9100 → 2, dropped", [hashmodRules[0]],
        #"__address__="192.0.2.10:9100""#, #"__address__="192.0.2.10:9100",__tmp_hash="2""#),
    .init(
        "hashmod-md5-shard: 192.0.2.11:9100 → 2, dropped", [hashmodRules[0]],
        #"__address__="192.0.2.11:9100""#, #"__address__="192.0.2.11:9100",__tmp_hash="2""#),
    .init(
        "hashmod-md5-shard: 192.0.2.12:9100 → 1, kept", [hashmodRules[0]],
        #"__address__="192.0.2.12:9100""#, #"__address__="192.0.2.12:9100",__tmp_hash="1""#),
    .init(
        "hashmod-md5-shard: 192.0.2.13:9100 → 0, dropped", [hashmodRules[0]],
        #"__address__="192.0.2.13:9100""#, #"__address__="192.0.2.13:9100",__tmp_hash="0""#),
    .init("hashmod-md5-shard: .10 dropped by keep", hashmodRules, #"__address__="192.0.2.10:9100""#, nil),
    .init("hashmod-md5-shard: .11 dropped by keep", hashmodRules, #"__address__="192.0.2.11:9100""#, nil),
    .init(
        "hashmod-md5-shard: .12 survives", hashmodRules,
        #"__address__="192.0.2.12:9100""#, #"__address__="192.0.2.12:9100",__tmp_hash="1""#),
    .init("hashmod-md5-shard: .13 dropped by keep", hashmodRules, #"__address__="192.0.2.13:9100""#, nil),
    .init(
        "hashmod-md5-shard: [app, env] mod 4, app-a;prod → 1",
        [r("hashmod", src: ["app", "env"], target: "h", mod: 4)],
        #"app="app-a",env="prod""#, #"app="app-a",env="prod",h="1""#),
    .init(
        "hashmod-md5-shard: env missing, app-a; → 3", [r("hashmod", src: ["app", "env"], target: "h", mod: 4)],
        #"app="app-a""#, #"app="app-a",h="3""#),
    .init(
        "hashmod-md5-shard: both missing, ; → 1", [r("hashmod", src: ["app", "env"], target: "h", mod: 4)],
        #"x="y""#, #"x="y",h="1""#),
    .init(
        "hashmod-md5-shard: single source missing, \"\" mod 3 → 1", [r("hashmod", src: ["nope"], target: "h", mod: 3)],
        #"x="y""#, #"x="y",h="1""#),
    .init(
        "metric-relabel-dunder-labels-kept: go_goroutines gets __tmp_mark", dunderRules,
        #"__name__="go_goroutines",instance="192.0.2.10:9100",job="demo""#,
        #"__name__="go_goroutines",__tmp_mark="yes",instance="192.0.2.10:9100",job="demo""#),
    .init(
        "metric-relabel-dunder-labels-kept: build_stage keeps __debug", dunderRules,
        #"__name__="build_stage",__debug="x",instance="192.0.2.10:9100",job="demo""#,
        #"__name__="build_stage",__debug="x",instance="192.0.2.10:9100",job="demo""#),
    .init(
        "metric-relabel-dunder-labels-kept: explicit labeldrop __tmp_.* removes it",
        dunderRules + [r("labeldrop", regex: "__tmp_.*")],
        #"__name__="go_goroutines",job="demo""#, #"__name__="go_goroutines",job="demo""#),
]

@Test(arguments: corpusCases)
func corpusRelabelCases(_ c: RelabelCase) throws { try checkRelabel(c) }
