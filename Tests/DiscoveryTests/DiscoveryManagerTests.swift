import AgentConfig
import PromModel
import Testing

@testable import Discovery

/// A discoverer that sends what the test sets.
final class FakeDiscoverer: Discoverer, @unchecked Sendable {
    let groups: Box<[TargetGroup]?>
    init(_ groups: [TargetGroup]?) { self.groups = Box(groups) }
    func run(send: @escaping @Sendable ([TargetGroup]) async -> Void) async {
        var last: [TargetGroup]? = nil
        while !Task.isCancelled {
            if let g = groups.value, g != last {
                last = g
                await send(g)
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}

@Suite("discovery manager")
struct DiscoveryManagerTests {
    static func job(_ name: String, files: [String]) -> ScrapeConfig {
        var c = ScrapeConfig(jobName: name)
        c.fileSDConfigs = [FileSDConfig(files: files)]
        return c
    }

    @Test("reload keeps unchanged discoverers with their targets, restarts changed ones, waits for first results")
    func reload() async throws {
        let created = Box<[String]>([])
        let factory: DiscoveryManager.Factory = { job, config in
            guard case .file(let f) = config else { fatalError() }
            created.value.append("\(job):\(f.files[0])")
            return FakeDiscoverer([TargetGroup(source: f.files[0], targets: [Labels(["__address__": f.files[0]])])])
        }
        let updates = Box<[DiscoveredTargets]>([])
        let (metrics, registry) = makeMetrics()
        let m = DiscoveryManager(
            configs: [], metrics: metrics, logger: quietLogger, updateInterval: .milliseconds(20), factory: factory,
            onUpdate: { updates.value.append($0) })

        let s1 = await m.apply([Self.job("a", files: ["a1"]), Self.job("b", files: ["b1"])])
        #expect(s1.byJob["a"]?.map { $0["__address__"] } == ["a1"])
        #expect(s1.byJob["b"]?.map { $0["__address__"] } == ["b1"])
        #expect(created.value == ["a:a1", "b:b1"])
        #expect(metricSum(registry, "prometheus_sd_discovered_targets") == 2)

        let s2 = await m.apply([Self.job("a", files: ["a1"]), Self.job("b", files: ["b2"])])
        #expect(created.value == ["a:a1", "b:b1", "b:b2"], "job a's discoverer is kept")
        #expect(s2.byJob["a"]?.map { $0["__address__"] } == ["a1"])
        #expect(s2.byJob["b"]?.map { $0["__address__"] } == ["b2"])
        #expect(s2.version > s1.version)

        let s3 = await m.apply([Self.job("a", files: ["a1"])])
        #expect(s3.byJob["b"] == nil)
        #expect(created.value.count == 3)
    }

    @Test("run() sends changes, newest version last")
    func updates() async throws {
        let fake = FakeDiscoverer(nil)
        let updates = Box<[DiscoveredTargets]>([])
        let (metrics, _) = makeMetrics()
        let m = DiscoveryManager(
            configs: [Self.job("j", files: ["x"])], metrics: metrics, logger: quietLogger,
            updateInterval: .milliseconds(20), factory: { _, _ in fake }, onUpdate: { updates.value.append($0) })
        let task = Task { try await m.run() }
        defer { task.cancel() }
        fake.groups.value = [TargetGroup(source: "x", targets: [Labels(["__address__": "h:1"])])]
        let got = try await eventually { updates.value.last?.byJob["j"]?.count == 1 ? updates.value : nil }
        fake.groups.value = []
        let got2 = try await eventually { updates.value.last?.byJob["j"]?.isEmpty == true ? updates.value : nil }
        #expect(got != nil && got2 != nil)
        let versions = updates.value.map(\.version)
        #expect(versions == versions.sorted() && Set(versions).count == versions.count)
    }
}
