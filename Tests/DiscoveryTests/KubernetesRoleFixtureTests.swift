import Foundation
import PromModel
import Testing

@testable import Discovery

// The label sets Prometheus's own Kubernetes discovery tests assert (discovery/kubernetes/
// *_test.go), written down as our own fixtures: the objects the API server holds, the role and
// its options, and every target group the role must yield. Format of
// Fixtures/kubernetes/<role>-<case>.json:
//
//   {"from": "which Prometheus test this mirrors, and what it checks",
//    "role": "pod", "attach_metadata": {"node": false, "namespace": false},
//    "objects": {"pods": [<Pod as the API sends it>], "nodes": [], "namespaces": [], "services": [],
//                "endpoints": [], "endpointslices": [], "ingresses": []},
//    "groups": [{"source": "pod/default/testpod", "labels": {...}, "targets": [{...}, ...]}]}
//
// `groups` lists every group, sorted by source, targets in the order Prometheus yields them.

struct KubernetesFixture: Decodable {
    struct AttachMetadata: Decodable {
        var node: Bool?
        var namespace: Bool?
    }
    struct Objects: Decodable {
        var pods: [KubePod]?
        var nodes: [KubeNode]?
        var namespaces: [KubeNamespace]?
        var services: [KubeService]?
        var endpoints: [KubeEndpoints]?
        var endpointslices: [KubeEndpointSlice]?
        var ingresses: [KubeIngress]?
    }
    struct Group: Decodable {
        var source: String
        var labels: [String: String]?
        var targets: [[String: String]]?
    }
    var from: String
    var role: String
    var attach_metadata: AttachMetadata?
    var objects: Objects
    var groups: [Group]

    var cache: KubeCache {
        var c = KubeCache()
        for o in objects.pods ?? [] { c.pods[o.metadata.key] = o }
        for o in objects.nodes ?? [] { c.nodes[o.metadata.key] = o }
        for o in objects.namespaces ?? [] { c.namespaces[o.metadata.key] = o }
        for o in objects.services ?? [] { c.services[o.metadata.key] = o }
        for o in objects.endpoints ?? [] { c.endpoints[o.metadata.key] = o }
        for o in objects.endpointslices ?? [] { c.endpointSlices[o.metadata.key] = o }
        for o in objects.ingresses ?? [] { c.ingresses[o.metadata.key] = o }
        return c
    }

    var options: KubeRoleOptions {
        KubeRoleOptions(
            attachNode: attach_metadata?.node ?? false, attachNamespace: attach_metadata?.namespace ?? false)
    }

    var expected: [TargetGroup] {
        groups.map { g in
            TargetGroup(
                source: g.source, targets: (g.targets ?? []).map { Labels($0) }, labels: Labels(g.labels ?? [:]))
        }
    }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/kubernetes")

    /// The fixtures of one role (file names `<role>-*.json`).
    static func load(role: String) throws -> [(name: String, fixture: KubernetesFixture)] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasPrefix(role + "-") && $0.hasSuffix(".json") }.sorted()
        return try names.map { name in
            let data = try Data(contentsOf: directory.appendingPathComponent(name))
            do {
                return (name, try JSONDecoder().decode(KubernetesFixture.self, from: data))
            } catch {
                Issue.record("\(name): \(error)")
                throw error
            }
        }
    }
}

/// Checks every fixture of `role`; returns how many there were.
@discardableResult
func checkKubernetesFixtures(role: KubeRole, atLeast minimum: Int) throws -> Int {
    let fixtures = try KubernetesFixture.load(role: role.rawValue)
    #expect(fixtures.count >= minimum, "fixtures of role \(role.rawValue)")
    for (name, f) in fixtures {
        #expect(f.role == role.rawValue, "\(name): role")
        let got = role.groups(cache: f.cache, options: f.options)
        let want = f.expected
        #expect(got.map(\.source) == want.map(\.source), "\(name) (\(f.from)): sources")
        for (g, w) in zip(got, want) where g != w {
            Issue.record(
                """
                \(name) (\(f.from)): group \(w.source) differs
                  got labels:  \(g.labels)
                  want labels: \(w.labels)
                  got targets:  \(g.targets)
                  want targets: \(w.targets)
                """)
        }
    }
    return fixtures.count
}

struct KubernetesRoleFixtureTests {
    @Test func podFixtures() throws { try checkKubernetesFixtures(role: .pod, atLeast: 1) }
    @Test func nodeFixtures() throws { try checkKubernetesFixtures(role: .node, atLeast: 1) }
    @Test func serviceFixtures() throws { try checkKubernetesFixtures(role: .service, atLeast: 1) }
    @Test func ingressFixtures() throws { try checkKubernetesFixtures(role: .ingress, atLeast: 1) }
    @Test func endpointsFixtures() throws { try checkKubernetesFixtures(role: .endpoints, atLeast: 1) }
    @Test func endpointsliceFixtures() throws { try checkKubernetesFixtures(role: .endpointslice, atLeast: 1) }
}

/// The discoverer's incremental rebuild: a change to one primary object rebuilds its group only;
/// the result must be what a full rebuild gives.
struct KubernetesIncrementalTests {
    @Test func oneObjectsGroupRebuiltEqualsAFullRebuild() throws {
        for role in KubeRole.allCases {
            for (name, f) in try KubernetesFixture.load(role: role.rawValue) {
                var cache = f.cache
                var byKey = role.groupsByKey(cache: cache, options: f.options)
                #expect(byKey.values.sorted { $0.source < $1.source } == f.expected, "\(name)")
                // Remove each primary object in turn, then put it back.
                let keys: [String] =
                    switch role {
                    case .node: Array(cache.nodes.keys)
                    case .pod: Array(cache.pods.keys)
                    case .service: Array(cache.services.keys)
                    case .endpoints: Array(cache.endpoints.keys)
                    case .endpointslice: Array(cache.endpointSlices.keys)
                    case .ingress: Array(cache.ingresses.keys)
                    }
                for key in keys {
                    let saved = cache
                    switch role {
                    case .node: cache.nodes[key] = nil
                    case .pod: cache.pods[key] = nil
                    case .service: cache.services[key] = nil
                    case .endpoints: cache.endpoints[key] = nil
                    case .endpointslice: cache.endpointSlices[key] = nil
                    case .ingress: cache.ingresses[key] = nil
                    }
                    byKey[key] = role.group(key: key, cache: cache, options: f.options)
                    #expect(byKey == role.groupsByKey(cache: cache, options: f.options), "\(name) without \(key)")
                    cache = saved
                    byKey[key] = role.group(key: key, cache: cache, options: f.options)
                    #expect(byKey == role.groupsByKey(cache: cache, options: f.options), "\(name) with \(key)")
                }
            }
        }
    }

    @Test func changeSetMergesMarksUntilTaken() {
        let c = KubeChangeSet()
        c.mark(.pods, "default/a")
        c.mark(.pods, "default/b")
        c.mark(.nodes, "n1")
        var taken = c.take()
        #expect(taken.keys[.pods] == ["default/a", "default/b"])
        #expect(taken.resources == [.pods, .nodes])
        #expect(c.take().isEmpty)
        c.mark(.pods, "default/a")
        c.mark(.pods, nil)
        c.mark(.pods, "default/c")
        taken = c.take()
        #expect(taken.everything == [.pods] && taken.keys.isEmpty)
    }
}
