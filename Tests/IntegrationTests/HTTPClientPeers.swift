// Peers of HTTPClientTests: a test CA with server and client certificates, Debian's nginx in
// front of node_exporter (TLS 1.2 only, mTLS, redirects), tinyproxy, and node_exporter on a
// given address. Every peer listens on a free port and is stopped by the test.

import Foundation
import Testing

extension Paths {
    static func nginx() throws -> String { try require("nginx", package: "nginx") }
    static func tinyproxy() throws -> String { try require("tinyproxy", package: "tinyproxy") }

    /// The first non-loopback IPv4 address of this machine (getifaddrs): proxies skip
    /// loopback targets when `no_proxy` is set or the proxy comes from the environment, as
    /// in Go, so those cases need another address.
    static func hostIPv4() throws -> String {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { throw IntegrationError("getifaddrs failed") }
        defer { freeifaddrs(list) }
        var found: [String] = []
        for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
            guard let addr = entry.pointee.ifa_addr, addr.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let rc = getnameinfo(
                addr, socklen_t(MemoryLayout<sockaddr_in>.size), &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST)
            guard rc == 0 else { continue }
            let text = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !text.hasPrefix("127.") { return text }
            found.append(text)
        }
        throw IntegrationError("the proxy tests need a non-loopback IPv4 address; this machine has only \(found)")
    }
}

/// A CA, a server certificate for `node.promsls.test` only (no IP SAN, so connecting to
/// 127.0.0.1 needs `server_name`), and a client certificate for mTLS.
struct TestPKI {
    static let serverName = "node.promsls.test"
    let caCert: String
    let serverCert: String
    let serverKey: String
    let clientCert: String
    let clientKey: String

    static func make(in dir: TempDir) throws -> TestPKI {
        let openssl = try Paths.openssl()
        func run(_ args: [String]) throws {
            let r = try runToCompletion(openssl, args)
            guard r.status == 0 else { throw IntegrationError("openssl \(args.prefix(2)) failed: \(r.stderr)") }
        }
        let pki = TestPKI(
            caCert: dir.file("ca.crt"), serverCert: dir.file("server.crt"), serverKey: dir.file("server.key"),
            clientCert: dir.file("client.crt"), clientKey: dir.file("client.key"))
        try run([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir.file("ca.key"), "-out", pki.caCert,
            "-days", "2", "-subj", "/CN=promsls test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        for (name, cert, key, ext) in [
            (
                "server", pki.serverCert, pki.serverKey,
                "subjectAltName=DNS:\(serverName)\nextendedKeyUsage=serverAuth\n"
            ),
            ("client", pki.clientCert, pki.clientKey, "extendedKeyUsage=clientAuth\n"),
        ] {
            let csr = dir.file("\(name).csr")
            try run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=\(name)"])
            try run([
                "x509", "-req", "-in", csr, "-CA", pki.caCert, "-CAkey", dir.file("ca.key"), "-CAcreateserial",
                "-out", cert, "-days", "2", "-extfile", try dir.write("\(name).ext", ext),
            ])
        }
        return pki
    }
}

/// nginx with four servers in front of one node_exporter: `tlsPort` (TLS 1.2 only),
/// `mtlsPort` (client certificate required), `h2Port` (TLS with HTTP/2) and `plainPort`
/// (`/redirect` → node_exporter, `/loop` → itself). The access log has the port and protocol.
struct NginxFront {
    let child: Child
    let tlsPort: Int
    let mtlsPort: Int
    let plainPort: Int
    let h2Port: Int
    let accessLog: String

    static func start(dir: TempDir, pki: TestPKI, upstream: String, http: TestHTTP) async throws -> NginxFront {
        let (tlsPort, mtlsPort, plainPort, h2Port) = (
            try Ports.free(), try Ports.free(), try Ports.free(), try Ports.free()
        )
        let prefix = try dir.subdir("nginx")
        let accessLog = dir.file("nginx-access.log")
        let conf = try dir.write(
            "nginx.conf",
            """
            worker_processes 1;
            daemon off;
            pid \(prefix)/nginx.pid;
            error_log \(dir.file("nginx-error.log")) info;
            events { worker_connections 64; }
            http {
              log_format ports '$server_port $server_protocol "$request" $status';
              access_log \(accessLog) ports;
              client_body_temp_path \(prefix)/body;
              proxy_temp_path \(prefix)/proxy;
              fastcgi_temp_path \(prefix)/fastcgi;
              uwsgi_temp_path \(prefix)/uwsgi;
              scgi_temp_path \(prefix)/scgi;
              proxy_buffering off;
              server {
                listen 127.0.0.1:\(tlsPort) ssl;
                ssl_certificate \(pki.serverCert);
                ssl_certificate_key \(pki.serverKey);
                ssl_protocols TLSv1.2;
                location / { proxy_pass http://\(upstream); }
              }
              server {
                listen 127.0.0.1:\(mtlsPort) ssl;
                ssl_certificate \(pki.serverCert);
                ssl_certificate_key \(pki.serverKey);
                ssl_protocols TLSv1.2 TLSv1.3;
                ssl_client_certificate \(pki.caCert);
                ssl_verify_client on;
                location / { proxy_pass http://\(upstream); }
              }
              server {
                listen 127.0.0.1:\(h2Port) ssl http2;
                ssl_certificate \(pki.serverCert);
                ssl_certificate_key \(pki.serverKey);
                location / { proxy_pass http://\(upstream); }
              }
              server {
                listen 127.0.0.1:\(plainPort);
                location = /redirect { return 302 http://\(upstream)/metrics; }
                location = /loop { return 302 /loop; }
              }
            }
            """)
        let child = try Child(
            "nginx", try Paths.nginx(), ["-c", conf, "-p", prefix, "-e", dir.file("nginx-error.log")], dir: dir)
        let front = NginxFront(
            child: child, tlsPort: tlsPort, mtlsPort: mtlsPort, plainPort: plainPort, h2Port: h2Port,
            accessLog: accessLog)
        do {
            _ = try await eventually("nginx to listen", timeout: .seconds(20), interval: .milliseconds(100)) {
                if !child.isRunning { throw IntegrationError("nginx exited: \(child.tail())") }
                return [tlsPort, mtlsPort, plainPort, h2Port].allSatisfy(Ports.isListening) ? true : nil
            }
        } catch {
            child.stop()
            throw error
        }
        return front
    }

    /// Requests of the access log whose request line contains `path` (and, if given, that
    /// came on `port` with `proto`col, e.g. `HTTP/2.0`).
    func requests(_ path: String, port: Int? = nil, proto: String? = nil) -> Int {
        let log = (try? String(contentsOfFile: accessLog, encoding: .utf8)) ?? ""
        return log.split(separator: "\n").filter { line in
            line.contains("\"GET \(path) ") && (port.map { line.hasPrefix("\($0) ") } ?? true)
                && (proto.map { line.contains(" \($0) \"") } ?? true)
        }.count
    }
}

/// tinyproxy on 127.0.0.1, logging every request it forwards.
struct TinyProxy {
    let child: Child
    let port: Int
    let logPath: String
    var url: String { "http://127.0.0.1:\(port)" }

    /// - Parameter basicAuth: user and password the proxy requires (`407` without them).
    static func start(dir: TempDir, basicAuth: (String, String)? = nil) async throws -> TinyProxy {
        let port = try Ports.free()
        let logPath = dir.file("tinyproxy-\(port).log")
        let conf = try dir.write(
            "tinyproxy-\(port).conf",
            """
            Port \(port)
            Listen 127.0.0.1
            Timeout 30
            LogFile "\(logPath)"
            LogLevel Info
            PidFile "\(dir.file("tinyproxy-\(port).pid"))"
            MaxClients 50
            Allow 127.0.0.1
            \(basicAuth.map { "BasicAuth \($0.0) \($0.1)" } ?? "")

            """)
        let child = try Child("tinyproxy", try Paths.tinyproxy(), ["-d", "-c", conf], dir: dir)
        do {
            _ = try await eventually("tinyproxy to listen", timeout: .seconds(20), interval: .milliseconds(100)) {
                if !child.isRunning { throw IntegrationError("tinyproxy exited: \(child.tail())") }
                return Ports.isListening(port) ? true : nil
            }
        } catch {
            child.stop()
            throw error
        }
        return TinyProxy(child: child, port: port, logPath: logPath)
    }

    /// How many requests it forwarded to `hostPort` (CONNECT or absolute-URI).
    func requests(to hostPort: String) -> Int {
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return log.split(separator: "\n").filter {
            $0.contains("Request (") && ($0.contains("CONNECT \(hostPort) ") || $0.contains("//\(hostPort)/"))
        }.count
    }
}

/// node_exporter on `host` (any local address) and a free port.
func startNodeExporter(host: String, dir: TempDir, http: TestHTTP) async throws -> (Child, String) {
    let port = try Ports.free()
    let address = "\(host):\(port)"
    let child = try Child(
        "node_exporter-\(port)", try Paths.nodeExporter(),
        ["--web.listen-address=\(address)", "--no-collector.systemd"], dir: dir)
    do {
        try await http.waitFor200("http://\(address)/metrics", context: { child.tail() })
    } catch {
        child.stop()
        throw error
    }
    return (child, address)
}

/// Health and lastError of each active target, by `job` and `instance`.
func targetStates(_ http: TestHTTP, _ agent: Promsls) async throws -> [String: (health: String, lastError: String)] {
    let r = try await http.get(agent.base + "/api/v1/targets")
    guard r.status == 200, let obj = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any],
        let data = obj["data"] as? [String: Any], let active = data["activeTargets"] as? [[String: Any]]
    else { throw IntegrationError("/api/v1/targets: HTTP \(r.status): \(r.body.prefix(300))") }
    var out: [String: (String, String)] = [:]
    for t in active {
        let labels = (t["labels"] as? [String: String]) ?? [:]
        out["\(labels["job"] ?? "")/\(labels["instance"] ?? "")"] =
            ((t["health"] as? String) ?? "", (t["lastError"] as? String) ?? "")
    }
    return out
}
