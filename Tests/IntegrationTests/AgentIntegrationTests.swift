// End-to-end tests of the promsls binary against real peers from Debian: node_exporter as the
// scrape target, Prometheus 2.42 as the remote-write receiver (plain and HTTPS + basic auth),
// and promsls's own `receive` command. Every peer listens on 127.0.0.1 on a free port, keeps
// its data in a temporary directory and is stopped by PID at the end (senders first).

import Foundation
import Testing

/// The report series Prometheus adds per target, which promsls must add too.
let reportSeries: Set<String> = [
    "up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
]

/// An agent config with one `node` job scraping `targets` every 2 s and one remote write.
func agentConfig(targets: [String], job: String = "node", remoteWrite: String) -> String {
    """
    global:
      scrape_interval: 2s
      scrape_timeout: 2s
    scrape_configs:
      - job_name: \(job)
        static_configs:
          - targets: [\(targets.map { yamlQuote($0) }.joined(separator: ", "))]
    remote_write:
    \(remoteWrite)
    """
}

/// A `remote_write` entry (indented for `agentConfig`) with a 1 s send deadline.
func remoteWriteEntry(url: String, extra: String = "") -> String {
    var s = """
          - url: \(yamlQuote(url))
            queue_config:
              batch_send_deadline: 1s
              min_backoff: 100ms
              max_backoff: 1s
        """
    if !extra.isEmpty { s += "\n" + extra }
    return s
}

@Suite("promsls end to end", .serialized, .offThePool, .timeLimit(.minutes(5)))
struct AgentIntegrationTests {

    // 1. node_exporter → promsls → Prometheus: the same series names and values arrive.
    @Test("node_exporter samples reach a real Prometheus unchanged")
    func nodeExporterToPrometheus() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        try await TestHTTP.with { http in
            let prom = try await PrometheusReceiver.start(dir: dir, http: http)
            defer { prom.child.stop() }
            let node = try await NodeExporter.start(dir: dir, http: http)
            defer { node.child.stop() }
            let agent = try await Promsls.startAgent(
                dir: dir, http: http,
                config: agentConfig(targets: [node.address], remoteWrite: remoteWriteEntry(url: prom.writeURL)))
            defer { agent.child.stop() }
            let logs = { agent.child.tail() + "\n" + prom.child.tail() }

            // A few scrapes have been delivered.
            _ = try await eventually("at least 3 scrapes of up{job=\"node\"} in Prometheus", context: logs) {
                let r = try await http.query(prom.base, #"count_over_time(up{job="node"}[1m])"#)
                return (r.first?.value ?? 0) >= 3 ? true : nil
            }
            let up = try await http.query(prom.base, #"up{job="node"}"#)
            #expect(up.count == 1, "one up series for the node job: \(up)")
            #expect(up.first?.value == 1, "up{job=\"node\"} is \(up.first?.value ?? .nan)\n\(logs())")
            #expect(up.first?.metric["instance"] == node.address)

            // The names the exporter serves, from two fetches: names in both are stable.
            let body1 = try await node.body(http)
            let body2 = try await node.body(http)
            let stable = TextBody.names(body1).intersection(TextBody.names(body2))

            // Poll until a scrape after our fetches has delivered every stable name (or 30 s).
            let wanted = stable.union(reportSeries)
            var names = Set<String>()
            let deadline = ContinuousClock.now + .seconds(30)
            while true {
                let r = try await http.query(prom.base, #"group by (__name__) ({job="node"})"#)
                names = Set(r.compactMap { $0.metric["__name__"] })
                if wanted.isSubset(of: names) || ContinuousClock.now >= deadline { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            // A third fetch, so that a name that came and went around the scrape is known.
            let body3 = try await node.body(http)
            let seen = TextBody.names(body1).union(TextBody.names(body2)).union(TextBody.names(body3))
            let volatile = seen.subtracting(stable)
            let missing = wanted.subtracting(names)
            let extra = names.subtracting(seen).subtracting(reportSeries)
            #expect(
                missing.isEmpty, "names in node_exporter's body but not in Prometheus: \(missing.sorted())\n\(logs())")
            #expect(extra.isEmpty, "names in Prometheus that node_exporter never served: \(extra.sorted())")
            print(
                "test 1: \(names.count) names in Prometheus for job=node, \(stable.count) stable exporter names, volatile: \(volatile.sorted())"
            )

            // A value that does not move: the boot time.
            let boot = try #require(
                TextBody.value(body1, "node_boot_time_seconds"), "node_exporter serves node_boot_time_seconds")
            let got = try await http.query(prom.base, #"node_boot_time_seconds{job="node"}"#)
            #expect(got.count == 1)
            #expect(
                abs((got.first?.value ?? 0) - boot) < 1e-6,
                "node_boot_time_seconds: Prometheus \(got.first?.value ?? .nan), exporter \(boot)")

            // scrape_samples_scraped counts the exporter's samples (the body varies a little).
            let scraped = try await http.query(prom.base, #"scrape_samples_scraped{job="node"}"#)
            let bodyCount = Double(TextBody.samples(body1).count)
            let s = scraped.first?.value ?? 0
            #expect(
                abs(s - bodyCount) <= max(10, bodyCount * 0.05),
                "scrape_samples_scraped \(s) vs \(bodyCount) samples in the body")

            // The agent's own counters agree that samples went out.
            let m = try await agent.metrics(http)
            #expect(
                TextBody.sum(m, "prometheus_remote_storage_samples_total") > 0,
                "prometheus_remote_storage_samples_total > 0")
            #expect(
                m.contains("prometheus_remote_storage_samples_total{remote_name=")
                    && m.contains("url=\"\(prom.writeURL)\""),
                "prometheus_remote_storage_samples_total carries remote_name and url labels")
            #expect(TextBody.sum(m, "prometheus_remote_storage_samples_failed_total") == 0)
            #expect(TextBody.sum(m, "prometheus_remote_storage_samples_dropped_total") == 0)

            // SIGTERM is a graceful stop with status 0.
            let stopStart = ContinuousClock.now
            let status = agent.child.stop()
            let stopTook = ContinuousClock.now - stopStart
            #expect(stopTook < .seconds(8), "graceful stop with --shutdown-timeout=5s took \(stopTook)")
            #expect(
                status == 0,
                "promsls exit status after SIGTERM: \(status.map(String.init) ?? "still running")\n\(agent.child.tail())"
            )
        }
    }

    // 2. HTTPS + basic auth to a real Prometheus: the right password delivers, a wrong one is
    //    a 401 drop that the agent counts and survives.
    @Test("HTTPS with basic auth: delivered with the right password, dropped with a wrong one")
    func tlsAndBasicAuth() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let (cert, key) = try Credentials.selfSignedCert(in: dir)
        let hash = try Credentials.bcrypt("s3cret")
        let webConfig = """
            tls_server_config:
              cert_file: \(yamlQuote(cert))
              key_file: \(yamlQuote(key))
            basic_auth_users:
              writer: \(yamlQuote(hash))
            """
        try await TestHTTP.with(caFile: cert, basicAuth: ("writer", "s3cret")) { secure in
            try await TestHTTP.with { http in
                let prom = try await PrometheusReceiver.start(dir: dir, http: secure, webConfig: webConfig)
                defer { prom.child.stop() }
                // The receiver really wants the password.
                let anon = try await TestHTTP.with(caFile: cert) { try await $0.get(prom.base + "/-/ready").status }
                #expect(anon == 401, "Prometheus without credentials answers \(anon)")

                let node = try await NodeExporter.start(dir: dir, http: http)
                defer { node.child.stop() }

                func rw(_ password: String) -> String {
                    remoteWriteEntry(
                        url: prom.writeURL,
                        extra: """
                                basic_auth:
                                  username: writer
                                  password: \(yamlQuote(password))
                                tls_config:
                                  ca_file: \(yamlQuote(cert))
                            """)
                }
                let good = try await Promsls.startAgent(
                    dir: dir, http: http, name: "promsls-good",
                    config: agentConfig(targets: [node.address], job: "node-good", remoteWrite: rw("s3cret")))
                defer { good.child.stop() }
                let bad = try await Promsls.startAgent(
                    dir: dir, http: http, name: "promsls-bad",
                    config: agentConfig(targets: [node.address], job: "node-bad", remoteWrite: rw("wr0ng-pa55")))
                defer { bad.child.stop() }

                let up = try await eventually(
                    "up{job=\"node-good\"} over HTTPS + basic auth",
                    context: { good.child.tail() + "\n" + prom.child.tail() }
                ) { () -> Double? in
                    try await secure.query(prom.base, #"up{job="node-good"}"#).first?.value
                }
                #expect(up == 1)
                let gm = try await eventually("promsls-good to count sent samples", timeout: .seconds(10)) {
                    () -> String? in
                    let m = try await good.metrics(http)
                    return TextBody.sum(m, "prometheus_remote_storage_samples_total") > 0 ? m : nil
                }
                #expect(
                    TextBody.sum(gm, "prometheus_remote_storage_samples_failed_total") == 0,
                    "promsls-good failed samples")
                #expect(
                    TextBody.sum(gm, "prometheus_remote_storage_samples_dropped_total") == 0,
                    "promsls-good dropped samples")
                #expect(!good.child.stderr.contains("s3cret"), "the password must never be logged")

                // The wrong password: a 401 in the log, samples counted as dropped or failed.
                _ = try await eventually(
                    "promsls-bad to log a 401", timeout: .seconds(30), context: { bad.child.tail() }
                ) {
                    bad.child.stderr.contains("401") ? true : nil
                }
                let lost = try await eventually(
                    "promsls-bad to count dropped/failed samples", timeout: .seconds(30), context: { bad.child.tail() }
                ) {
                    () -> Double? in
                    let m = try await bad.metrics(http)
                    let n =
                        TextBody.sum(m, "prometheus_remote_storage_samples_dropped_total")
                        + TextBody.sum(m, "prometheus_remote_storage_samples_failed_total")
                    return n > 0 ? n : nil
                }
                #expect(lost > 0)
                let badLine = bad.child.stderr.split(separator: "\n").first { $0.contains("401") } ?? ""
                print("test 2: promsls-bad: \(lost) samples dropped/failed; log: \(badLine)")
                #expect(!bad.child.stderr.contains("wr0ng-pa55"), "the password must never be logged")

                // Nothing of the bad agent reached Prometheus; it is still alive.
                let leaked = try await secure.query(prom.base, #"up{job="node-bad"}"#)
                #expect(leaked.isEmpty, "samples of the wrong-password agent in Prometheus: \(leaked)")
                #expect(bad.child.isRunning, "promsls-bad exited after 401s\n\(bad.child.tail())")
                let healthy = try await http.get(bad.base + "/-/healthy")
                #expect(healthy.status == 200)
                // The web server's own headers: the Date of this second (RFC 9110), the server name.
                #expect(healthy.headers["server"] == "promsls")
                let f = DateFormatter()
                f.locale = Locale(identifier: "en_US_POSIX")
                f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
                f.timeZone = TimeZone(identifier: "GMT")
                let date = healthy.headers["date"].flatMap { f.date(from: $0) }
                #expect(
                    date.map { abs($0.timeIntervalSinceNow) < 5 } == true, "Date: \(healthy.headers["date"] ?? "none")")
            }
        }
    }

    // 3. A down target: up == 0 for it, the other target of the job keeps flowing.
    @Test("a down target reports up == 0 while the healthy one keeps flowing")
    func downTarget() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        try await TestHTTP.with { http in
            let prom = try await PrometheusReceiver.start(dir: dir, http: http)
            defer { prom.child.stop() }
            let node = try await NodeExporter.start(dir: dir, http: http)
            defer { node.child.stop() }
            let closed = "127.0.0.1:\(try Ports.free())"  // nothing listens there
            let agent = try await Promsls.startAgent(
                dir: dir, http: http,
                config: agentConfig(targets: [node.address, closed], remoteWrite: remoteWriteEntry(url: prom.writeURL)))
            defer { agent.child.stop() }
            let logs = { agent.child.tail() + "\n" + prom.child.tail() }

            let ups = try await eventually("up for both targets, 2 scrapes each", context: logs) {
                () -> [String: Double]? in
                let n = try await http.query(prom.base, #"count_over_time(up{job="node"}[1m]) >= 2"#)
                guard n.count == 2 else { return nil }
                let r = try await http.query(prom.base, #"up{job="node"}"#)
                return Dictionary(r.map { ($0.metric["instance"] ?? "", $0.value) }, uniquingKeysWith: { a, _ in a })
            }
            #expect(ups[closed] == 0, "up{instance=\"\(closed)\"} = \(ups[closed] ?? .nan)")
            #expect(ups[node.address] == 1, "up{instance=\"\(node.address)\"} = \(ups[node.address] ?? .nan)")

            // The healthy target keeps delivering its series.
            let load = try await http.query(prom.base, #"node_load1{job="node"}"#)
            #expect(load.count == 1 && load.first?.metric["instance"] == node.address, "node_load1: \(load)")
            let downSamples = try await http.query(prom.base, "scrape_samples_scraped{instance=\(yamlQuote(closed))}")
            #expect(downSamples.first?.value == 0)

            // The targets API agrees.
            let r = try await http.get(agent.base + "/api/v1/targets")
            #expect(r.status == 200)
            let json = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any]
            let active = ((json?["data"] as? [String: Any])?["activeTargets"] as? [[String: Any]]) ?? []
            let byInstance = Dictionary(
                active.map { (($0["labels"] as? [String: String])?["instance"] ?? "", $0) },
                uniquingKeysWith: { a, _ in a })
            #expect(
                byInstance[closed]?["health"] as? String == "down",
                "targets API for the closed port: \(byInstance[closed] ?? [:])")
            let lastError = (byInstance[closed]?["lastError"] as? String) ?? ""
            #expect(lastError.lowercased().contains("refused"), "lastError of the down target: \(lastError)")
            print("test 3: lastError of the down target: \(lastError)")
            #expect(
                byInstance[node.address]?["health"] as? String == "up",
                "targets API for node_exporter: \(byInstance[node.address] ?? [:])")
        }
    }

    // 4. A bad config: exit 1 quickly, naming file, line and key; nothing listens.
    @Test("an unknown key stops the agent with status 1, naming file, line and key")
    func badConfig() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let config = """
            global:
              scrape_interval: 2s
            scrape_configs:
              - job_name: node
                scrape_intervall: 5s
                static_configs:
                  - targets: ["127.0.0.1:9100"]
            """
        let agent = try Promsls.launchAgent(dir: dir, name: "promsls-badconfig", config: config)
        defer { agent.child.stop() }
        let status = agent.child.waitForExit(timeout: .seconds(10))
        #expect(
            status == 1, "exit status \(status.map(String.init) ?? "still running after 10 s")\n\(agent.child.tail())")
        let err = agent.child.stderr
        let file = "promsls-badconfig-\(agent.port).yml"
        #expect(err.contains(file), "stderr names the file \(file):\n\(err)")
        #expect(err.contains("\(file):5:"), "stderr names line 5 of \(file):\n\(err)")
        #expect(err.contains("scrape_intervall"), "stderr names the key:\n\(err)")
        #expect(!Ports.isListening(agent.port), "something listens on 127.0.0.1:\(agent.port)")
    }

    // 5. Every shipped config passes `promsls check config`.
    @Test("every file in configs/, examples/ and packaging/ passes promsls check config")
    func shippedConfigsAreValid() throws {
        let bin = try Paths.promsls()
        var files: [String] = []
        for folder in ["configs", "examples", "packaging"] {
            let root = Paths.packageRoot.appendingPathComponent(folder)
            guard let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in e where ["yml", "yaml"].contains(url.pathExtension) {
                let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
                // Kubernetes manifests live in examples/ too; they are not promsls configs.
                if text.range(of: #"(?m)^apiVersion:"#, options: .regularExpression) != nil
                    && text.range(of: #"(?m)^kind:"#, options: .regularExpression) != nil
                {
                    print("test 5: skipping Kubernetes manifest \(url.path)")
                    continue
                }
                files.append(url.path)
            }
        }
        #expect(!files.isEmpty, "no config files found under \(Paths.packageRoot.path)/configs")
        let env = ["SLS_ACCESS_KEY_ID": "LTAI-integration-dummy", "SLS_ACCESS_KEY_SECRET": "integration-dummy-secret"]
        for f in files.sorted() {
            let r = try runToCompletion(bin, ["check", "config", f], environment: env)
            #expect(r.status == 0, "promsls check config \(f): exit \(r.status)\n\(r.stdout)\(r.stderr)")
            #expect(
                r.stdout.contains("SUCCESS"),
                "promsls check config \(f) does not print SUCCESS:\n\(r.stdout)\(r.stderr)")
            #expect(
                !r.stdout.contains("integration-dummy-secret") && !r.stderr.contains("integration-dummy-secret"),
                "the secret is printed")
        }
        print("test 5: checked \(files.count) file(s): \(files.map { URL(fileURLWithPath: $0).lastPathComponent })")
    }

    // 6. The built-in receiver prints a line per request.
    @Test("promsls receive prints the requests of an agent scraping node_exporter")
    func builtInReceiver() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        try await TestHTTP.with { http in
            let receiver = try await Promsls.startReceiver(dir: dir)
            defer { receiver.child.stop() }
            let node = try await NodeExporter.start(dir: dir, http: http)
            defer { node.child.stop() }
            let agent = try await Promsls.startAgent(
                dir: dir, http: http,
                config: agentConfig(
                    targets: [node.address],
                    remoteWrite: remoteWriteEntry(url: "http://127.0.0.1:\(receiver.port)/api/v1/write")))
            defer { agent.child.stop() }

            let line = try await eventually(
                "a request= line from promsls receive", timeout: .seconds(15), interval: .milliseconds(200),
                context: { receiver.child.tail() + "\n" + agent.child.tail() }
            ) { () -> String? in
                receiver.child.stdout.split(separator: "\n").first { $0.hasPrefix("request=") }.map(String.init)
            }
            print("test 6: \(line)")
            #expect(
                !receiver.child.stdout.contains("rejected"),
                "the receiver rejected a request:\n\(receiver.child.stdout)")
            // request=1 series=N samples=M ...: both positive.
            let fields = Dictionary(
                line.split(separator: " ").compactMap { kv -> (String, Int)? in
                    let p = kv.split(separator: "=", maxSplits: 1)
                    guard p.count == 2, let n = Int(p[1]) else { return nil }
                    return (String(p[0]), n)
                }, uniquingKeysWith: { a, _ in a })
            #expect((fields["series"] ?? 0) > 0, "series in \(line)")
            #expect((fields["samples"] ?? 0) > 0, "samples in \(line)")
        }
    }
}
