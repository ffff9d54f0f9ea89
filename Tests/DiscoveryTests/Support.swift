import Foundation
import Hummingbird
import Logging
import PromModel
import Prometheus
import TestSupport

@testable import Discovery

let quietLogger: Logger = {
    var l = Logger(label: "discovery-test")
    l.logLevel = .critical
    return l
}()

func makeMetrics() -> (DiscoveryMetrics, PrometheusCollectorRegistry) {
    let r = PrometheusCollectorRegistry()
    return (DiscoveryMetrics(registry: r), r)
}

/// The sum of every series of the family `name` in the registry (0 when none).
func metricSum(_ registry: PrometheusCollectorRegistry, _ name: String) -> Double {
    var total = 0.0
    for line in exposition(registry).split(separator: "\n")
    where line.hasPrefix(name + " ") || line.hasPrefix(name + "{") {
        if let v = line.split(separator: " ").last.flatMap({ Double($0) }) { total += v }
    }
    return total
}

/// A temporary directory, removed by `remove()`.
struct Scratch {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "/promsls-sd-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let p = path + "/" + name
        // Write then rename, as config-management tools do.
        try text.write(toFile: p + ".tmp", atomically: false, encoding: .utf8)
        guard rename(p + ".tmp", p) == 0 else { throw CocoaError(.fileWriteUnknown) }
        return p
    }
    func delete(_ name: String) throws { try FileManager.default.removeItem(atPath: path + "/" + name) }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Addresses of every target of `groups`, sorted.
func addresses(_ groups: [TargetGroup]) -> [String] {
    groups.flatMap { $0.targets.compactMap { $0["__address__"] } }.sorted()
}

final class Box<T: Sendable>: @unchecked Sendable {
    private let lock = NSLockLite()
    private var v: T
    init(_ v: T) { self.v = v }
    var value: T {
        get { lock.withLock { v } }
        set { lock.withLock { v = newValue } }
    }
}

/// Runs a Hummingbird server on 127.0.0.1 (port 0) with `router` while `body` runs; `body`
/// starts once the server listens (its `onServerRunning`), and gets the port.
func withServer<T: Sendable>(
    _ router: Router<BasicRequestContext>, _ body: @Sendable (Int) async throws -> T
) async throws -> T {
    let listening = EventLog<Int>()
    let app = Application(
        router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { ch in listening.append(ch.localAddress?.port ?? 0) }, logger: quietLogger)
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            try await app.runService(gracefulShutdownSignals: [])
            return nil
        }
        let port = await listening.wait(count: 1)[0]
        let result = try await body(port)
        group.cancelAll()
        return result
    }
}

/// What `/metrics` serves for `registry`: the registry's families, then the per-job ones.
func exposition(_ registry: PrometheusCollectorRegistry) -> String {
    var perJob: [UInt8] = []
    LabeledFamilies.attached(to: registry).emit(into: &perJob)
    return registry.emitToString() + String(decoding: perJob, as: UTF8.self)
}
