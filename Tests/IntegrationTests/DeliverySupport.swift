// Helpers of DeliveryTests: an in-process scrape target whose value counts its scrapes, an
// in-process scripted remote-write receiver, a real Prometheus receiver that can be stopped
// and started again on the same port and data, and the exactly-once / in-order check over
// raw samples read back with a range selector.

import Foundation
import Hummingbird
import Logging
import NIOCore
import PromModel
import RemoteWrite
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a Hummingbird router on 127.0.0.1 (port 0) until `stop()`.
final class LocalServer: @unchecked Sendable {
    private let lock = NSLockLite()
    private var _port = 0
    private var task: Task<Void, any Error>?
    var port: Int { lock.withLock { _port } }

    init(_ router: Router<BasicRequestContext>) async throws {
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { [lock] ch in lock.withLock { self._port = ch.localAddress?.port ?? 0 } },
            logger: {
                var l = Logger(label: "delivery-test-server")
                l.logLevel = .critical
                return l
            }())
        task = Task { try await app.runService(gracefulShutdownSignals: []) }
        // Up to 30 s: on a loaded 2-core machine the first bind took over 5 s once (CI).
        for _ in 0..<3000 where port == 0 { try await Task.sleep(for: .milliseconds(10)) }
        guard port != 0 else { throw IntegrationError("local test server did not start") }
    }

    func stop() { task?.cancel() }
}

/// A scrape target serving `series` gauges `delivery_test_value{i="…"}` whose value is the
/// number of the scrape (1, 2, 3 …): every scrape is one value, so gaps and duplicates show.
final class CountingTarget: @unchecked Sendable {
    private let lock = NSLockLite()
    private var count = 0
    private(set) var server: LocalServer!
    let series: Int
    var scrapes: Int { lock.withLock { count } }
    var address: String { "127.0.0.1:\(server.port)" }

    init(series: Int) async throws {
        self.series = series
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            let n = self.lock.withLock {
                self.count += 1
                return self.count
            }
            var body = "# HELP delivery_test_value The scrape number.\n# TYPE delivery_test_value gauge\n"
            for i in 0..<self.series { body += "delivery_test_value{i=\"\(i)\"} \(n)\n" }
            var h = HTTPFields()
            h.append(.init(name: .contentType, value: "text/plain; version=0.0.4"))
            return Response(status: .ok, headers: h, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        server = try await LocalServer(router)
    }
}

/// A remote-write receiver answering from `script(requestIndex)`, recording what it got.
final class ScriptedReceiver: @unchecked Sendable {
    struct Got {
        var status: Int
        var samples: [TimeSeriesSample]
    }
    private let lock = NSLockLite()
    private var _got: [Got] = []
    private(set) var server: LocalServer!
    var got: [Got] { lock.withLock { _got } }
    var url: String { "http://127.0.0.1:\(server.port)/api/v1/write" }

    init(_ script: @escaping @Sendable (Int) -> (Int, String)) async throws {
        let router = Router()
        router.post("/api/v1/write") { request, _ -> Response in
            let buf = try await request.body.collect(upTo: 64 << 20)
            let samples = (try? WriteRequestDecoder.decode(snappyCompressed: Array(buffer: buf)))?.samples ?? []
            let i = self.lock.withLock { self._got.count }
            let (status, body) = script(i)
            self.lock.withLock { self._got.append(Got(status: status, samples: samples)) }
            var h = HTTPFields()
            h.append(.init(name: .init("x-sls-request-id")!, value: "req-\(i)"))
            return Response(status: .init(code: status), headers: h, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        server = try await LocalServer(router)
    }
}

/// A Prometheus remote-write receiver that can be stopped and started again on the same
/// port and TSDB directory (an outage of the endpoint).
final class RestartablePrometheus: @unchecked Sendable {
    let dir: TempDir
    let port: Int
    let tsdb: String
    let config: String
    private(set) var child: Child?
    var base: String { "http://127.0.0.1:\(port)" }
    var writeURL: String { base + "/api/v1/write" }

    init(dir: TempDir) throws {
        self.dir = dir
        port = try Ports.free()
        tsdb = try dir.subdir("prom-\(port)-tsdb")
        config = try dir.write("prom-\(port).yml", "global:\n  scrape_interval: 15s\n")
    }

    func start(_ http: TestHTTP) async throws {
        let c = try Child(
            "prometheus", try Paths.prometheus(),
            [
                "--web.enable-remote-write-receiver", "--config.file=\(config)", "--storage.tsdb.path=\(tsdb)",
                "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
            ], dir: dir)
        child = c
        try await http.waitFor200(base + "/-/ready", context: { c.tail() })
    }

    func stop() { child?.stop() }
}

/// A promsls agent on a fixed data directory, so it can be restarted (or killed) and resume.
struct DeliveryAgent {
    let dir: TempDir
    let name: String
    let data: String
    let configPath: String
    let extraArgs: [String]
    var current: Promsls?

    init(dir: TempDir, name: String, config: String, extraArgs: [String] = []) throws {
        self.dir = dir
        self.name = name
        data = try dir.subdir("\(name)-data")
        configPath = try dir.write("\(name).yml", config)
        self.extraArgs = extraArgs
    }

    /// Starts (again) on a new port with the same data directory; waits for /-/healthy.
    mutating func start(_ http: TestHTTP) async throws {
        let port = try Ports.free()
        let args =
            [
                "--config.file=\(configPath)", "--web.listen-address=127.0.0.1:\(port)", "--storage.agent.path=\(data)",
                "--log.level=debug", "--shutdown-timeout=3s",
            ] + extraArgs
        let p = Promsls(child: try Child(name, try Paths.promsls(), args, dir: dir), port: port)
        current = p
        try await p.waitHealthy(http)
    }

    var child: Child { current!.child }
    func logs() -> String { current.map { $0.child.tail(40) } ?? "" }
    func metric(_ http: TestHTTP, _ name: String) async throws -> Double {
        TextBody.sum(try await current!.metrics(http), name)
    }
    /// All stderr of every run so far (each run has its own file).
    func allStderr() -> String {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return files.filter { $0.hasPrefix(name + "-") && $0.hasSuffix(".stderr") }.sorted()
            .compactMap { try? String(contentsOfFile: dir.file($0), encoding: .utf8) }.joined(separator: "\n")
    }
}

/// A scrape config for `target` every second, and `remoteWrite` entries (YAML list items).
func deliveryConfig(target: String, remoteWrite: [String]) -> String {
    """
    global:
      scrape_interval: 1s
      scrape_timeout: 1s
    scrape_configs:
      - job_name: delivery
        static_configs:
          - targets: [\(yamlQuote(target))]
    remote_write:
    \(remoteWrite.joined(separator: "\n"))
    """
}

/// A `remote_write` entry; `capacity` bounds the samples a queue holds in memory (the rest
/// waits in the WAL).
func deliveryRemote(name: String, url: String, capacity: Int = 10000, maxSamplesPerSend: Int = 500) -> String {
    """
      - url: \(yamlQuote(url))
        name: \(name)
        remote_timeout: 5s
        queue_config:
          batch_send_deadline: 500ms
          min_backoff: 100ms
          max_backoff: 1s
          max_samples_per_send: \(maxSamplesPerSend)
          capacity: \(capacity)
    """
}

/// Raw samples per series (by label `i`) from `selector[window]`.
func rawSamples(_ http: TestHTTP, _ base: String, _ selector: String, window: String = "30m") async throws
    -> [String: [(ts: Double, value: Double)]]
{
    var comps = URLComponents(string: base + "/api/v1/query")!
    comps.queryItems = [URLQueryItem(name: "query", value: "\(selector)[\(window)]")]
    let r = try await http.get(comps.url!.absoluteString)
    guard r.status == 200,
        let obj = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any],
        let data = obj["data"] as? [String: Any], let result = data["result"] as? [[String: Any]]
    else { throw IntegrationError("range query \(selector): HTTP \(r.status) \(r.body.prefix(300))") }
    var out: [String: [(Double, Double)]] = [:]
    for item in result {
        let metric = item["metric"] as? [String: String] ?? [:]
        let values = (item["values"] as? [[Any]]) ?? []
        out[metric["i"] ?? "?"] = values.compactMap { v in
            guard v.count == 2, let ts = v[0] as? Double, let s = v[1] as? String, let d = Double(s) else { return nil }
            return (ts, d)
        }
    }
    return out
}

/// What the scrape-number values of one series show.
struct SeriesCheck: CustomStringConvertible {
    var count = 0
    var first = 0.0
    var last = 0.0
    /// Missing scrape numbers.
    var missing: [Double] = []
    /// Values seen twice or going backwards, or timestamps not increasing.
    var disorder = 0

    init(_ samples: [(ts: Double, value: Double)]) {
        count = samples.count
        first = samples.first?.value ?? 0
        last = samples.last?.value ?? 0
        for (a, b) in zip(samples, samples.dropFirst()) {
            if b.ts <= a.ts || b.value <= a.value { disorder += 1 }
            if b.value > a.value + 1 { missing += Array(stride(from: a.value + 1, to: b.value, by: 1)) }
        }
    }

    var description: String {
        "count=\(count) values \(Int(first))…\(Int(last)) missing=\(missing.map { Int($0) }) disorder=\(disorder)"
    }
}

/// Waits until every series has its value `atLeast` in Prometheus.
func waitDelivered(
    _ http: TestHTTP, _ base: String, series: Int, atLeast: Int, timeout: Duration = .seconds(60), context: () -> String
) async throws {
    _ = try await eventually(
        "all \(series) series delivered up to scrape \(atLeast)", timeout: timeout, context: context
    ) {
        () -> Bool? in
        let r = try await http.query(base, "max_over_time(delivery_test_value[30m])")
        return r.count == series && r.allSatisfy { $0.value >= Double(atLeast) } ? true : nil
    }
}
