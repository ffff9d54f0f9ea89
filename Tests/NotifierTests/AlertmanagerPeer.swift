import AsyncHTTPClient
import Foundation
import NIOCore
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A real Alertmanager (Debian's `prometheus-alertmanager`) on 127.0.0.1, with a temporary
/// storage dir and a config that routes everything to a receiver doing nothing. Stop it with
/// `stop()` from a `defer`; it blocks, so tests using it run `.offThePool`.
final class AlertmanagerPeer: @unchecked Sendable {
    let port: Int
    let dir: String
    let routePrefix: String
    private let process: Process
    /// The Alertmanager's log (stderr), chunk by chunk as read; "exited" when it ends.
    private let output = EventLog<String>()
    /// Signalled when the process has exited.
    private let exited = DispatchSemaphore(value: 0)

    static let binary = "/usr/bin/prometheus-alertmanager"

    /// `host:port` for `static_configs` and `file_sd_configs`.
    var address: String { "127.0.0.1:\(port)" }
    var base: String { "http://\(address)\(routePrefix == "/" ? "" : routePrefix)" }

    /// Starts the Alertmanager, waits until it logs that it listens, and checks that `/-/ready`
    /// answers 200.
    /// - Parameters:
    ///   - port: where to listen (default: a free port).
    ///   - routePrefix: `--web.route-prefix` (the API then lives under it).
    static func start(port: Int? = nil, routePrefix: String = "/") async throws -> AlertmanagerPeer {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw TestFailure(
                "\(binary) not found: install the Debian package prometheus-alertmanager (`make deps`)")
        }
        let peer = try AlertmanagerPeer(port: port ?? BlackHole.closedPort(), routePrefix: routePrefix)
        do {
            let listening = "msg=\"Listening on\""
            let events = await peer.output.wait { $0.joined().contains(listening) || $0.contains("exited") }
            guard events.joined().contains(listening) else {
                throw TestFailure("alertmanager exited (\(peer.process.terminationStatus)): \(peer.log)")
            }
            let ready = try await peer.get("/-/ready").status
            guard ready == 200 else { throw TestFailure("alertmanager /-/ready: HTTP \(ready): \(peer.log)") }
        } catch {
            peer.stop()
            throw error
        }
        return peer
    }

    private init(port: Int, routePrefix: String) throws {
        self.port = port
        self.routePrefix = routePrefix
        dir = NSTemporaryDirectory() + "promsls-am-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        let config = "route:\n  receiver: \"null\"\nreceivers:\n  - name: \"null\"\n"
        try config.write(toFile: dir + "/alertmanager.yml", atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = [
            "--config.file=\(dir)/alertmanager.yml", "--storage.path=\(dir)/data",
            "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=", "--web.route-prefix=\(routePrefix)",
            "--log.level=info",
        ]
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { h in
            let data = h.availableData
            if data.isEmpty {
                h.readabilityHandler = nil
            } else {
                output.append(String(decoding: data, as: UTF8.self))
            }
        }
        let exited = self.exited
        process.terminationHandler = { _ in
            output.append("exited")
            exited.signal()
        }
        // The pool's threads block SIGTERM and posix_spawn passes the mask on: spawn with an
        // empty mask so `stop()` works.
        var empty = sigset_t()
        var saved = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        try process.run()
    }

    var log: String { output.events.joined() }

    /// SIGTERM, then SIGKILL if it has not exited 10 s later (a blocking wait for its exit,
    /// not a poll); removes the temporary dir.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            if exited.wait(timeout: .now() + .seconds(10)) == .timedOut { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    func get(_ path: String) async throws -> (status: Int, body: [UInt8]) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + path), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), Array(buffer: body))
    }

    /// The alerts the Alertmanager holds (`GET /api/v2/alerts`).
    func alerts() async throws -> [PostedAlert] {
        let r = try await get("/api/v2/alerts")
        guard r.status == 200 else { throw TestFailure("GET /api/v2/alerts: HTTP \(r.status)") }
        return try PostedAlert.parse(r.body)
    }
}

/// Milliseconds since the epoch of an RFC 3339 time with or without a fraction.
func epochMs(_ rfc3339: String?) -> Int64? {
    guard let rfc3339 else { return nil }
    let withFraction = ISO8601DateFormatter()
    withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    let plain = ISO8601DateFormatter()
    guard let date = withFraction.date(from: rfc3339) ?? plain.date(from: rfc3339) else { return nil }
    return Int64((date.timeIntervalSince1970 * 1000).rounded())
}
