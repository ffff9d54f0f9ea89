import Foundation
import PromModel
import Testing

/// `promsls --version` and `prometheus_build_info` carry the version of `PromModel.promslsVersion`
/// and the revision and build date the Makefile baked in (`PROMSLS_REVISION`,
/// `PROMSLS_BUILD_DATE`, also in this process's environment under `make test`).
@Suite(.offThePool) struct BuildInfoTests {
    static let env = ProcessInfo.processInfo.environment
    static let revision = env["PROMSLS_REVISION"].flatMap { $0.isEmpty ? nil : $0 } ?? "unknown"
    static let buildDate = env["PROMSLS_BUILD_DATE"].flatMap { $0.isEmpty ? nil : $0 } ?? "unknown"

    @Test("promsls --version prints version, revision and build date as Prometheus lays them out")
    func versionFlag() throws {
        let r = try runToCompletion(try Paths.promsls(), ["--version"])
        #expect(r.status == 0, "exit \(r.status)\n\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "promsls, version \(promslsVersion) (revision: \(Self.revision))", "\(r.stdout)")
        #expect(lines.contains("  build date:       \(Self.buildDate)"), "\(r.stdout)")
        #expect(lines.contains("  platform:         linux/amd64"), "\(r.stdout)")
    }

    @Test("prometheus_build_info and promsls_build_info on /metrics have the same version, revision and build date")
    func buildInfoMetric() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        try await TestHTTP.with { http in
            let agent = try await Promsls.startAgent(dir: dir, http: http, config: "global:\n  scrape_interval: 1m\n")
            defer { agent.child.stop() }
            let body = try await agent.metrics(http)
            for name in ["prometheus_build_info", "promsls_build_info"] {
                let line = body.split(separator: "\n").first { $0.hasPrefix(name + "{") }.map(String.init)
                let value = line?.split(separator: " ").last.flatMap { Double($0) }
                #expect(value == 1, "no \(name) 1 in /metrics:\n\(body.prefix(2000))")
                for label in [
                    "version=\"\(promslsVersion)\"", "revision=\"\(Self.revision)\"",
                    "builddate=\"\(Self.buildDate)\"",
                ] {
                    #expect(line?.contains(label) == true, "\(label) missing in \(line ?? "<none>")")
                }
            }
        }
    }
}
