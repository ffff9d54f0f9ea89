import AsyncHTTPClient
import Foundation
import Testing

/// Reloads that overlap (several `POST /-/reload` and SIGHUPs at once) while the
/// `remote_write` entry changes, so every applied reload rebuilds its queue from the saved WAL
/// position. Run one at a time, the queue is stopped (position saved) before its successor
/// reads the position; run concurrently, two successors could read the same position and
/// both send the backlog. Prometheus accepts an exact duplicate sample silently, so the check
/// is the agent's own books: once scraping stops and the queue is drained, samples sent equal
/// samples appended, exactly.
@Suite("concurrent reloads", .serialized, .offThePool, .timeLimit(.minutes(5)))
struct ConcurrentReloadTests {
    @Test("8 overlapping reloads × 5 while remote_write changes: all answered 200, every sample sent exactly once")
    func overlappingReloadsSendEverySampleOnce() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        try await TestHTTP.with { http in
            let prom = try await PrometheusReceiver.start(dir: dir, http: http)
            defer { prom.child.stop() }
            let node = try await NodeExporter.start(dir: dir, http: http)
            defer { node.child.stop() }
            func config(maxSamplesPerSend: Int, scrape: Bool) -> String {
                var s = "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                if scrape {
                    s += """
                        scrape_configs:
                          - job_name: node
                            static_configs:
                              - targets: [\(yamlQuote(node.address))]

                        """
                }
                return s + """
                    remote_write:
                      - url: \(yamlQuote(prom.writeURL))
                        queue_config:
                          batch_send_deadline: 200ms
                          max_samples_per_send: \(maxSamplesPerSend)
                          min_backoff: 100ms
                          max_backoff: 1s

                    """
            }
            let agent = try Promsls.launchAgent(
                dir: dir, config: config(maxSamplesPerSend: 500, scrape: true), extraArgs: ["--web.enable-lifecycle"])
            defer { agent.child.stop() }
            try await agent.waitHealthy(http)
            let configPath = dir.file("promsls-\(agent.port).yml")
            let logs = { agent.child.tail(200) }
            _ = try await eventually("node scraped into Prometheus", timeout: .seconds(30), context: logs) {
                try await http.query(prom.base, #"up{job="node"}"#).first?.value == 1 ? true : nil
            }

            for round in 1...5 {
                // A changed queue_config: each reload that applies it rebuilds the queue.
                try config(maxSamplesPerSend: 500 + round * 100, scrape: true)
                    .write(toFile: configPath, atomically: true, encoding: .utf8)
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<6 { group.addTask { try await postReload(http, agent) } }
                    for _ in 0..<2 { kill(agent.child.pid, SIGHUP) }
                    var out: [Int] = []
                    for try await s in group { out.append(s) }
                    return out
                }
                #expect(statuses == Array(repeating: 200, count: 6), "round \(round): \(statuses)\n\(logs())")
                // A scrape or two between rounds, so every queue generation has samples to send.
                try await Task.sleep(for: .seconds(2))
            }

            // Stop scraping (the last samples are the node job's staleness markers), then let
            // the queue drain: from then on nothing is appended and the books must balance.
            try config(maxSamplesPerSend: 2000, scrape: false)
                .write(toFile: configPath, atomically: true, encoding: .utf8)
            #expect(try await postReload(http, agent) == 200)
            let (appended, sent) = try await eventually(
                "queue drained after scraping stopped", timeout: .seconds(30), interval: .milliseconds(500),
                context: logs
            ) { () -> (Double, Double)? in
                let m = try await agent.metrics(http)
                let appended = TextBody.sum(m, "prometheus_remote_storage_samples_in_total")
                let sent = TextBody.sum(m, "prometheus_remote_storage_samples_total")
                let pending = TextBody.sum(m, "prometheus_remote_storage_samples_pending")
                return pending == 0 && sent >= appended ? (appended, sent) : nil
            }
            // Settle: nothing more may be sent once the counts met.
            try await Task.sleep(for: .seconds(1))
            let m = try await agent.metrics(http)
            print("concurrent reloads: \(Int(appended)) samples appended, \(Int(sent)) sent")
            #expect(appended > 1000, "the node job was scraped across the rounds")
            #expect(sent == appended, "sent \(Int(sent)) vs appended \(Int(appended)): duplicates or loss")
            #expect(TextBody.sum(m, "prometheus_remote_storage_samples_total") == sent)
            #expect(TextBody.sum(m, "prometheus_remote_storage_samples_failed_total") == 0)
            #expect(TextBody.sum(m, "prometheus_remote_storage_samples_dropped_total") == 0)
            #expect(TextBody.value(m, "prometheus_config_last_reload_successful") == 1)
        }
    }
}
