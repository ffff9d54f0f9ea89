// End-to-end tests of target discovery and live reload: file_sd files rewritten while the
// agent runs, 20 reloads (half invalid) while node_exporter is scraped every second into a
// real Prometheus, and three agents splitting 30 targets with --cluster.*.

import AsyncHTTPClient
import Foundation
import Testing

/// A `remote_write:` list entry (indented under `remote_write:`) with short send timings.
func sdRemoteWrite(_ url: String) -> String {
    """
      - url: \(yamlQuote(url))
        queue_config:
          batch_send_deadline: 500ms
          min_backoff: 100ms
          max_backoff: 1s
    """
}

/// The agent's active targets: one label dictionary each.
func activeTargets(_ http: TestHTTP, _ agent: Promsls) async throws -> [[String: String]] {
    let r = try await http.get(agent.base + "/api/v1/targets")
    guard r.status == 200, let obj = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any],
        let data = obj["data"] as? [String: Any], let active = data["activeTargets"] as? [[String: Any]]
    else { throw IntegrationError("/api/v1/targets: HTTP \(r.status): \(r.body.prefix(300))") }
    return active.map { ($0["labels"] as? [String: String]) ?? [:] }
}

/// Samples of a range selector (`metric[range]`) at `time`: series labels → (timestamp ms, value).
func rangeQuery(_ http: TestHTTP, _ base: String, _ promql: String, at time: Double) async throws
    -> [(metric: [String: String], samples: [(Int64, Double)])]
{
    var comps = URLComponents(string: base + "/api/v1/query")!
    comps.queryItems = [
        URLQueryItem(name: "query", value: promql), URLQueryItem(name: "time", value: String(format: "%.3f", time)),
    ]
    let r = try await http.get(comps.url!.absoluteString.replacingOccurrences(of: "+", with: "%2B"))
    guard r.status == 200, let obj = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any],
        let data = obj["data"] as? [String: Any], data["resultType"] as? String == "matrix",
        let result = data["result"] as? [[String: Any]]
    else { throw IntegrationError("query \(promql): HTTP \(r.status): \(r.body.prefix(300))") }
    return result.map { item in
        let metric = item["metric"] as? [String: String] ?? [:]
        let values = (item["values"] as? [[Any]] ?? []).compactMap { pair -> (Int64, Double)? in
            guard pair.count == 2, let t = pair[0] as? Double, let s = pair[1] as? String, let v = Double(s) else {
                return nil
            }
            return (Int64((t * 1000).rounded()), v)
        }
        return (metric, values)
    }
}

/// POSTs `/-/reload`; returns the HTTP status.
func postReload(_ http: TestHTTP, _ agent: Promsls) async throws -> Int {
    var req = HTTPClientRequest(url: agent.base + "/-/reload")
    req.method = .POST
    let resp = try await http.client.execute(req, timeout: .seconds(30))
    _ = try await resp.body.collect(upTo: 1 << 20)
    return Int(resp.status.code)
}

@Suite("discovery and reload end to end", .serialized, .offThePool, .timeLimit(.minutes(5)))
struct DiscoveryIntegrationTests {

    @Test("file_sd: targets follow file writes, rewrites and deletes; broken files keep the last good targets")
    func fileSD() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let sd = try dir.subdir("sd")
        try await TestHTTP.with { http in
            let prom = try await PrometheusReceiver.start(dir: dir, http: http)
            defer { prom.child.stop() }
            let node = try await NodeExporter.start(dir: dir, http: http)
            defer { node.child.stop() }
            let other = "localhost:\(node.port)"
            try dir.write("sd/a.json", #"[{"targets": ["\#(node.address)"], "labels": {"group": "a"}}]"#)
            let refresh: Duration = .seconds(10)
            let config = """
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                scrape_configs:
                  - job_name: files
                    file_sd_configs:
                      - files: [\(yamlQuote(sd + "/*.json")), \(yamlQuote(sd + "/*.yml"))]
                        refresh_interval: 10s
                remote_write:
                \(sdRemoteWrite(prom.writeURL))
                """
            let agent = try await Promsls.startAgent(dir: dir, http: http, config: config)
            defer { agent.child.stop() }
            let logs = { agent.child.tail() }
            func instances() async throws -> Set<String> {
                Set(try await activeTargets(http, agent).compactMap { $0["instance"] })
            }

            _ = try await eventually(
                "a.json's target active", timeout: refresh, interval: .milliseconds(100), context: logs
            ) {
                try await instances() == [node.address] ? true : nil
            }
            // A new YAML file: its target appears within one refresh, with its group's labels.
            try dir.write("sd/b.yml", "- targets: [\(yamlQuote(other))]\n  labels:\n    group: b\n")
            _ = try await eventually(
                "b.yml's target active", timeout: refresh, interval: .milliseconds(100), context: logs
            ) {
                try await instances() == [node.address, other] ? true : nil
            }
            let groups = Set(try await activeTargets(http, agent).compactMap { $0["group"] })
            #expect(groups == ["a", "b"])
            _ = try await eventually("up for b.yml's target in Prometheus", timeout: .seconds(30), context: logs) {
                try await http.query(prom.base, #"up{instance="\#(other)"}"#).first?.value == 1 ? true : nil
            }

            // Broken rewrite: error counted, both targets stay and keep being scraped.
            try dir.write("sd/b.yml", "- targets: [\(yamlQuote(other))\n")
            _ = try await eventually(
                "file read error counted", timeout: refresh, interval: .milliseconds(100), context: logs
            ) {
                TextBody.sum(try await agent.metrics(http), "prometheus_sd_file_read_errors_total") >= 1 ? true : nil
            }
            let afterBreak = Date().timeIntervalSince1970
            _ = try await eventually("scrapes of b.yml's target after the break", timeout: .seconds(20), context: logs)
            {
                let r = try await rangeQuery(
                    http, prom.base, #"up{instance="\#(other)"}[30s]"#, at: Date().timeIntervalSince1970)
                return (r.first?.samples.filter { Double($0.0) / 1000 > afterBreak + 1 }.count ?? 0) >= 2 ? true : nil
            }
            #expect(try await instances() == [node.address, other], "a broken file keeps its last good targets")
            #expect(
                agent.child.stderr.contains("b.yml") && agent.child.stderr.contains("line=2"),
                "the error names the file and line")

            // A fixed rewrite that moves the group's label, then a delete.
            try dir.write("sd/b.yml", "- targets: [\(yamlQuote(other))]\n  labels:\n    group: c\n")
            _ = try await eventually("b.yml's new label", timeout: refresh, interval: .milliseconds(100), context: logs)
            {
                Set(try await activeTargets(http, agent).compactMap { $0["group"] }) == ["a", "c"] ? true : nil
            }
            try FileManager.default.removeItem(atPath: sd + "/b.yml")
            _ = try await eventually(
                "b.yml's target gone", timeout: refresh, interval: .milliseconds(100), context: logs
            ) {
                try await instances() == [node.address] ? true : nil
            }
            // Staleness markers: the series ends now rather than lingering for 5 minutes.
            _ = try await eventually(
                "up{instance=\(other)} marked stale in Prometheus", timeout: .seconds(30), context: logs
            ) {
                try await http.query(prom.base, #"up{instance="\#(other)"}"#).isEmpty ? true : nil
            }
            let stillA = try await http.query(prom.base, #"up{instance="\#(node.address)"}"#)
            #expect(stillA.first?.value == 1, "the other file's target is still scraped")
            let m = try await agent.metrics(http)
            #expect(
                m.contains(#"prometheus_sd_discovered_targets{config="files",name="scrape"} 1"#),
                "discovered targets gauge")
        }
    }

    @Test("reload under load: 20 reloads (10 invalid) lose and repeat no sample of an unchanged target")
    func reloadUnderLoad() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        try await TestHTTP.with { http in
            let prom = try await PrometheusReceiver.start(dir: dir, http: http)
            defer { prom.child.stop() }
            let node = try await NodeExporter.start(dir: dir, http: http)
            defer { node.child.stop() }
            func config(extraJob: Bool, timeout: String) -> String {
                var s = """
                    global:
                      scrape_interval: 1s
                    scrape_configs:
                      - job_name: node
                        scrape_timeout: \(timeout)
                        static_configs:
                          - targets: [\(yamlQuote(node.address))]

                    """
                if extraJob {
                    s += """
                          - job_name: extra
                            static_configs:
                              - targets: [\(yamlQuote("localhost:\(node.port)"))]

                        """
                }
                return s + "remote_write:\n" + sdRemoteWrite(prom.writeURL) + "\n"
            }
            let agent = try Promsls.launchAgent(
                dir: dir, config: config(extraJob: false, timeout: "1s"), extraArgs: ["--web.enable-lifecycle"])
            defer { agent.child.stop() }
            try await agent.waitHealthy(http)
            let configPath = dir.file("promsls-\(agent.port).yml")
            let logs = { agent.child.tail() }
            _ = try await eventually("node scraped into Prometheus", timeout: .seconds(30), context: logs) {
                try await http.query(prom.base, #"up{job="node"}"#).first?.value == 1 ? true : nil
            }
            let start = Date().timeIntervalSince1970

            let invalid = [
                "scrape_configs: [\n", "global:\n  scrape_interval: 1x\n",
                "scrape_configs:\n  - job_name: a\n    bogus: 1\n",
                "scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - action: keep\n        regex: '('\n",
                "rule_files: [\"a/*/b.yml\"]\n",
            ]
            var valid = 0
            var refused = 0
            for i in 0..<20 {
                if i % 2 == 0 {
                    // Valid: add or remove a job, or change the node job's scrape_timeout
                    // (a new pool whose loop takes over between two scrapes).
                    let text = config(extraJob: (i / 2) % 2 == 0, timeout: (i / 2) % 3 == 1 ? "900ms" : "1s")
                    try text.write(toFile: configPath, atomically: true, encoding: .utf8)
                    let status = try await postReload(http, agent)
                    #expect(status == 200, "valid reload \(i) answered \(status)\n\(logs())")
                    let m = try await agent.metrics(http)
                    #expect(TextBody.value(m, "prometheus_config_last_reload_successful") == 1)
                    valid += 1
                } else {
                    try invalid[(i / 2) % invalid.count].write(toFile: configPath, atomically: true, encoding: .utf8)
                    let status = try await postReload(http, agent)
                    #expect(status >= 400, "invalid reload \(i) answered \(status)")
                    let m = try await agent.metrics(http)
                    #expect(TextBody.value(m, "prometheus_config_last_reload_successful") == 0)
                    refused += 1
                }
                // Let two scrapes of the node target happen before the next reload.
                let mark = Date().timeIntervalSince1970 * 1000 + 1000
                _ = try await eventually(
                    "two node scrapes after reload \(i)", timeout: .seconds(10), interval: .milliseconds(100),
                    context: logs
                ) {
                    () -> Bool? in
                    let r = try await http.get(agent.base + "/api/v1/targets")
                    guard let obj = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any],
                        let data = obj["data"] as? [String: Any], let active = data["activeTargets"] as? [[String: Any]]
                    else { return nil }
                    let node = active.first { ($0["labels"] as? [String: String])?["job"] == "node" }
                    guard let last = node?["lastScrape"] as? String,
                        let d = ISO8601DateFormatter.withFractions.date(from: last)
                    else { return nil }
                    return d.timeIntervalSince1970 * 1000 > mark ? true : nil
                }
            }
            let end = Date().timeIntervalSince1970
            #expect(valid == 10 && refused == 10)

            // Wait until Prometheus has the samples up to the end, then read them all.
            let window = Int(end - start) + 3
            let series = try await eventually(
                "samples up to the end in Prometheus", timeout: .seconds(30), context: logs
            ) {
                let r = try await rangeQuery(
                    http, prom.base, #"scrape_duration_seconds{job="node"}[\#(window)s]"#, at: end + 2)
                guard r.count == 1, let last = r[0].samples.last, Double(last.0) / 1000 >= end else {
                    return nil as [(Int64, Double)]?
                }
                return r[0].samples
            }
            let inRun = series.filter { Double($0.0) / 1000 >= start && Double($0.0) / 1000 <= end }
            let steps = zip(inRun, inRun.dropFirst()).map { $1.0 - $0.0 }
            let gaps = steps.filter { $0 > 1000 }
            let duplicates = steps.filter { $0 == 0 }
            print(
                "reload under load: \(valid) valid + \(refused) invalid reloads over \(Int(end - start)) s; \(inRun.count) node scrapes compared; gaps \(gaps.count) \(gaps); duplicates \(duplicates.count); irregular steps \(steps.filter { $0 != 1000 })"
            )
            #expect(inRun.count >= Int(end - start) - 1, "\(inRun.count) samples over \(end - start) s")
            #expect(gaps.isEmpty, "gaps between node scrapes (ms): \(gaps)")
            #expect(steps.allSatisfy { $0 == 1000 }, "every step is one interval: \(steps.filter { $0 != 1000 })")
            let m = try await agent.metrics(http)
            #expect(
                TextBody.sum(m, "prometheus_remote_storage_samples_failed_total") == 0,
                "duplicates would be refused by Prometheus (400)")
            #expect(TextBody.sum(m, "prometheus_remote_storage_samples_dropped_total") == 0)
            let ups = try await rangeQuery(http, prom.base, #"up{job="node"}[\#(window)s]"#, at: end + 2)
            #expect(ups.count == 1 && ups[0].samples.allSatisfy { $0.1 == 1 }, "node up all along")
        }
    }

    @Test("cluster split: 3 agents over 30 targets, each target scraped by exactly one")
    func clusterSplit() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        try await TestHTTP.with { http in
            let prom = try await PrometheusReceiver.start(dir: dir, http: http)
            defer { prom.child.stop() }
            let node = try await NodeExporter.start(dir: dir, http: http)
            defer { node.child.stop() }
            let groups = (0..<30).map { i in
                "      - targets: [\(yamlQuote(node.address))]\n        labels:\n          idx: \"\(i)\""
            }.joined(separator: "\n")
            let config = """
                global:
                  scrape_interval: 5s
                scrape_configs:
                  - job_name: split
                    static_configs:
                \(groups)
                remote_write:
                \(sdRemoteWrite(prom.writeURL))
                """
            // Member numbers as a number and as a StatefulSet pod name.
            let nums = ["0", "1", "promsls-2"]
            var agents: [Promsls] = []
            defer { for a in agents { a.child.stop() } }
            for (i, n) in nums.enumerated() {
                agents.append(
                    try Promsls.launchAgent(
                        dir: dir, name: "member\(i)", config: config,
                        extraArgs: ["--cluster.members-count=3", "--cluster.member-num=\(n)"]))
            }
            for a in agents { try await a.waitHealthy(http) }
            var owned: [Set<String>] = []
            for a in agents { owned.append(Set(try await activeTargets(http, a).compactMap { $0["idx"] })) }
            let union = owned.reduce(Set<String>()) { $0.union($1) }
            let total = owned.map(\.count).reduce(0, +)
            print("cluster split: targets per agent \(owned.map(\.count)), union \(union.count), total \(total)")
            #expect(
                union == Set((0..<30).map(String.init)),
                "no gap: \(Set((0..<30).map(String.init)).subtracting(union).sorted())")
            #expect(total == 30, "no overlap: per agent \(owned.map(\.count))")
            #expect(owned.allSatisfy { !$0.isEmpty })

            // And Prometheus receives all 30 from the three agents together.
            _ = try await eventually("30 idx series in Prometheus", timeout: .seconds(40)) {
                let r = try await http.query(prom.base, #"count(up{job="split"} == 1)"#)
                return r.first?.value == 30 ? true : nil
            }
        }
    }
}

extension ISO8601DateFormatter {
    nonisolated(unsafe) static let withFractions: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()
}
