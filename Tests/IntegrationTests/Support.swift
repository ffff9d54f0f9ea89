// Shared helpers for the integration tests: free ports, child processes with captured output,
// polling with a deadline, HTTP (plain and TLS), PromQL queries, exposition parsing, certs and
// bcrypt hashes for Prometheus's web config.

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// MARK: - Errors

/// A failure of the test machinery itself (a missing peer, a timeout), with a message that
/// says what to do about it.
struct IntegrationError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Paths and binaries

enum Paths {
    /// The package root, found from this file's location (`<root>/Tests/IntegrationTests/Support.swift`).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The promsls binary: `$PROMSLS_BIN`, else `<root>/.build/debug/promsls`.
    static func promsls() throws -> String {
        let env = ProcessInfo.processInfo.environment["PROMSLS_BIN"] ?? ""
        let path = env.isEmpty ? packageRoot.appendingPathComponent(".build/debug/promsls").path : env
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw IntegrationError(
                "promsls binary not found at \(path): build it with `swift build --product promsls` or set PROMSLS_BIN")
        }
        return path
    }

    /// The first of `names` found in PATH (plus /usr/bin, /usr/sbin, /usr/local/bin).
    static func which(_ names: String...) -> String? {
        let pathDirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for name in names {
            for dir in pathDirs + ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin"] {
                let p = dir + "/" + name
                if FileManager.default.isExecutableFile(atPath: p) { return p }
            }
        }
        return nil
    }

    /// Like `which`, but a missing peer is a test failure with a clear message, never a skip.
    static func require(_ names: String..., package: String) throws -> String {
        for n in names {
            if let p = which(n) { return p }
        }
        throw IntegrationError(
            "required peer binary \(names.joined(separator: " or ")) not found in PATH: install the Debian package `\(package)` (`make deps`)"
        )
    }

    static func prometheus() throws -> String { try require("prometheus", package: "prometheus") }
    static func nodeExporter() throws -> String {
        try require("prometheus-node-exporter", "node_exporter", package: "prometheus-node-exporter")
    }
    static func openssl() throws -> String { try require("openssl", package: "openssl") }
}

/// A temporary directory removed by `remove()` (call it from a `defer`).
struct TempDir {
    let url: URL
    var path: String { url.path }

    init(_ prefix: String = "promsls-it") throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory())
        url = base.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let p = file(name)
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func subdir(_ name: String) throws -> String {
        let p = file(name)
        try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }

    func remove() {
        // Keep the logs of a failed run when asked to.
        if ProcessInfo.processInfo.environment["PROMSLS_IT_KEEP"] != nil {
            print("kept \(path)")
            return
        }
        try? FileManager.default.removeItem(at: url)
    }
}

// MARK: - Ports

enum Ports {
    /// A port that was free on 127.0.0.1 a moment ago (bind to port 0, read it back, close).
    static func free() throws -> Int {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw IntegrationError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else { throw IntegrationError("bind(127.0.0.1:0) failed: errno \(errno)") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc2 = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard rc2 == 0 else { throw IntegrationError("getsockname failed: errno \(errno)") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// True when something accepts TCP connections on 127.0.0.1:port.
    static func isListening(_ port: Int) -> Bool {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return rc == 0
    }
}

// MARK: - Child processes

/// A child process whose stdout and stderr go to files in `dir`. Stop it with `stop()` from a
/// `defer` so it is stopped on failure too.
final class Child: @unchecked Sendable {
    let name: String
    let process: Process
    let stdoutPath: String
    let stderrPath: String

    /// Starts `executable` with `arguments`; `environment` entries are added to ours.
    init(_ name: String, _ executable: String, _ arguments: [String], dir: TempDir, environment: [String: String] = [:])
        throws
    {
        self.name = name
        let tag = "\(name)-\(UUID().uuidString.prefix(6))"
        stdoutPath = dir.file("\(tag).stdout")
        stderrPath = dir.file("\(tag).stderr")
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        // Threads of Swift's pool and of dispatch block almost every signal, and posix_spawn
        // hands the spawning thread's mask to the child: a child started with SIGTERM blocked
        // ignores `stop()` until SIGKILL. Spawn with nothing blocked.
        var empty = sigset_t()
        var saved = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        do {
            try process.run()
        } catch {
            throw IntegrationError("cannot start \(name) (\(executable)): \(error)")
        }
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    /// The exit status, or nil while running. A death by signal reads as 128+signal.
    var exitStatus: Int32? {
        guard !process.isRunning else { return nil }
        return process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus : process.terminationStatus
    }

    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// The last `lines` lines of stderr (and stdout), for failure messages.
    func tail(_ lines: Int = 30) -> String {
        func last(_ s: String) -> String {
            s.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
        }
        var out = "--- \(name) (pid \(pid)) stderr tail ---\n\(last(stderr))"
        let o = stdout
        if !o.isEmpty { out += "\n--- \(name) stdout tail ---\n\(last(o))" }
        return out
    }

    /// Waits for the process to exit by itself; returns its status, or nil on timeout.
    @discardableResult
    func waitForExit(timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { usleep(50_000) }
        return exitStatus
    }

    /// SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit status (nil if it never
    /// exited). Safe to call more than once and on an exited process.
    @discardableResult
    func stop(grace: Duration = .seconds(10)) -> Int32? {
        if process.isRunning {
            kill(pid, SIGTERM)
            if waitForExit(timeout: grace) == nil {
                print("integration: \(name) (pid \(pid)) ignored SIGTERM for \(grace); sending SIGKILL")
                kill(pid, SIGKILL)
                waitForExit(timeout: .seconds(5))
            }
        }
        return exitStatus
    }
}

/// Runs a command to completion and returns (status, stdout, stderr).
func runToCompletion(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60)
)
    throws -> (status: Int32, stdout: String, stderr: String)
{
    let dir = try TempDir("promsls-run")
    defer { dir.remove() }
    let child = try Child(
        URL(fileURLWithPath: executable).lastPathComponent, executable, arguments, dir: dir, environment: environment)
    guard let status = child.waitForExit(timeout: timeout) else {
        child.stop(grace: .seconds(2))
        throw IntegrationError(
            "\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout)\n\(child.tail())")
    }
    return (status, child.stdout, child.stderr)
}

// MARK: - Polling

/// Calls `check` every `interval` until it returns a value, or fails after `timeout` with
/// `what`, the last error thrown by `check` and `context()` (e.g. log tails).
func eventually<T>(
    _ what: String, timeout: Duration = .seconds(60), interval: Duration = .milliseconds(500),
    context: () -> String = { "" }, _ check: () async throws -> T?
) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    var lastError: (any Error)? = nil
    while true {
        do {
            if let v = try await check() { return v }
            lastError = nil
        } catch {
            lastError = error
        }
        if ContinuousClock.now >= deadline { break }
        try await Task.sleep(for: interval)
    }
    var msg = "timed out after \(timeout) waiting for: \(what)"
    if let lastError { msg += "\nlast error: \(lastError)" }
    let ctx = context()
    if !ctx.isEmpty { msg += "\n\(ctx)" }
    throw IntegrationError(msg)
}

// MARK: - HTTP

struct HTTPResult {
    var status: Int
    var body: String
    /// Response headers by lower-cased name (the last of repeated ones).
    var headers: [String: String] = [:]
}

/// A small HTTP client over AsyncHTTPClient, optionally trusting a CA file and sending basic auth.
final class TestHTTP: Sendable {
    let client: HTTPClient
    let authorization: String?

    init(caFile: String? = nil, basicAuth: (String, String)? = nil) throws {
        var config = HTTPClient.Configuration()
        config.timeout = .init(connect: .seconds(5), read: .seconds(20))
        if let caFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            config.tlsConfiguration = tls
        }
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        if let (u, p) = basicAuth {
            authorization = "Basic " + Data("\(u):\(p)".utf8).base64EncodedString()
        } else {
            authorization = nil
        }
    }

    func get(_ url: String, headers: [(String, String)] = []) async throws -> HTTPResult {
        var req = HTTPClientRequest(url: url)
        if let authorization { req.headers.add(name: "Authorization", value: authorization) }
        for (k, v) in headers { req.headers.add(name: k, value: v) }
        let resp = try await client.execute(req, timeout: .seconds(20))
        let body = try await resp.body.collect(upTo: 32 << 20)
        var headers: [String: String] = [:]
        for h in resp.headers { headers[h.name.lowercased()] = h.value }
        return HTTPResult(status: Int(resp.status.code), body: String(buffer: body), headers: headers)
    }

    func shutdown() async { try? await client.shutdown() }

    /// Runs `body` with a client and always shuts it down.
    static func with<T>(caFile: String? = nil, basicAuth: (String, String)? = nil, _ body: (TestHTTP) async throws -> T)
        async throws -> T
    {
        let http = try TestHTTP(caFile: caFile, basicAuth: basicAuth)
        do {
            let r = try await body(http)
            await http.shutdown()
            return r
        } catch {
            await http.shutdown()
            throw error
        }
    }

    /// Polls `url` until it answers 200.
    func waitFor200(_ url: String, timeout: Duration = .seconds(60), context: () -> String = { "" }) async throws {
        _ = try await eventually(
            "\(url) to answer 200", timeout: timeout, interval: .milliseconds(250), context: context
        ) {
            try await get(url).status == 200 ? true : nil
        }
    }
}

// MARK: - PromQL

/// One element of an instant-vector result.
struct PromSample {
    var metric: [String: String]
    var value: Double
}

extension TestHTTP {
    /// Runs an instant query against a Prometheus at `base` and returns the vector.
    func query(_ base: String, _ promql: String) async throws -> [PromSample] {
        var comps = URLComponents(string: base + "/api/v1/query")!
        comps.queryItems = [URLQueryItem(name: "query", value: promql)]
        // URLComponents leaves '+' alone; PromQL needs it escaped.
        let url = comps.url!.absoluteString.replacingOccurrences(of: "+", with: "%2B")
        let r = try await get(url)
        guard r.status == 200 else {
            throw IntegrationError("query \(promql): HTTP \(r.status): \(r.body.prefix(500))")
        }
        guard let obj = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any],
            obj["status"] as? String == "success", let data = obj["data"] as? [String: Any],
            let result = data["result"] as? [[String: Any]]
        else { throw IntegrationError("query \(promql): unexpected answer \(r.body.prefix(500))") }
        return try result.map { item in
            guard let metric = item["metric"] as? [String: String], let value = item["value"] as? [Any],
                value.count == 2,
                let s = value[1] as? String, let v = Double(s)
            else { throw IntegrationError("query \(promql): unexpected element \(item)") }
            return PromSample(metric: metric, value: v)
        }
    }
}

// MARK: - Exposition

enum TextBody {
    /// (sample name, value) of each sample line of a text-format (0.0.4) body.
    static func samples(_ body: String) -> [(name: String, value: Double?)] {
        var out: [(String, Double?)] = []
        for raw in body.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let nameEnd = line.firstIndex(where: { $0 == "{" || $0 == " " || $0 == "\t" }) ?? line.endIndex
            // The value follows the label set (whose values may contain spaces).
            var rest = Substring(line[nameEnd...])
            if rest.hasPrefix("{"), let close = rest.lastIndex(of: "}") { rest = rest[rest.index(after: close)...] }
            let fields = rest.split(whereSeparator: { $0 == " " || $0 == "\t" })
            out.append((String(line[..<nameEnd]), fields.first.flatMap { goFloat(String($0)) }))
        }
        return out
    }

    static func names(_ body: String) -> Set<String> { Set(samples(body).map(\.name)) }

    /// The sum of all samples named `name` in a body (0 when none).
    static func sum(_ body: String, _ name: String) -> Double {
        samples(body).filter { $0.name == name }.compactMap(\.value).reduce(0, +)
    }

    /// The value of the only sample named `name`, nil when absent.
    static func value(_ body: String, _ name: String) -> Double? {
        samples(body).first { $0.name == name }?.value
    }

    static func goFloat(_ s: String) -> Double? {
        switch s {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return Double(s)
        }
    }
}

// MARK: - TLS and basic-auth material

enum Credentials {
    /// A self-signed certificate for 127.0.0.1 (SAN IP:127.0.0.1, CA:TRUE) in `dir`:
    /// returns (certPath, keyPath). The cert doubles as the CA file.
    static func selfSignedCert(in dir: TempDir) throws -> (cert: String, key: String) {
        let cert = dir.file("tls.crt")
        let key = dir.file("tls.key")
        let r = try runToCompletion(
            try Paths.openssl(),
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-addext", "basicConstraints=critical,CA:TRUE",
            ])
        guard r.status == 0 else { throw IntegrationError("openssl req failed (\(r.status)): \(r.stderr)") }
        return (cert, key)
    }

    /// A bcrypt hash of `password` for Prometheus's `basic_auth_users`: python3's `bcrypt`,
    /// else python3's `crypt` (libxcrypt does `$2b$`), else `htpasswd -nbB` (apache2-utils).
    static func bcrypt(_ password: String) throws -> String {
        var tried: [String] = []
        if let py = Paths.which("python3") {
            let scripts = [
                "import bcrypt,sys; print(bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt(rounds=4)).decode())",
                "import warnings; warnings.simplefilter('ignore'); import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))",
            ]
            for s in scripts {
                if let r = try? runToCompletion(py, ["-c", s, password]), r.status == 0 {
                    let h = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                    if h.hasPrefix("$2") { return h }
                    tried.append("python3: unexpected output \(h)")
                } else {
                    tried.append("python3 -c \(s.prefix(30))… failed")
                }
            }
        }
        if let htpasswd = Paths.which("htpasswd") {
            let r = try runToCompletion(htpasswd, ["-nbB", "-C", "4", "u", password])
            if r.status == 0, let colon = r.stdout.firstIndex(of: ":") {
                return r.stdout[r.stdout.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            }
            tried.append("htpasswd failed: \(r.stderr)")
        }
        throw IntegrationError(
            "cannot make a bcrypt hash: need python3 with the bcrypt or crypt module, or htpasswd (apache2-utils). Tried: \(tried)"
        )
    }
}

// MARK: - Peers

/// A running node_exporter on 127.0.0.1.
struct NodeExporter {
    let child: Child
    let port: Int
    var address: String { "127.0.0.1:\(port)" }
    var metricsURL: String { "http://\(address)/metrics" }

    static func start(dir: TempDir, http: TestHTTP) async throws -> NodeExporter {
        let port = try Ports.free()
        let child = try Child(
            "node_exporter", try Paths.nodeExporter(),
            ["--web.listen-address=127.0.0.1:\(port)", "--no-collector.systemd"], dir: dir)
        let ne = NodeExporter(child: child, port: port)
        do {
            try await http.waitFor200(ne.metricsURL, context: { child.tail() })
        } catch {
            child.stop()
            throw error
        }
        return ne
    }

    /// The exporter's own body in text format 0.0.4.
    func body(_ http: TestHTTP) async throws -> String {
        let r = try await http.get(metricsURL, headers: [("Accept", "text/plain;version=0.0.4")])
        guard r.status == 200 else { throw IntegrationError("node_exporter /metrics: HTTP \(r.status)") }
        return r.body
    }
}

/// A real Prometheus running as a remote-write receiver, optionally behind TLS and basic auth.
struct PrometheusReceiver {
    let child: Child
    let port: Int
    let tls: Bool
    var base: String { "\(tls ? "https" : "http")://127.0.0.1:\(port)" }
    var writeURL: String { base + "/api/v1/write" }

    /// `webConfig` is the YAML of `--web.config.file` (TLS, basic_auth_users), if any.
    /// `http` must be able to talk to it (CA and credentials) to wait for readiness.
    static func start(dir: TempDir, http: TestHTTP, webConfig: String? = nil) async throws -> PrometheusReceiver {
        let port = try Ports.free()
        let cfg = try dir.write("prometheus-\(port).yml", "global:\n  scrape_interval: 15s\n")
        let tsdb = try dir.subdir("prometheus-\(port)-tsdb")
        var args = [
            "--web.enable-remote-write-receiver", "--config.file=\(cfg)", "--storage.tsdb.path=\(tsdb)",
            "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
        ]
        if let webConfig { args.append("--web.config.file=\(try dir.write("web-\(port).yml", webConfig))") }
        let child = try Child("prometheus", try Paths.prometheus(), args, dir: dir)
        let p = PrometheusReceiver(child: child, port: port, tls: webConfig?.contains("tls_server_config") == true)
        do {
            try await http.waitFor200(p.base + "/-/ready", context: { child.tail() })
        } catch {
            child.stop()
            throw error
        }
        return p
    }
}

/// A promsls agent (or `promsls receive`) child.
struct Promsls {
    let child: Child
    let port: Int
    var base: String { "http://127.0.0.1:\(port)" }

    /// Writes `config` and starts the agent on a free port; does not wait for it.
    static func launchAgent(
        dir: TempDir, name: String = "promsls", config: String, extraArgs: [String] = [],
        environment: [String: String] = [:]
    ) throws -> Promsls {
        let port = try Ports.free()
        let cfg = try dir.write("\(name)-\(port).yml", config)
        let data = try dir.subdir("\(name)-\(port)-data")
        let args =
            [
                "--config.file=\(cfg)", "--web.listen-address=127.0.0.1:\(port)", "--storage.agent.path=\(data)",
                "--log.level=debug", "--shutdown-timeout=5s",
            ] + extraArgs
        let child = try Child(name, try Paths.promsls(), args, dir: dir, environment: environment)
        return Promsls(child: child, port: port)
    }

    /// Starts the agent and waits until `/-/healthy` answers 200.
    static func startAgent(dir: TempDir, http: TestHTTP, name: String = "promsls", config: String) async throws
        -> Promsls
    {
        let p = try launchAgent(dir: dir, name: name, config: config)
        do {
            try await p.waitHealthy(http)
        } catch {
            p.child.stop()
            throw error
        }
        return p
    }

    func waitHealthy(_ http: TestHTTP) async throws {
        let child = self.child
        _ = try await eventually(
            "\(child.name) /-/healthy to answer 200", timeout: .seconds(30), interval: .milliseconds(250),
            context: { child.tail() }
        ) {
            if !child.isRunning {
                throw IntegrationError("\(child.name) exited with status \(child.exitStatus.map(String.init) ?? "?")")
            }
            return try await http.get(base + "/-/healthy").status == 200 ? true : nil
        }
    }

    /// `promsls receive --listen 127.0.0.1:PORT`, waiting until it listens.
    static func startReceiver(dir: TempDir) async throws -> Promsls {
        let port = try Ports.free()
        let child = try Child(
            "promsls-receive", try Paths.promsls(), ["receive", "--listen", "127.0.0.1:\(port)"], dir: dir)
        do {
            _ = try await eventually(
                "promsls receive to listen on \(port)", timeout: .seconds(30), interval: .milliseconds(100),
                context: { child.tail() }
            ) {
                if !child.isRunning {
                    throw IntegrationError("promsls receive exited with status \(child.exitStatus ?? -1)")
                }
                return Ports.isListening(port) ? true : nil
            }
        } catch {
            child.stop()
            throw error
        }
        return Promsls(child: child, port: port)
    }

    /// The agent's own `/metrics` body.
    func metrics(_ http: TestHTTP) async throws -> String {
        let r = try await http.get(base + "/metrics")
        guard r.status == 200 else { throw IntegrationError("\(child.name) /metrics: HTTP \(r.status)") }
        return r.body
    }
}

/// A YAML double-quoted string.
func yamlQuote(_ s: String) -> String {
    "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}
