import AgentConfig
import Foundation
import PromModel
import TestSupport
import Testing

@testable import Discovery

#if canImport(Glibc)
    import Glibc
#endif

/// Debian's dnsmasq on 127.0.0.1 with its own records (no resolv.conf, no /etc/hosts).
final class DNSServer: @unchecked Sendable {
    let process = Process()
    let port: Int
    let dir: Scratch
    let hostsFile: String
    /// dnsmasq's log (stderr), chunk by chunk as read; "exited" when the process ends.
    let log = EventLog<String>()

    /// - Parameter args: record options (`--srv-host=…`, `--host-record=…`).
    init(records args: [String], hosts: String) throws {
        guard let bin = ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"].first(where: FileManager.default.isExecutableFile)
        else {
            throw DNSTestError("dnsmasq not found: install the Debian package dnsmasq (`make deps`)")
        }
        dir = try Scratch()
        hostsFile = try dir.write("hosts", hosts)
        port = try Self.freeUDPPort()
        var all = [
            "--keep-in-foreground", "--no-resolv", "--no-hosts", "--addn-hosts=\(hostsFile)", "--port=\(port)",
            "--listen-address=127.0.0.1", "--bind-interfaces", "--local=/promsls.test/", "--pid-file=",
            "--log-facility=-", "--conf-file=/dev/null",
        ]
        if getuid() == 0 { all.append("--user=root") }
        process.executableURL = URL(fileURLWithPath: bin)
        process.arguments = all + args
        process.standardOutput = FileHandle.nullDevice
        let stderr = Pipe()
        process.standardError = stderr
        let log = self.log
        stderr.fileHandleForReading.readabilityHandler = { h in
            let data = h.availableData
            if data.isEmpty {
                h.readabilityHandler = nil
            } else {
                log.append(String(decoding: data, as: UTF8.self))
            }
        }
        process.terminationHandler = { _ in log.append("exited") }
        try process.run()
    }

    /// Returns once dnsmasq has read its hosts file (it listens before that); throws if it
    /// exited first.
    func waitUntilReady() async throws {
        let readLine = "read \(hostsFile)"
        let events = await log.wait { $0.joined().contains(readLine) || $0.contains("exited") }
        if !events.joined().contains(readLine) {
            throw DNSTestError("dnsmasq exited before it was ready: \(events.joined())")
        }
    }

    var nameserver: DNSResolver.Nameserver { DNSResolver.Nameserver(host: "127.0.0.1", port: port) }

    func stop() {
        if process.isRunning {
            // SIGKILL: dnsmasq started from the test runner may have SIGTERM blocked.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        dir.remove()
    }

    static func freeUDPPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else { throw DNSTestError("cannot find a free UDP port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

struct DNSTestError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

@Suite("dns_sd against dnsmasq", .serialized, .timeLimit(.minutes(1)))
struct DNSDiscovererTests {
    static let records = [
        "--srv-host=_node._tcp.promsls.test,web.promsls.test,9100,0,10",
        "--srv-host=_node._tcp.promsls.test,db.promsls.test,9200,1,20",
        "--mx-host=promsls.test,mail.promsls.test,5",
    ]
    static let hosts =
        "127.0.0.11 web.promsls.test\n127.0.0.12 web.promsls.test\n::11 web.promsls.test\n127.0.0.13 db.promsls.test\n"

    /// Starts dnsmasq and waits until it answers.
    static func withDNS(_ body: (DNSServer, DNSResolver) async throws -> Void) async throws {
        let server = try DNSServer(records: records, hosts: hosts)
        defer { server.stop() }
        var resolver = DNSResolver(nameserver: server.nameserver)
        resolver.timeoutSeconds = 1
        resolver.attempts = 1
        try await server.waitUntilReady()
        try await body(server, resolver)
    }

    @Test("A, AAAA, SRV, MX and missing names through a named nameserver")
    func lookups() async throws {
        try await Self.withDNS { _, resolver in
            let a = try await resolver.lookup("web.promsls.test", type: .a)
            #expect(a.map(\.target).sorted() == ["127.0.0.11", "127.0.0.12"])
            let aaaa = try await resolver.lookup("web.promsls.test", type: .aaaa)
            #expect(aaaa.map(\.target) == ["::11"])
            let srv = try await resolver.lookup("_node._tcp.promsls.test", type: .srv)
            #expect(
                srv.sorted { $0.port < $1.port }
                    == [
                        DNSRecord(type: .srv, target: "web.promsls.test", port: 9100, priority: 0, weight: 10),
                        DNSRecord(type: .srv, target: "db.promsls.test", port: 9200, priority: 1, weight: 20),
                    ])
            let mx = try await resolver.lookup("promsls.test", type: .mx)
            #expect(mx.map(\.target) == ["mail.promsls.test"])
            #expect(try await resolver.lookup("nothing.promsls.test", type: .a).isEmpty)
            #expect(try await resolver.lookup("nothing.promsls.test", type: .srv).isEmpty)
        }
    }

    @Test("discovered labels for SRV and A, as Prometheus sets them")
    func groups() async throws {
        try await Self.withDNS { _, resolver in
            let (metrics, registry) = makeMetrics()
            let srv = DNSDiscoverer(
                config: DNSSDConfig(names: ["_node._tcp.promsls.test"]), resolver: resolver, metrics: metrics,
                logger: quietLogger)
            let g = try await srv.refresh()
            #expect(g.map(\.source) == ["_node._tcp.promsls.test"])
            #expect(
                g[0].targets.sorted { $0["__address__"]! < $1["__address__"]! }
                    == [
                        Labels([
                            "__address__": "db.promsls.test:9200", "__meta_dns_name": "_node._tcp.promsls.test",
                            "__meta_dns_srv_record_target": "db.promsls.test.", "__meta_dns_srv_record_port": "9200",
                        ]),
                        Labels([
                            "__address__": "web.promsls.test:9100", "__meta_dns_name": "_node._tcp.promsls.test",
                            "__meta_dns_srv_record_target": "web.promsls.test.", "__meta_dns_srv_record_port": "9100",
                        ]),
                    ])
            let a = DNSDiscoverer(
                config: DNSSDConfig(names: ["web.promsls.test", "db.promsls.test"], type: "A", port: 9100),
                resolver: resolver, metrics: metrics, logger: quietLogger)
            let ga = try await a.refresh()
            #expect(addresses(ga) == ["127.0.0.11:9100", "127.0.0.12:9100", "127.0.0.13:9100"])
            #expect(ga[1].targets[0]["__meta_dns_name"] == "db.promsls.test")
            let aaaa = DNSDiscoverer(
                config: DNSSDConfig(names: ["web.promsls.test"], type: "AAAA", port: 9100), resolver: resolver,
                metrics: metrics, logger: quietLogger)
            let gaaaa = try await aaaa.refresh()
            #expect(addresses(gaaaa) == ["[::11]:9100"])
            #expect(metricSum(registry, "prometheus_sd_dns_lookups_total") == 4)
            #expect(metricSum(registry, "prometheus_sd_dns_lookup_failures_total") == 0)
        }
    }

    @Test("a failing server keeps the last good targets and counts the failure")
    func failure() async throws {
        let (metrics, registry) = makeMetrics()
        var d: DNSDiscoverer? = nil
        try await Self.withDNS { _, resolver in
            d = DNSDiscoverer(
                config: DNSSDConfig(names: ["_node._tcp.promsls.test"]), resolver: resolver, metrics: metrics,
                logger: quietLogger)
            let first = try await d!.refresh()
            #expect(addresses(first) == ["db.promsls.test:9200", "web.promsls.test:9100"])
        }
        // dnsmasq is gone: the lookup times out.
        let kept = try await d!.refresh()
        #expect(addresses(kept) == ["db.promsls.test:9200", "web.promsls.test:9100"])
        #expect(metricSum(registry, "prometheus_sd_dns_lookup_failures_total") == 1)
        #expect(metricSum(registry, "prometheus_sd_refresh_failures_total") == 1)
    }

    @Test(
        "nameserver flag parsing",
        arguments: [
            ("127.0.0.1", "127.0.0.1", 53), ("127.0.0.1:5353", "127.0.0.1", 5353), ("[::1]:54", "::1", 54),
            ("::1", "::1", 53),
        ] as [(String, String, Int)])
    func parseNameserver(_ s: String, _ host: String, _ port: Int) {
        #expect(DNSResolver.parseNameserver(s) == DNSResolver.Nameserver(host: host, port: port))
    }

    @Test("bad nameservers", arguments: ["", "dns.example:53", "127.0.0.1:0", "[::1", "1.2.3.4:x"])
    func badNameserver(_ s: String) { #expect(DNSResolver.parseNameserver(s) == nil) }
}
