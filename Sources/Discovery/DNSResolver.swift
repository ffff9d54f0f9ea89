import CResolv
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// DNS record types `dns_sd_configs` can ask for.
public enum DNSRecordType: String, Sendable, CaseIterable {
    case a = "A"
    case aaaa = "AAAA"
    case srv = "SRV"
    case mx = "MX"
    case ns = "NS"

    var code: Int32 {
        switch self {
        case .a: 1
        case .ns: 2
        case .mx: 15
        case .aaaa: 28
        case .srv: 33
        }
    }
}

/// One answer: an address (A, AAAA) or a name (SRV, MX, NS target, without the final dot)
/// with the SRV port.
public struct DNSRecord: Sendable, Equatable {
    public var type: DNSRecordType
    public var target: String
    public var port: Int
    public var priority: Int
    public var weight: Int

    public init(type: DNSRecordType, target: String, port: Int = 0, priority: Int = 0, weight: Int = 0) {
        self.type = type
        self.target = target
        self.port = port
        self.priority = priority
        self.weight = weight
    }
}

/// A lookup that failed in a way worth retrying (timeout, server failure) or that could not
/// be parsed. A name that does not exist is not an error: it has no records.
public struct DNSLookupError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// The system resolver, used from a thread pool so lookups never block Swift's cooperative
/// threads: `getaddrinfo` for A and AAAA (so `/etc/hosts` and nsswitch apply), libresolv's
/// `res_nsearch` for SRV, MX and NS.
///
/// With `nameserver` set, every type (A and AAAA too) goes to that server through
/// libresolv, on a private resolver state: nothing reads or changes `/etc/resolv.conf`'s
/// servers (its search list still applies). Tests use it to ask a DNS server on loopback.
public struct DNSResolver: Sendable {
    public struct Nameserver: Sendable, Equatable {
        public var host: String
        public var port: Int
    }

    public let nameserver: Nameserver?
    /// Per-try timeout and number of tries (libresolv's `timeout` and `attempts`).
    public var timeoutSeconds: Int = 2
    public var attempts: Int = 2

    public init(nameserver: Nameserver? = nil) { self.nameserver = nameserver }

    /// Parses `host`, `host:port` or `[v6]:port` (port 53 by default); nil when malformed.
    public static func parseNameserver(_ s: String) -> Nameserver? {
        var host = s
        var port = 53
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { return nil }
            host = String(s[s.index(after: s.startIndex)..<close])
            let rest = s[s.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let p = Int(rest.dropFirst()) else { return nil }
                port = p
            }
        } else if s.filter({ $0 == ":" }).count == 1, let colon = s.firstIndex(of: ":") {
            host = String(s[..<colon])
            guard let p = Int(s[s.index(after: colon)...]) else { return nil }
            port = p
        }
        guard !host.isEmpty, (1...65535).contains(port) else { return nil }
        var buf = in6_addr()
        guard inet_pton(AF_INET, host, &buf) == 1 || inet_pton(AF_INET6, host, &buf) == 1 else { return nil }
        return Nameserver(host: host, port: port)
    }

    /// Looks `name` up.
    /// - Returns: the records of `type` (none when the name does not exist).
    /// - Throws: `DNSLookupError` on timeouts, server failures and unparsable answers.
    public func lookup(_ name: String, type: DNSRecordType) async throws -> [DNSRecord] {
        let me = self
        return try await NIOThreadPool.singleton.runIfActive { try me.lookupBlocking(name, type: type) }
    }

    func lookupBlocking(_ name: String, type: DNSRecordType) throws -> [DNSRecord] {
        if nameserver == nil, type == .a || type == .aaaa {
            return try getaddrinfoLookup(name, type: type)
        }
        return try resolvLookup(name, type: type)
    }

    private func resolvLookup(_ name: String, type: DNSRecordType) throws -> [DNSRecord] {
        let max: Int32 = 512
        var records = [cresolv_record](repeating: cresolv_record(), count: Int(max))
        var message = [CChar](repeating: 0, count: 256)
        var count: Int32 = 0
        let rc = records.withUnsafeMutableBufferPointer { recs in
            message.withUnsafeMutableBufferPointer { msg in
                cresolv_query(
                    name, type.code, nameserver?.host, Int32(nameserver?.port ?? 53), Int32(timeoutSeconds),
                    Int32(attempts), recs.baseAddress, max, &count, msg.baseAddress, Int32(msg.count))
            }
        }
        switch Int(rc) {
        case Int(CRESOLV_OK): break
        case Int(CRESOLV_NOT_FOUND): return []
        default:
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw DNSLookupError(description: text.isEmpty ? "lookup of \(name) failed" : text)
        }
        return records.prefix(Int(count)).map { r in
            var r = r
            let target = withUnsafeBytes(of: &r.target) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            return DNSRecord(
                type: type, target: target, port: Int(r.port), priority: Int(r.priority), weight: Int(r.weight))
        }
    }

    private func getaddrinfoLookup(_ name: String, type: DNSRecordType) throws -> [DNSRecord] {
        var hints = addrinfo()
        hints.ai_family = type == .a ? AF_INET : AF_INET6
        #if canImport(Glibc)
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
            hints.ai_socktype = SOCK_STREAM
        #endif
        var res: UnsafeMutablePointer<addrinfo>? = nil
        let rc = getaddrinfo(name, nil, &hints, &res)
        defer { if let res { freeaddrinfo(res) } }
        // EAI_NONAME, EAI_NODATA (-5), EAI_ADDRFAMILY (-9): no such name or no such records.
        if rc == EAI_NONAME || rc == -5 || rc == -9 { return [] }
        guard rc == 0 else {
            throw DNSLookupError(description: "lookup of \(name): \(String(cString: gai_strerror(rc)))")
        }
        var out: [DNSRecord] = []
        var seen = Set<String>()
        var p = res
        while let ai = p {
            var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            if let sa = ai.pointee.ai_addr {
                let ok: Bool
                if ai.pointee.ai_family == AF_INET {
                    ok = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                        var a = sin.pointee.sin_addr
                        return inet_ntop(AF_INET, &a, &buf, socklen_t(buf.count)) != nil
                    }
                } else {
                    ok = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                        var a = sin6.pointee.sin6_addr
                        return inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count)) != nil
                    }
                }
                let text = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if ok, seen.insert(text).inserted { out.append(DNSRecord(type: type, target: text)) }
            }
            p = ai.pointee.ai_next
        }
        return out
    }
}
