import AgentConfig
import Foundation
import Testing
import Yams

/// examples/cluster: the config loads, and the StatefulSet's ConfigMap carries the same file.
@Suite("cluster examples")
struct ExampleConfigTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/cluster")
    static let env = ["SLS_ACCESS_KEY_ID": "id", "SLS_ACCESS_KEY_SECRET": "secret"]

    @Test("examples/cluster/promsls.yml loads with its three discovery mechanisms")
    func config() throws {
        let path = Self.dir.appendingPathComponent("promsls.yml").path
        let c = try ConfigLoader.load(file: path, environment: Self.env)
        #expect(c.scrapeConfigs.map(\.jobName) == ["node", "services", "inventory"])
        #expect(c.scrapeConfigs[0].fileSDConfigs.count == 1)
        #expect(c.scrapeConfigs[1].dnsSDConfigs.first?.type == "SRV")
        #expect(c.scrapeConfigs[2].httpSDConfigs.first?.refreshInterval == .seconds(60))
        #expect(c.remoteWrite.count == 1)
    }

    @Test("the StatefulSet's ConfigMap holds examples/cluster/promsls.yml and member-num comes from the pod name")
    func statefulSet() throws {
        let text = try String(contentsOf: Self.dir.appendingPathComponent("statefulset.yaml"), encoding: .utf8)
        let docs = Array(try Yams.load_all(yaml: text))
        let configMap = try #require(docs.first as? [String: Any])
        let embedded = try #require((configMap["data"] as? [String: Any])?["promsls.yml"] as? String)
        let file = try String(contentsOf: Self.dir.appendingPathComponent("promsls.yml"), encoding: .utf8)
        #expect(embedded == file)
        _ = try ConfigLoader.load(yaml: embedded, environment: Self.env)
        #expect(text.contains("--cluster.member-num=$(POD_NAME)"))
        let unit = try String(contentsOf: Self.dir.appendingPathComponent("promsls@.service"), encoding: .utf8)
        #expect(unit.contains("--cluster.member-num=%i") && unit.contains("--cluster.members-count=3"))
    }
}
