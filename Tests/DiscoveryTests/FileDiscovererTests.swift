import AgentConfig
import PromModel
import Testing

@testable import Discovery

@Suite("file_sd")
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

    @Test("run() sends changes as they happen")
    func run() async throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let (metrics, _) = makeMetrics()
        let d = FileDiscoverer(
            config: FileSDConfig(files: [dir.path + "/*.json"]), pollInterval: .milliseconds(50), metrics: metrics,
            logger: quietLogger)
        let last = Box<[TargetGroup]?>(nil)
        let task = Task { await d.run { last.value = $0 } }
        defer { task.cancel() }
        #expect(try await eventually { last.value } == [])
        try dir.write("t.json", #"[{"targets": ["n:1"]}]"#)
        #expect(try await eventually { last.value.map(addresses) == ["n:1"] ? true : nil } == true)
        try dir.delete("t.json")
        #expect(try await eventually { last.value.map(addresses) == [] ? true : nil } == true)
    }
}
