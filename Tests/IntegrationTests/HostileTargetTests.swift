import Foundation
import Testing

/// A scrape target that misbehaves on purpose (python3's http.server, threaded):
/// `/slow` sends its headers and then one byte per second of a 10,000-byte body (slowloris);
/// `/wide` answers one series with 100,000 label names in reverse order;
/// `/metrics?target=X` answers after `delay` seconds with one series naming X.
struct HostileTarget {
    let child: Child
    let port: Int
    var address: String { "127.0.0.1:\(port)" }

    static let script = #"""
        import sys, time, threading
        from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
        from urllib.parse import urlparse, parse_qs

        port, delay = int(sys.argv[1]), float(sys.argv[2])
        WIDE = ("wide{" + ",".join('l%05d="v"' % i for i in reversed(range(100000))) + "} 1\n").encode()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *a): pass
            def do_GET(self):
                u = urlparse(self.path)
                if u.path == "/slow":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain; version=0.0.4")
                    self.send_header("Content-Length", "10000")
                    self.end_headers()
                    try:
                        for _ in range(10000):
                            self.wfile.write(b"#"); self.wfile.flush(); time.sleep(1)
                    except OSError:
                        pass
                    return
                if u.path == "/wide":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain; version=0.0.4")
                    self.send_header("Content-Length", str(len(WIDE)))
                    self.end_headers()
                    self.wfile.write(WIDE)
                    return
                time.sleep(delay)
                t = parse_qs(u.query).get("target", ["none"])[0]
                body = ('probe_success{probed="%s"} 1\n' % t).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(ThreadingHTTPServer):
            request_queue_size = 4096
            daemon_threads = True

        Server(("127.0.0.1", port), Handler).serve_forever()
        """#

    static func start(dir: TempDir, delaySeconds: Double = 0) async throws -> HostileTarget {
        let py = try Paths.require("python3", package: "python3")
        let file = try dir.write("hostile-target.py", script)
        let port = try Ports.free()
        let child = try Child("hostile-target", py, [file, "\(port)", "\(delaySeconds)"], dir: dir)
        _ = try await eventually("hostile target on \(port)", timeout: .seconds(20), interval: .milliseconds(100)) {
            Ports.isListening(port) ? true : nil
        }
        return HostileTarget(child: child, port: port)
    }
}

/// Active targets from `/api/v1/targets`.
func activeTargets(_ http: TestHTTP, _ base: String) async throws -> [[String: Any]] {
    let r = try await http.get(base + "/api/v1/targets?state=active")
    let data = try jsonObject(r.body)["data"] as? [String: Any]
    return (data?["activeTargets"] as? [[String: Any]]) ?? []
}

/// Scrapes `path` of a hostile target with one job (interval, timeout) and returns the
/// target's state from `/api/v1/targets` once its first scrape has ended.
func firstScrape(
    of path: String, intervalSeconds: Int, timeoutSeconds: Int, wait: Duration
) async throws -> [String: Any] {
    let dir = try TempDir()
    defer { dir.remove() }
    let target = try await HostileTarget.start(dir: dir)
    defer { target.child.stop(grace: .seconds(1)) }
    return try await TestHTTP.with { http in
        let agent = try await Promsls.startAgent(
            dir: dir, http: http,
            config: """
                scrape_configs:
                  - job_name: hostile
                    scrape_interval: \(intervalSeconds)s
                    scrape_timeout: \(timeoutSeconds)s
                    metrics_path: \(path)
                    static_configs: [{targets: ["\(target.address)"]}]
                """)
        defer { agent.child.stop() }
        return try await eventually("the first scrape of \(path) to end", timeout: wait) {
            () -> [String: Any]? in
            guard let t = try await activeTargets(http, agent.base).first,
                t["health"] as? String != "unknown"
            else { return nil }
            return t
        }
    }
}

/// Issue 12: targets that hold scrapes open, and many targets behind one exporter address.
@Suite("hostile targets", .serialized, .offThePool, .timeLimit(.minutes(3)))
struct HostileTargetTests {
    // A body trickling one byte per second is cut at scrape_timeout: up 0 with Prometheus's
    // "context deadline exceeded", the scrape lasting the timeout and not the body's 10,000 s.
    @Test func slowBodyIsCutAtTheScrapeTimeout() async throws {
        let t = try await firstScrape(of: "/slow", intervalSeconds: 3, timeoutSeconds: 1, wait: .seconds(20))
        let lastError = t["lastError"] as? String ?? ""
        let duration = t["lastScrapeDuration"] as? Double ?? .nan
        print("hostile 1: slowloris target: health=\(t["health"] ?? "") duration=\(duration)s error=\(lastError)")
        #expect(t["health"] as? String == "down")
        #expect(lastError.contains("context deadline exceeded"), "\(lastError)")
        #expect(duration >= 0.9 && duration < 2.0, "scrape lasted \(duration) s with a 1 s timeout")
    }

    // One series with 100,000 label names in reverse order (1.3 MB): 28.9 s of CPU before
    // (an O(n²) label sort), under a second now; the target is up within its 10 s timeout.
    @Test func oneSeriesWith100kLabelsScrapesWithinItsTimeout() async throws {
        let t = try await firstScrape(of: "/wide", intervalSeconds: 15, timeoutSeconds: 10, wait: .seconds(40))
        let duration = t["lastScrapeDuration"] as? Double ?? .nan
        print(
            "hostile 3: 100k label names: health=\(t["health"] ?? "") duration=\(duration)s error=\(t["lastError"] ?? "")"
        )
        #expect(t["health"] as? String == "up", "\(t["lastError"] ?? "")")
        #expect(duration < 10)
    }

    // The blackbox-exporter pattern: 300 targets on one host:port, each answered after 2 s,
    // 4 s timeout. A per-host pool of 8 connections would take 75 s for one round.
    @Test func manyTargetsOnOneAddressAreAllUp() async throws {
        let n = 300
        let dir = try TempDir()
        defer { dir.remove() }
        let exporter = try await HostileTarget.start(dir: dir, delaySeconds: 2)
        defer { exporter.child.stop(grace: .seconds(1)) }
        let targets = (1...n).map { "\"probe-\($0).example\"" }.joined(separator: ", ")
        try await TestHTTP.with { http in
            let agent = try await Promsls.startAgent(
                dir: dir, http: http,
                config: """
                    scrape_configs:
                      - job_name: blackbox
                        scrape_interval: 5s
                        scrape_timeout: 4s
                        static_configs: [{targets: [\(targets)]}]
                        relabel_configs:
                          - {source_labels: [__address__], target_label: __param_target}
                          - {source_labels: [__param_target], target_label: instance}
                          - {target_label: __address__, replacement: "\(exporter.address)"}
                    """)
            defer { agent.child.stop() }
            let health = try await eventually("every target scraped once", timeout: .seconds(40)) {
                () -> [String: Int]? in
                let all = try await activeTargets(http, agent.base)
                let h = Dictionary(grouping: all, by: { $0["health"] as? String ?? "?" }).mapValues(\.count)
                return all.count == n && h["unknown", default: 0] == 0 ? h : nil
            }
            let fds = TextBody.value(try await agent.metrics(http), "process_open_fds") ?? .nan
            print("hostile 2: \(n) targets on one address: \(health), promsls open fds \(fds)")
            #expect(health["up"] == n, "\(health)")
        }
    }

    // A 6.5 MB configuration of 10,980 jobs (the size an operator's generated config reaches):
    // before, one self-metric series per job cost O(jobs²) in swift-prometheus's registry and
    // the agent was ready after 124 s (debug build; 34 s release); now ~9 s. The bound is wide
    // for a loaded machine and still fails the quadratic version.
    @Test func aConfigOf10980JobsIsReadyQuickly() async throws {
        let jobs = 10_980
        let dir = try TempDir()
        defer { dir.remove() }
        var config = "global: {scrape_interval: 2m, external_labels: {cluster: big}}\nscrape_configs:\n"
        for i in 0..<jobs {
            config += """
                  - job_name: job-\(i)
                    basic_auth: {username: u\(i), password: p\(i)}
                    static_configs:
                      - targets: ['127.0.0.1:\(10_000 + i % 50_000)', '127.0.0.2:\(10_000 + i % 50_000)']
                        labels: {team: t\(i % 97), env: prod}
                    relabel_configs:
                      - {source_labels: [__address__], regex: '([^:]+):\\d+', target_label: host, replacement: '${1}'}
                    metric_relabel_configs:
                      - {source_labels: [__name__], regex: 'go_gc_.*|go_memstats_.*_bytes', action: drop}

                """
        }
        try await TestHTTP.with { http in
            let began = ContinuousClock.now
            let agent = try Promsls.launchAgent(dir: dir, config: config)
            defer { agent.child.stop() }
            try await agent.waitHealthy(http)
            _ = try await eventually("ready", timeout: .seconds(120), interval: .milliseconds(250)) {
                try await http.get(agent.base + "/-/ready").status == 200 ? true : nil
            }
            let ready = ContinuousClock.now - began
            print("hostile 8: \(jobs) jobs (\(config.utf8.count) bytes) ready after \(ready)")
            #expect(ready < .seconds(60))
            // Every pool has its two targets and its own series (the per-job families).
            _ = try await eventually("a pool-targets series of 2 for every job", timeout: .seconds(60)) {
                let pools = try await agent.metrics(http).split(separator: "\n").filter {
                    $0.hasPrefix("prometheus_target_scrape_pool_targets{") && $0.hasSuffix(" 2")
                }
                return pools.count == jobs ? true : nil
            }
        }
    }
}
