// The status pages in a real headless Chromium (Debian's `chromium`), the API against a
// running agent, the lifecycle endpoints, `--web.config.file` (TLS + basic auth), the
// dashboard's metric names, and no secret in any page, API response or log line.
//
// Screenshots go to $TEST_OUTPUT_DIR or <root>/.build/test-output/.

import AsyncHTTPClient
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Headless Chromium: DOM dumps with the console log captured, and screenshots.
enum Browser {
    static func chromium() throws -> String { try Paths.require("chromium", "chromium-browser", package: "chromium") }

    static var outputDir: String {
        let env = ProcessInfo.processInfo.environment["TEST_OUTPUT_DIR"] ?? ""
        let dir = env.isEmpty ? Paths.packageRoot.appendingPathComponent(".build/test-output").path : env
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func args(_ profile: TempDir) -> [String] {
        [
            "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
            "--user-data-dir=\(profile.path)", "--enable-logging=stderr", "--v=0", "--hide-scrollbars",
        ]
    }

    /// Loads `url`; returns the serialised DOM after load and the console messages
    /// (`CONSOLE` log lines and `Uncaught` errors from Chromium's stderr).
    static func dumpDOM(_ url: String, dir: TempDir) throws -> (dom: String, console: [String]) {
        let profile = try TempDir("chromium-profile")
        defer { profile.remove() }
        let r = try runToCompletion(try chromium(), args(profile) + ["--dump-dom", url], timeout: .seconds(60))
        guard r.status == 0, !r.stdout.isEmpty else {
            throw IntegrationError("chromium --dump-dom \(url) failed (\(r.status)):\n\(r.stderr.suffix(2000))")
        }
        return (r.stdout, consoleLines(r.stderr))
    }

    /// Saves a screenshot of `url` as `<outputDir>/<name>.png`; returns the path and console lines.
    @discardableResult
    static func screenshot(_ url: String, name: String, height: Int = 2000) throws -> (path: String, console: [String])
    {
        let profile = try TempDir("chromium-profile")
        defer { profile.remove() }
        let path = outputDir + "/\(name).png"
        try? FileManager.default.removeItem(atPath: path)
        let r = try runToCompletion(
            try chromium(), args(profile) + ["--screenshot=\(path)", "--window-size=1280,\(height)", url],
            timeout: .seconds(60))
        guard FileManager.default.fileExists(atPath: path) else {
            throw IntegrationError(
                "chromium --screenshot \(url) wrote nothing (\(r.status)):\n\(r.stderr.suffix(2000))")
        }
        return (path, consoleLines(r.stderr))
    }

    static func consoleLines(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").map(String.init).filter {
            $0.contains(":CONSOLE(") || $0.contains("Uncaught") || $0.contains("Failed to load resource")
        }
    }
}

/// A target whose body does not parse: python3's http.server serving a file named `metrics`.
struct BadExporter {
    let child: Child
    let port: Int
    var address: String { "127.0.0.1:\(port)" }

    static func start(dir: TempDir, body: String) async throws -> BadExporter {
        let root = try dir.subdir("bad-exporter")
        _ = try TempDir.writeFile(root + "/metrics", body)
        let port = try Ports.free()
        let py = try Paths.require("python3", package: "python3")
        let child = try Child(
            "bad-exporter", py, ["-m", "http.server", "\(port)", "--bind", "127.0.0.1", "--directory", root], dir: dir)
        _ = try await eventually("python3 http.server on \(port)", timeout: .seconds(20), interval: .milliseconds(100))
        {
            Ports.isListening(port) ? true : nil
        }
        return BadExporter(child: child, port: port)
    }
}

extension TempDir {
    static func writeFile(_ path: String, _ text: String) throws -> String {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// JSON helpers for API checks.
func jsonObject(_ text: String) throws -> [String: Any] {
    let v = try JSONSerialization.jsonObject(with: Data(text.utf8))
    guard let o = v as? [String: Any] else { throw IntegrationError("not a JSON object: \(text.prefix(300))") }
    return o
}

@Suite(.serialized, .offThePool) struct StatusPagesBrowserTests {
    /// Distinct secrets; none may appear in any output.
    static let secrets = [
        "PSLS-scrape-basic-7c1e", "PSLS-bearer-91af", "PSLS-rw-basic-44d0", "PSLS-rw-bearer-e2b7",
        "PSLS-pwfile-5a3c",
    ]

    static func config(up: String, down: String, bad: String, dropped: String, receiver: String, pwFile: String)
        -> String
    {
        """
        global:
          scrape_interval: 1s
          scrape_timeout: 900ms
          external_labels: {agent: browser-test}
        scrape_configs:
          - job_name: node
            basic_auth: {username: scraper, password: \(secrets[0])}
            static_configs:
              - targets: ["\(up)", "\(dropped)"]
            relabel_configs:
              - {source_labels: [__address__], regex: "\(dropped.replacingOccurrences(of: ".", with: "\\\\."))", action: drop}
          - job_name: broken
            keep_dropped_targets: 1
            authorization: {credentials: \(secrets[1])}
            static_configs:
              - targets: ["\(down)", "\(bad)"]
                labels: {team: "<b>ops</b>"}
              - targets: ["127.0.0.1:1", "127.0.0.1:2"]
                labels: {drop_me: "yes"}
            relabel_configs:
              - {source_labels: [drop_me], regex: "yes", action: drop}
          - job_name: files
            basic_auth: {username: f, password_file: \(pwFile)}
            static_configs: [{targets: ["\(up)"]}]
        remote_write:
          - url: http://\(receiver)/api/v1/write
            basic_auth: {username: rw, password: \(secrets[2])}
          - url: http://\(receiver)/api/v1/write?second=1
            authorization: {credentials: \(secrets[3])}
        """
    }

    @Test func pagesInChromiumAndAPI() async throws {
        let dir = try TempDir("promsls-browser")
        defer { dir.remove() }
        try await TestHTTP.with { http in
            let node = try await NodeExporter.start(dir: dir, http: http)
            defer { node.child.stop() }
            let bad = try await BadExporter.start(dir: dir, body: "# TYPE broken gauge\nbroken{a=\"b\" 1\n")
            defer { bad.child.stop() }
            let receiver = try await Promsls.startReceiver(dir: dir)
            defer { receiver.child.stop() }
            let downPort = try Ports.free()
            let pwFile = try dir.write("password", Self.secrets[4] + "\n")
            let cfg = Self.config(
                up: node.address, down: "127.0.0.1:\(downPort)", bad: bad.address, dropped: "127.0.0.1:9",
                receiver: "127.0.0.1:\(receiver.port)", pwFile: pwFile)
            let agent = try Promsls.launchAgent(dir: dir, config: cfg, extraArgs: ["--web.enable-lifecycle"])
            defer { agent.child.stop() }
            try await agent.waitHealthy(http)
            let base = agent.base

            // Wait until every target has been scraped at least once.
            let targets = try await eventually(
                "all 4 targets scraped", timeout: .seconds(30), context: { agent.child.tail() }
            ) {
                () -> [[String: Any]]? in
                let o = try jsonObject(try await http.get(base + "/api/v1/targets").body)
                let active = ((o["data"] as? [String: Any])?["activeTargets"] as? [[String: Any]]) ?? []
                return active.count == 4 && active.allSatisfy({ $0["health"] as? String != "unknown" }) ? active : nil
            }
            func target(_ pool: String, _ address: String) throws -> [String: Any] {
                guard
                    let t = targets.first(where: {
                        $0["scrapePool"] as? String == pool
                            && ($0["labels"] as? [String: String])?["instance"] == address
                    })
                else { throw IntegrationError("no target \(pool) \(address) in \(targets)") }
                return t
            }
            let up = try target("node", node.address)
            #expect(up["health"] as? String == "up")
            #expect(up["lastError"] as? String == "")
            #expect(up["scrapeUrl"] as? String == "http://\(node.address)/metrics")
            #expect(up["scrapeInterval"] as? String == "1s")
            #expect(up["scrapeTimeout"] as? String == "900ms")
            #expect((up["discoveredLabels"] as? [String: String])?["__address__"] == node.address)
            #expect(up["labels"] as? [String: String] == ["instance": node.address, "job": "node"])
            let down = try target("broken", "127.0.0.1:\(downPort)")
            #expect(down["health"] as? String == "down")
            let downError = try #require(down["lastError"] as? String)
            #expect(!downError.isEmpty)
            let parse = try target("broken", bad.address)
            #expect(parse["health"] as? String == "down")
            let parseError = try #require(parse["lastError"] as? String)
            #expect(!parseError.isEmpty && parseError != downError)

            // Dropped targets: node drops 1 (kept), broken drops 2 but keeps 1.
            let all = try jsonObject(try await http.get(base + "/api/v1/targets?state=dropped").body)
            let data = try #require(all["data"] as? [String: Any])
            #expect((data["activeTargets"] as? [Any])?.count == 0)
            let dropped = try #require(data["droppedTargets"] as? [[String: Any]])
            #expect(dropped.count == 2)
            #expect(data["droppedTargetCounts"] as? [String: Int] == ["node": 1, "broken": 2, "files": 0])

            // Metadata of node_exporter's families.
            let md = try jsonObject(
                try await http.get(
                    base + "/api/v1/targets/metadata?metric=node_cpu_seconds_total&match_target=%7Bjob%3D%22node%22%7D"
                ).body)
            let entries = try #require(md["data"] as? [[String: Any]])
            #expect(entries.count == 1)
            #expect(entries.first?["type"] as? String == "counter")
            #expect(entries.first?["target"] as? [String: String] == ["instance": node.address, "job": "node"])
            #expect((entries.first?["help"] as? String)?.isEmpty == false)

            // The pages in Chromium: DOM content, screenshots, no console error.
            let (targetsDOM, c1) = try Browser.dumpDOM(base + "/targets", dir: dir)
            #expect(c1.isEmpty, "console: \(c1)")
            for (address, state) in [
                (node.address, "UP"), ("127.0.0.1:\(downPort)", "DOWN"), (bad.address, "DOWN"),
            ] {
                let marker = "data-url=\"http://\(address)/metrics\""
                let row = try #require(
                    targetsDOM.components(separatedBy: "<tr ").first { $0.contains(marker) }, "no row for \(address)")
                #expect(row.contains(">\(state)</span>"), "\(address) should be \(state): \(row)")
            }
            #expect(targetsDOM.contains(htmlEscaped(downError)), "down error missing")
            #expect(targetsDOM.contains(htmlEscaped(parseError)), "parse error missing")
            #expect(targetsDOM.contains("team=\"&lt;b&gt;ops&lt;/b&gt;\""))  // label values escaped, not markup
            #expect(targetsDOM.contains("(0/2 up)") && targetsDOM.contains("(1/1 up)"))
            let (unhealthyDOM, c2) = try Browser.dumpDOM(base + "/targets?health=unhealthy", dir: dir)
            #expect(c2.isEmpty, "console: \(c2)")
            #expect(!unhealthyDOM.contains("data-url=\"http://\(node.address)/metrics\""))
            #expect(unhealthyDOM.contains("data-url=\"http://127.0.0.1:\(downPort)/metrics\""))

            let (sdDOM, c3) = try Browser.dumpDOM(base + "/service-discovery", dir: dir)
            #expect(c3.isEmpty, "console: \(c3)")
            #expect(sdDOM.components(separatedBy: "<td class=\"dropped\">Dropped</td>").count - 1 == 2)
            #expect(sdDOM.contains("__address__=\"127.0.0.1:9\""))
            #expect(sdDOM.contains("Showing 1 of 2 dropped targets"))
            let (configDOM, c4) = try Browser.dumpDOM(base + "/config", dir: dir)
            #expect(c4.isEmpty, "console: \(c4)")
            #expect(configDOM.contains("password: \"&lt;secret&gt;\""))
            #expect(configDOM.contains("credentials: \"&lt;secret&gt;\""))

            var pages = [targetsDOM, unhealthyDOM, sdDOM, configDOM]
            for (page, name) in [
                ("/targets", "targets"), ("/service-discovery", "service-discovery"), ("/config", "config"),
            ] {
                let shot = try Browser.screenshot(base + page, name: "status-\(name)")
                #expect(shot.console.isEmpty, "console on \(page): \(shot.console)")
                let size = (try FileManager.default.attributesOfItem(atPath: shot.path)[.size] as? Int) ?? 0
                #expect(size > 10_000, "\(shot.path) is \(size) bytes")
            }

            // The API and /metrics bodies, then the dashboard's names.
            for uri in [
                "/api/v1/targets", "/api/v1/targets/metadata", "/api/v1/status/config", "/api/v1/scrape_pools",
                "/metrics",
                "/targets", "/service-discovery", "/config",
            ] {
                pages.append(try await http.get(base + uri).body)
            }
            let status = try jsonObject(try await http.get(base + "/api/v1/status/config").body)
            let yaml = try #require((status["data"] as? [String: Any])?["yaml"] as? String)
            #expect(yaml.contains("keep_dropped_targets: 1"))
            #expect(yaml.contains("password: \"<secret>\""))
            try checkDashboardNames(metrics: try await agent.metrics(http))

            // /-/quit stops the agent gracefully; then no secret in any output or log line.
            var quit = HTTPClientRequestLite(url: base + "/-/quit", method: "POST")
            let quitAnswer = try await quit.send(http)
            #expect(quitAnswer.status == 200)
            #expect(quitAnswer.body == "Requesting termination... Goodbye!\n")
            #expect(agent.child.waitForExit(timeout: .seconds(20)) == 0, "\(agent.child.tail())")
            pages += [agent.child.stdout, agent.child.stderr]
            for s in Self.secrets {
                for (i, p) in pages.enumerated() { #expect(!p.contains(s), "output \(i) leaks \(s)") }
            }
        }
    }

    /// Every metric name in examples/grafana-dashboard.json is exported by the agent, except
    /// those that appear only after their first event (listed).
    func checkDashboardNames(metrics: String) throws {
        let path = Paths.packageRoot.appendingPathComponent("examples/grafana-dashboard.json").path
        let dash = try jsonObject(try String(contentsOfFile: path, encoding: .utf8))
        let panels = try #require(dash["panels"] as? [[String: Any]])
        var names = Set<String>()
        for p in panels {
            for t in (p["targets"] as? [[String: Any]]) ?? [] {
                // Every metric in the dashboard carries the $job/$instance selector: a name is
                // what stands right before a "{".
                let expr = Array(try #require(t["expr"] as? String))
                for (i, c) in expr.enumerated() where c == "{" {
                    var j = i
                    while j > 0,
                        expr[j - 1].isLetter || expr[j - 1].isNumber || expr[j - 1] == "_" || expr[j - 1] == ":"
                    { j -= 1 }
                    if j < i { names.insert(String(expr[j..<i])) }
                }
            }
        }
        #expect(names.count > 25)
        let exported = TextBody.names(metrics)
        // Created on first event by their modules (reported in the status-pages notes).
        let lazy: Set<String> = ["prometheus_remote_storage_samples_dropped_total", "prometheus_sd_discovered_targets"]
        for n in names.sorted() where !lazy.contains(n) {
            let found = exported.contains(n) || exported.contains(n + "_sum") || exported.contains(n + "_bucket")
            #expect(found, "dashboard uses \(n), which /metrics does not export")
        }
    }

    @Test func webConfigTLSAndBasicAuth() async throws {
        let dir = try TempDir("promsls-webconfig")
        defer { dir.remove() }
        let (cert, key) = try Credentials.selfSignedCert(in: dir)
        let password = "PSLS-web-pass-0f9d"
        let hash = try Credentials.bcrypt(password)
        let web = try dir.write(
            "web.yml",
            """
            tls_server_config:
              cert_file: \(cert)
              key_file: \(key)
            basic_auth_users:
              alice: \(hash)
            """)
        let receiver = try await Promsls.startReceiver(dir: dir)
        defer { receiver.child.stop() }
        let agent = try Promsls.launchAgent(
            dir: dir,
            config: """
                global: {scrape_interval: 1s, scrape_timeout: 500ms}
                scrape_configs: [{job_name: self, static_configs: [{targets: ["127.0.0.1:9"]}]}]
                remote_write: [{url: "http://127.0.0.1:\(receiver.port)/api/v1/write"}]
                """, extraArgs: ["--web.config.file=\(web)"])
        defer { agent.child.stop() }
        let https = "https://127.0.0.1:\(agent.port)"
        try await TestHTTP.with(caFile: cert, basicAuth: ("alice", password)) { http in
            try await http.waitFor200(https + "/-/healthy", timeout: .seconds(30), context: { agent.child.tail() })
            let page = try await http.get(https + "/targets")
            #expect(page.status == 200)
            #expect(page.body.contains("data-url=\"http://127.0.0.1:9/metrics\""))
            #expect(try await http.get(https + "/metrics").status == 200)
        }
        try await TestHTTP.with(caFile: cert) { http in
            let targets = try await http.get(https + "/targets")
            let metrics = try await http.get(https + "/metrics")
            #expect(targets.status == 401)
            #expect(metrics.status == 401)
        }
        try await TestHTTP.with(caFile: cert, basicAuth: ("alice", "wrong")) { http in
            let r = try await http.get(https + "/api/v1/targets")
            #expect(r.status == 401)
        }
        // Plain HTTP to the TLS port does not get a page.
        try await TestHTTP.with { http in
            let plain = try? await http.get("http://127.0.0.1:\(agent.port)/targets")
            #expect(plain == nil || plain?.status != 200)
        }
        agent.child.stop()
        for out in [agent.child.stdout, agent.child.stderr] {
            #expect(!out.contains(password))
            #expect(!out.contains(hash))
        }
    }

    @Test func invalidWebConfigFailsAtStartup() async throws {
        let dir = try TempDir("promsls-webconfig-bad")
        defer { dir.remove() }
        let web = try dir.write("web.yml", "basic_auth_users:\n  alice: PSLS-plaintext-1d2e\n")
        let cfg = try dir.write("promsls.yml", "scrape_configs: []\n")
        let r = try runToCompletion(
            try Paths.promsls(),
            [
                "--config.file=\(cfg)", "--web.config.file=\(web)",
                "--web.listen-address=127.0.0.1:\(try Ports.free())",
                "--storage.agent.path=\(dir.file("data"))",
            ], timeout: .seconds(30))
        #expect(r.status == 1)
        #expect(r.stderr.contains("basic_auth_users.alice: not a bcrypt hash"), "\(r.stderr)")
        #expect(!(r.stdout + r.stderr).contains("PSLS-plaintext-1d2e"))
    }
}

/// Text as it appears in the serialised DOM (Chromium escapes &, <, > in text nodes).
func htmlEscaped(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;")
}

/// A POST through the shared client (Support's TestHTTP only GETs).
struct HTTPClientRequestLite {
    var url: String
    var method: String

    mutating func send(_ http: TestHTTP) async throws -> HTTPResult {
        var req = HTTPClientRequest(url: url)
        req.method = .init(rawValue: method)
        let resp = try await http.client.execute(req, timeout: .seconds(20))
        let body = try await resp.body.collect(upTo: 1 << 20)
        return HTTPResult(status: Int(resp.status.code), body: String(buffer: body))
    }
}
