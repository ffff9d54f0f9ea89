import AsyncHTTPClient
import Foundation
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// A real Alertmanager (Debian's `prometheus-alertmanager`) on 127.0.0.1, with a temporary
/// storage dir and a config that routes everything to a receiver doing nothing. Stop it with
/// `stop()` from a `defer`; both block, so tests using it run `.offThePool`.
final class AlertmanagerPeer: @unchecked Sendable {
    let port: Int
    let dir: String
    let routePrefix: String
    private let process: Process

    static let binary = "/usr/bin/prometheus-alertmanager"

    /// `host:port` for `static_configs` and `file_sd_configs`.
    var address: String { "127.0.0.1:\(port)" }
    var base: String { "http://\(address)\(routePrefix == "/" ? "" : routePrefix)" }

    /// Starts the Alertmanager and waits until `/-/ready` answers 200.
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
            _ = try await eventually("alertmanager on \(peer.port) to be ready", timeout: .seconds(30)) {
                guard peer.process.isRunning else {
                    throw TestFailure("alertmanager exited (\(peer.process.terminationStatus)): \(peer.log)")
                }
                return try? await peer.get("/-/ready").status == 200 ? true : nil
            }
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
        _ = FileManager.default.createFile(atPath: dir + "/log", contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = [
            "--config.file=\(dir)/alertmanager.yml", "--storage.path=\(dir)/data",
            "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=", "--web.route-prefix=\(routePrefix)",
            "--log.level=warn",
        ]
        process.standardInput = FileHandle.nullDevice
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/log"))
        process.standardOutput = log
        process.standardError = log
        // The pool's threads block SIGTERM and posix_spawn passes the mask on: spawn with an
        // empty mask so `stop()` works.
        var empty = sigset_t()
        var saved = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        try process.run()
    }

    var log: String { (try? String(contentsOfFile: dir + "/log", encoding: .utf8)) ?? "" }

    /// SIGTERM, then SIGKILL after 10 s; removes the temporary dir.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = ContinuousClock.now + .seconds(10)
            while process.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
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
