// WAL + queue + send throughput (issue 5's `make bench` part): commits go through
// RemoteStorage (external labels, WAL append with fsync once a second), the queue reads the
// WAL, shards, encodes, compresses and POSTs to a local receiver on 127.0.0.1 (a minimal
// HTTP/1.1 server in this file that answers 204, or 503 during an "outage").
//
// Reports: sustained samples/s end to end, WAL bytes per sample, catch-up speed after a
// 60 s outage (backlog drain rate vs production rate), CPU seconds and peak RSS.

import AgentConfig
import Foundation
import Logging
import PromModel
import Prometheus
import RemoteWrite

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the WAL + queue benchmark and prints its section. Call from main with `await`.
func runWALBenchmark() async {
    print("")
    print("6. WAL + queue + send to a local receiver (RemoteStorage → WAL on disk → QueueManager → HTTP 127.0.0.1)")
    do {
        try await WALBench().run()
    } catch {
        print("WAL bench failed: \(error)")
    }
}

private struct WALBench {
    let seriesCount = 2_000

    func run() async throws {
        let receiver = try BenchReceiver()
        receiver.start()
        defer { receiver.stop() }
        let dir = NSTemporaryDirectory() + "promsls-walbench-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        var rw = RemoteWriteConfig(url: "http://127.0.0.1:\(receiver.port)/api/v1/write")
        rw.name = "bench"
        rw.queueConfig.minBackoff = .milliseconds(30)
        rw.queueConfig.maxBackoff = .milliseconds(200)
        rw.queueConfig.batchSendDeadline = .milliseconds(200)
        rw.metadataConfig.send = false
        var global = GlobalConfig()
        global.externalLabels = Labels(["cluster": "bench"])
        let registry = PrometheusCollectorRegistry()
        var logger = Logger(label: "walbench")
        logger.logLevel = .error
        let storage = try RemoteStorage(
            configs: [rw], global: global, registry: registry, logger: logger, flushTimeout: .seconds(10),
            storagePath: dir, walOptions: WALOptions())
        let queue = storage.queues[0]
        let runner = Task { try await storage.run() }

        let series = (0..<seriesCount).map { i in
            Labels([
                "__name__": "node_cpu_seconds_total", "cpu": "\(i % 64)",
                "mode": ["idle", "user", "system", "iowait"][i % 4],
                "instance": "10.0.\(i / 256).\(i % 256):9100", "job": "node", "shard": "\(i / 64)",
            ])
        }
        var tsMs = currentTimeMs() - 3_600_000
        func commit(_ n: Int) async throws {
            for _ in 0..<n {
                let app = storage.appender()
                tsMs += 1000
                for (i, l) in series.enumerated() {
                    try app.append(l, timestampMs: tsMs, value: Double(tsMs / 1000 + Int64(i)))
                }
                try await app.commit()
            }
        }
        func waitDrained(timeout: Double = 300) async throws -> Double {
            let t0 = now()
            while queue.ackedPosition < storage.wal.end && now() - t0 < timeout {
                try await Task.sleep(for: .milliseconds(5))
            }
            return now() - t0
        }

        // Warm-up: series defined, connections open.
        try await commit(5)
        _ = try await waitDrained()

        // 1. Sustained: commit as fast as possible while the queue sends; time until all acked.
        let bytes0 = metric(registry, "promsls_wal_bytes_written_total")
        let cpu0 = cpuSeconds()
        let t0 = now()
        let commits = 600
        try await commit(commits)
        let tAppend = now() - t0
        _ = try await waitDrained()
        let tAll = now() - t0
        let cpu1 = cpuSeconds()
        let samples = Double(commits * seriesCount)
        let walBytes = metric(registry, "promsls_wal_bytes_written_total") - bytes0
        print(
            String(
                format:
                    "%-34@ %12.0f samples/s end to end (%0.0f samples/s into the WAL), %d shards, CPU %.2f s for %.0f samples (%.2f µs/sample)",
                "wal+queue+send/sustained" as NSString, samples / tAll, samples / tAppend, queue.currentShards,
                cpu1 - cpu0,
                samples, (cpu1 - cpu0) * 1e6 / samples))
        print(
            String(
                format: "%-34@ %12.1f WAL bytes/sample (%d series of 6 labels + external label, one commit per scrape)",
                "wal/bytes-per-sample" as NSString, walBytes / samples, seriesCount))

        // 2. Catch-up after a 60 s outage: the receiver answers 503 while 60 scrapes
        // accumulate (written as fast as possible, stamped one second apart), then it comes
        // back while production continues at one scrape per second.
        receiver.down = true
        let backlogScrapes = 60
        try await commit(backlogScrapes)
        try await Task.sleep(for: .milliseconds(500))
        let backlog = Double(backlogScrapes * seriesCount)
        receiver.down = false
        let c0 = cpuSeconds()
        let d0 = now()
        let producer = Task {
            // Production continues at 1 scrape/s during the catch-up.
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(1))
                try await commit(1)
            }
        }
        var produced = 0.0
        while queue.ackedPosition < storage.wal.end && now() - d0 < 300 {
            try await Task.sleep(for: .milliseconds(5))
        }
        let drain = now() - d0
        producer.cancel()
        produced = Double(Int(drain)) * Double(seriesCount)
        let c1 = cpuSeconds()
        let productionRate = Double(seriesCount)  // samples/s at one scrape per second
        let drainRate = (backlog + produced) / drain
        print(
            String(
                format:
                    "%-34@ %12.0f samples/s drain (backlog %.0f samples = 60 s of %d samples/s) in %.2f s: %.0f× the production rate, CPU %.2f s",
                "wal+queue+send/catch-up-60s" as NSString, drainRate, backlog, seriesCount, drain,
                drainRate / productionRate,
                c1 - c0))

        await storage.stop(deadline: .now + .seconds(5))
        runner.cancel()
        _ = try? await runner.value
        print(
            String(
                format: "%-34@ %d requests, %.1f MB compressed received; WAL %@",
                "receiver" as NSString, receiver.requests, Double(receiver.bytes) / 1e6, dir as NSString))
    }

    func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec)
            + Double(u.ru_stime.tv_usec) / 1e6
    }

    func metric(_ r: PrometheusCollectorRegistry, _ name: String) -> Double {
        var buf: [UInt8] = []
        r.emit(into: &buf)
        for line in String(decoding: buf, as: UTF8.self).split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.split(separator: " ").last ?? "") ?? 0
        }
        return 0
    }
}

/// A minimal HTTP/1.1 receiver: keep-alive, Content-Length bodies, answers 204 (or 503 while
/// `down`), one thread per connection. Enough for AsyncHTTPClient's POSTs.
// Unchecked: its vars are guarded by `lock`; `fd` and `port` are immutable.
private final class BenchReceiver: @unchecked Sendable {
    private let fd: Int32
    let port: Int
    private let lock = NSLock()
    private var _down = false
    private var _requests = 0
    private var _bytes = 0
    private var stopped = false

    var down: Bool {
        get { lock.withLock { _down } }
        set { lock.withLock { _down = newValue } }
    }
    var requests: Int { lock.withLock { _requests } }
    var bytes: Int { lock.withLock { _bytes } }

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
                bind(fd, p, len) == 0 && listen(fd, 128) == 0 && getsockname(fd, p, &len) == 0
            }
        }
        guard ok else { throw NSError(domain: "bench", code: Int(errno)) }
        port = Int(UInt16(bigEndian: addr.sin_port))
    }

    func start() {
        Thread.detachNewThread { [self] in
            while true {
                let c = accept(fd, nil, nil)
                if c < 0 { return }
                Thread.detachNewThread { [self] in serve(c) }
            }
        }
    }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func serve(_ c: Int32) {
        defer { close(c) }
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        var pending: [UInt8] = []
        while true {
            // Headers.
            var headerEnd: Int?
            while headerEnd == nil {
                if let r = find(pending, [13, 10, 13, 10]) { headerEnd = r; break }
                let n = buf.withUnsafeMutableBytes { read(c, $0.baseAddress!, $0.count) }
                if n <= 0 { return }
                pending += buf.prefix(n)
            }
            let head = String(decoding: pending.prefix(headerEnd!), as: UTF8.self).lowercased()
            var length = 0
            for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                length = Int(line.dropFirst(15).trimmingCharacters(in: .whitespaces)) ?? 0
            }
            let bodyStart = headerEnd! + 4
            while pending.count < bodyStart + length {
                let n = buf.withUnsafeMutableBytes { read(c, $0.baseAddress!, $0.count) }
                if n <= 0 { return }
                pending += buf.prefix(n)
            }
            pending.removeFirst(bodyStart + length)
            let isDown = lock.withLock {
                _requests += 1
                _bytes += length
                return _down
            }
            let resp =
                isDown
                ? "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\ndown"
                : "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"
            let out = Array(resp.utf8)
            let w = out.withUnsafeBytes { write(c, $0.baseAddress!, $0.count) }
            if w != out.count { return }
        }
    }

    private func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count)
        where hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }
}
