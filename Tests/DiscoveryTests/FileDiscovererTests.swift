import AgentConfig
import PromModel
import TestSupport
import Testing

@testable import Discovery

@Suite("file_sd", .timeLimit(.minutes(1)))
struct FileDiscovererTests {
    @Test("new, rewritten, broken and deleted files")
    func lifecycle() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let (metrics, registry) = makeMetrics()
        let d = FileDiscoverer(
            config: FileSDConfig(files: [dir.path + "/*.json", dir.path + "/*.yml"]), metrics: metrics,
            logger: quietLogger)
        var state = FileDiscoverer.State()

        d.poll(&state, forceRead: false)
        #expect(state.groups.isEmpty)

        let a = try dir.write("a.json", #"[{"targets": ["a:1"], "labels": {"env": "p"}}]"#)
        let b = try dir.write("b.yml", "- targets: ['b:1', 'b:2']\n")
        try dir.write("ignored.txt", "- targets: ['c:1']\n")
        d.poll(&state, forceRead: false)
        #expect(addresses(state.groups) == ["a:1", "b:1", "b:2"])
        #expect(state.groups.map(\.source) == ["\(a):0", "\(b):0"])
        #expect(state.groups[0].labels == Labels(["env": "p", "__meta_filepath": a]))

        try dir.write("b.yml", "- targets: ['b:3']\n")
        d.poll(&state, forceRead: false)
        #expect(addresses(state.groups) == ["a:1", "b:3"])

        // A broken rewrite keeps the last good targets and is counted once.
        try dir.write("b.yml", "- targets: ['b:4'\n")
        d.poll(&state, forceRead: false)
        d.poll(&state, forceRead: false)
        #expect(addresses(state.groups) == ["a:1", "b:3"])
        #expect(metricSum(registry, "prometheus_sd_file_read_errors_total") == 1)

        // Fixed again.
        try dir.write("b.yml", "- targets: ['b:5']\n")
        d.poll(&state, forceRead: false)
        #expect(addresses(state.groups) == ["a:1", "b:5"])

        try dir.delete("a.json")
        d.poll(&state, forceRead: false)
        #expect(addresses(state.groups) == ["b:5"])
    }

    @Test("a file that is broken from the start has no targets")
    func brokenFromStart() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let (metrics, registry) = makeMetrics()
        let d = FileDiscoverer(
            config: FileSDConfig(files: [dir.path + "/*.json"]), metrics: metrics, logger: quietLogger)
        try dir.write("x.json", "{")
        var state = FileDiscoverer.State()
        d.poll(&state, forceRead: false)
        #expect(state.groups.isEmpty)
        #expect(metricSum(registry, "prometheus_sd_file_read_errors_total") == 1)
    }

    @Test("run() sends changes at the next poll, and only changes")
    func run() async throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let (metrics, _) = makeMetrics()
        let clock = ManualClock()
        let d = FileDiscoverer(
            config: FileSDConfig(files: [dir.path + "/*.json"]), pollInterval: .seconds(1), metrics: metrics,
            logger: quietLogger, clock: clock)
        let sent = EventLog<[TargetGroup]>()
        let task = Task { await d.run { sent.append($0) } }
        defer { task.cancel() }
        #expect(await sent.wait(count: 1)[0] == [])

        try dir.write("t.json", #"[{"targets": ["n:1"]}]"#)
        await clock.sleepers(atLeast: 1)
        clock.advance(by: .milliseconds(999))
        #expect(clock.sleeperCount == 1, "not before the next poll")
        clock.advance(by: .milliseconds(1))
        #expect(await sent.wait(count: 2).map(addresses)[1] == ["n:1"])

        // An unchanged file sends nothing.
        await clock.sleepsStarted(atLeast: 2)
        clock.advance(by: .seconds(1))
        await clock.sleepsStarted(atLeast: 3)
        #expect(sent.count == 2)

        try dir.delete("t.json")
        clock.advance(by: .seconds(1))
        #expect(await sent.wait(count: 3).map(addresses)[2] == [])
    }
}
