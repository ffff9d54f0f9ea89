import AgentConfig
import PromModel
import Relabel
import Testing

@testable import Notifier

@Suite struct AlertmanagerURLTests {
    /// `path.Join("/", path_prefix, "/api/v2/alerts")`, as Prometheus's `postPath`.
    @Test(arguments: [
        ("/", "/api/v2/alerts"),
        ("", "/api/v2/alerts"),
        ("alertmanager", "/alertmanager/api/v2/alerts"),
        ("/alertmanager/", "/alertmanager/api/v2/alerts"),
        ("//a//b/", "/a/b/api/v2/alerts"),
        ("/a/./b/../c", "/a/c/api/v2/alerts"),
        ("/../..", "/api/v2/alerts"),
    ])
    func pathPrefixJoinsAsGoPathJoin(prefix: String, path: String) {
        #expect(Alertmanager.alertsPath(prefix: prefix) == path)
    }

    private func resolve(
        _ discovered: [Labels], scheme: String = "http", prefix: String = "/", rules: [RelabelRuleConfig] = []
    ) throws -> AlertmanagerResolution {
        AlertmanagerResolution(
            discovered: discovered, scheme: scheme, pathPrefix: prefix,
            relabel: try RuleCompiler.compile(rules, keyPath: "relabel_configs"))
    }

    @Test func urlFromSchemeAddressAndPath() throws {
        let r = try resolve([Labels(["__address__": "am-1:9093"])], scheme: "https", prefix: "/am")
        #expect(r.active.map(\.url) == ["https://am-1:9093/am/api/v2/alerts"])
        #expect(
            r.active.first?.labels
                == Labels(["__address__": "am-1:9093", "__alerts_path__": "/am/api/v2/alerts", "__scheme__": "https"]))
    }

    /// `__scheme__`, `__address__` and `__alerts_path__` are set before relabeling and read
    /// after it, so rules can rewrite all three; the config's scheme wins over a discovered one.
    @Test func relabelingRewritesTheURL() throws {
        let r = try resolve(
            [Labels(["__address__": "10.0.0.1:9093", "__meta_port": "9443", "__scheme__": "ftp"])],
            rules: [
                rule(
                    "replace", source: ["__address__", "__meta_port"], regex: "([^:]+):\\d+;(\\d+)",
                    target: "__address__", replacement: "$1:$2"),
                rule("replace", target: "__scheme__", replacement: "https"),
                rule(
                    "replace", source: ["__alerts_path__"], regex: "(.*)", target: "__alerts_path__",
                    replacement: "/proxy$1"),
            ])
        #expect(r.active.map(\.url) == ["https://10.0.0.1:9443/proxy/api/v2/alerts"])
    }

    @Test func droppedAlertmanagersKeepTheirLabelsBeforeRelabeling() throws {
        let r = try resolve(
            [
                Labels(["__address__": "keep:9093", "role": "am"]),
                Labels(["__address__": "drop:9093", "role": "other"]),
            ], prefix: "/x", rules: [rule("keep", source: ["role"], regex: "am")])
        #expect(r.active.map(\.url) == ["http://keep:9093/x/api/v2/alerts"])
        #expect(r.dropped.map(\.url) == ["http://drop:9093/x/api/v2/alerts"])
        #expect(r.dropped.first?.labels["role"] == "other")
    }

    @Test func duplicatesAreSentToOnceAndBadAddressesSkipped() throws {
        let r = try resolve(
            [
                Labels(["__address__": "a:9093", "zone": "1"]),
                Labels(["__address__": "a:9093", "zone": "2"]),
                Labels(["__address__": "a:9093/path"]),
                Labels(["zone": "no-address"]),
                Labels(["__address__": "b:9093"]),
            ])
        #expect(r.active.map(\.url) == ["http://a:9093/api/v2/alerts", "http://b:9093/api/v2/alerts"])
        #expect(r.invalid.count == 2)
    }

    @Test(arguments: [
        ("http", "h:1", "/api/v2/alerts", "http://h:1/api/v2/alerts"),
        ("http", "h:1", "api", "http://h:1/api"),
        ("http", "[::1]:9093", "/a b/%/api", "http://[::1]:9093/a%20b/%25/api"),
    ])
    func urlStringAsGo(scheme: String, host: String, path: String, url: String) {
        #expect(Alertmanager.url(scheme: scheme, host: host, path: path) == url)
    }

    @Test func staticConfigsBecomeLabelSets() {
        let sets = AlertmanagerResolution.staticLabelSets([
            StaticConfig(targets: ["a:1", "b:2"], labels: Labels(["dc": "x"])), StaticConfig(targets: ["c:3"]),
        ])
        #expect(
            sets == [
                Labels(["__address__": "a:1", "dc": "x"]), Labels(["__address__": "b:2", "dc": "x"]),
                Labels(["__address__": "c:3"]),
            ])
    }
}
