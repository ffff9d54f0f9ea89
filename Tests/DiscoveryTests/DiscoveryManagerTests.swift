import AgentConfig
import PromModel
import TestSupport
import Testing

@testable import Discovery

@Suite("discovery manager", .timeLimit(.minutes(1)))
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
        let (metrics, registry) = makeMetrics()
        // The manual clock never moves: a reload returns because the first results came, not
        // because its 5 s wait ran out.
        let m = DiscoveryManager(
            configs: [], metrics: metrics, logger: quietLogger, updateInterval: .milliseconds(20),
            clock: ManualClock(), factory: factory, onUpdate: { _ in })

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

    @Test("run() sends changes once per update interval, newest version last, nothing when unchanged")
    func updates() async throws {
        let fake = FakeDiscoverer(nil)
        let updates = EventLog<DiscoveredTargets>()
        let (metrics, _) = makeMetrics()
        let clock = ManualClock()
        let m = DiscoveryManager(
            configs: [Self.job("j", files: ["x"])], metrics: metrics, logger: quietLogger,
            updateInterval: .seconds(5), clock: clock, factory: { _, _ in fake }, onUpdate: { updates.append($0) })
        let task = Task { try await m.run() }
        defer { task.cancel() }

        // Starting the discoverer is a change: the first tick sends the (empty) snapshot.
        await clock.sleepers(atLeast: 1)
        clock.advance(by: .seconds(5))
        await updates.wait(count: 1)

        fake.send([TargetGroup(source: "x", targets: [Labels(["__address__": "h:1"])])])
        await fake.delivered.wait(count: 1)
        await clock.sleepers(atLeast: 1)
        clock.advance(by: .milliseconds(4999))
        #expect(updates.count == 1 && clock.sleeperCount == 1, "changes wait for the update interval")
        clock.advance(by: .milliseconds(1))
        let got = await updates.wait(count: 2)
        #expect(got[1].byJob["j"]?.map { $0["__address__"] } == ["h:1"])

        // A tick with nothing new sends nothing.
        await clock.sleepsStarted(atLeast: 3)
        clock.advance(by: .seconds(5))
        await clock.sleepsStarted(atLeast: 4)
        #expect(updates.count == 2)

        fake.send([])
        await fake.delivered.wait(count: 2)
        clock.advance(by: .seconds(5))
        let got2 = await updates.wait(count: 3)
        #expect(got2[2].byJob["j"]?.isEmpty == true)
        let versions = got2.map(\.version)
        #expect(versions == versions.sorted() && Set(versions).count == versions.count)
    }
}
