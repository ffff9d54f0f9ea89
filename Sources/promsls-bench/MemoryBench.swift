// Steady-state memory of the whole agent pipeline per series (issue 11's `make bench` part):
// 20 targets x 5000 generated series are scraped (parse, cache, target labels), committed
// through RemoteStorage into a WAL on disk with an external label, read back by a queue and
// "sent" to a client that acknowledges at once. After three scrapes and a drained queue the
// heap in use (glibc mallinfo2) is compared with before: what stays is the per-series state
// of scrape caches + series table + WAL writer + queue reader.

import AgentConfig
import Foundation
import Logging
import PromModel
import Prometheus
import RemoteWrite
import Scrape

/// Acknowledges every request at once.
private struct InstantSink: WriteSending {
    func send(_ compressedBody: [UInt8]) async -> SendResult { SendResult(outcome: .success, statusCode: 204) }
}

func runMemoryBenchmark(targets: Int = 20, seriesPerTarget: Int = 5000) async throws {
    let total = targets * seriesPerTarget
    print("")
    print(
        "7. steady-state memory of the pipeline: \(targets) targets x \(seriesPerTarget) series, scrape → WAL on disk → queue → instant sink"
    )
    let bodies = (0..<3).map { seed in
        (0..<targets).map { t in syntheticBody(series: seriesPerTarget, seed: seed * 100 + t) }
    }
    let dir = NSTemporaryDirectory() + "promsls-membench-\(getpid())"
    try? FileManager.default.removeItem(atPath: dir)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var logger = Logger(label: "membench")
    logger.logLevel = .error
    let registry = PrometheusCollectorRegistry()

    let before = heapInUse()
    let wal = try WAL(directory: dir, options: WALOptions(), registry: registry, logger: logger)
    var rw = RemoteWriteConfig(url: "http://127.0.0.1:1/api/v1/write")
    rw.name = "mem"
    rw.queueConfig.batchSendDeadline = .milliseconds(100)
    rw.metadataConfig.send = false
    let queue = QueueManager(config: rw, client: InstantSink(), registry: registry, logger: logger, wal: wal)
    var global = GlobalConfig()
    global.externalLabels = Labels(["cluster": "bench"])
    let storage = RemoteStorage(queues: [queue], global: global, registry: registry)
    let runner = Task { try await storage.run() }
    let scrapers = (0..<targets).map { t in
        ScrapeBodyAppender(targetLabels: Labels(["instance": "10.0.\(t / 256).\(t % 256):9100", "job": "node"]))
    }
    var afterFirst = 0
    for round in 0..<3 {
        for (t, sa) in scrapers.enumerated() {
            let app = storage.appender()
            _ = try sa.append(
                body: bodies[round][t], format: .prometheusText, timestampMs: 1_000_000 + Int64(round) * 5000, to: app)
            try await app.commit()
        }
        while queue.ackedPosition < wal.end { try await Task.sleep(for: .milliseconds(5)) }
        if round == 0 { afterFirst = heapInUse() }
    }
    // The bodies were allocated before `before`: keep them until `after` (released after their
    // last use, they made the steady state look 25 MiB smaller than it is).
    let after = withExtendedLifetime(bodies) { heapInUse() }
    // Per distinct series: the bodies repeat some series within a target (73,700 of 100,000
    // lines are distinct series), and each is held once.
    let distinct = max(storage.wal.series.count, 1)
    print(
        String(
            format:
                "memory/pipeline-steady   %8.0f bytes/series  (%d distinct series of %d sample lines; after the first scrape %.0f)",
            Double(after - before) / Double(distinct), distinct, total,
            Double(afterFirst - before) / Double(distinct)))
    await storage.stop(deadline: .now + .seconds(5))
    runner.cancel()
    _ = await runner.result
}
