import AgentConfig
import AsyncHTTPClient
import Foundation

/// Chooses the proxy for a request URL from `proxy_url` + `no_proxy` or, with
/// `proxy_from_environment`, from `HTTP_PROXY` / `HTTPS_PROXY` / `NO_PROXY`, with the rules of
/// Go's `golang.org/x/net/http/httpproxy` that Prometheus uses: with a `no_proxy` list or from
/// the environment, `localhost` and loopback addresses are never proxied; `proxy_url` alone
/// proxies everything.
public struct ProxySelector: Sendable {
    var httpProxy: ProxyURL?
    var httpsProxy: ProxyURL?
    var noProxy: [NoProxyEntry]
    /// `proxy_url` without `no_proxy`: every request goes through the proxy.
    var proxyEverything: Bool
    var connectAuthorization: HTTPClient.Authorization?

    /// - Parameter environment: read only with `proxy_from_environment`.
    public init(_ config: ProxyConfig, environment: [String: String]) {
        func env(_ name: String) -> String? {
            (environment[name] ?? environment[name.lowercased()]).flatMap { $0.isEmpty ? nil : $0 }
        }
        if config.proxyFromEnvironment {
            httpProxy = env("HTTP_PROXY").flatMap(ProxyURL.init)
            httpsProxy = env("HTTPS_PROXY").flatMap(ProxyURL.init)
            noProxy = NoProxyEntry.parse(env("NO_PROXY") ?? "")
            proxyEverything = false
        } else if let url = config.proxyURL {
            httpProxy = ProxyURL(url)
            httpsProxy = httpProxy
            noProxy = NoProxyEntry.parse(config.noProxy ?? "")
            proxyEverything = config.noProxy == nil
        } else {
            httpProxy = nil
            httpsProxy = nil
            noProxy = []
            proxyEverything = false
        }
        if let value = config.proxyConnectHeaders.first(where: { $0.key.lowercased() == "proxy-authorization" })?
            .value.first?.value
        {
            if value.hasPrefix("Basic ") {
                connectAuthorization = .basic(credentials: String(value.dropFirst(6)))
            } else if value.hasPrefix("Bearer ") {
                connectAuthorization = .bearer(tokens: String(value.dropFirst(7)))
            }
        }
    }

    /// The proxy for `url` (`scheme://host[:port]/…`), nil to connect directly.
    public func proxy(for url: String) -> HTTPClient.Configuration.Proxy? {
        guard let target = URLParts(url) else { return nil }
        guard let proxy = target.scheme == "https" ? httpsProxy : httpProxy else { return nil }
        if !proxyEverything {
            if target.host == "localhost" || IPAddress.isLoopback(target.host) { return nil }
            if noProxy.contains(where: { $0.matches(host: target.host, port: target.port) }) { return nil }
        }
        if proxy.scheme == "socks5" { return .socksServer(host: proxy.host, port: proxy.port) }
        var authorization = connectAuthorization
        if let user = proxy.username {
            authorization = .basic(username: user, password: proxy.password ?? "")
        }
        return .server(host: proxy.host, port: proxy.port, authorization: authorization)
    }
}

/// The scheme, host and port of a URL (port defaulted from the scheme).
struct URLParts: Equatable {
    var scheme: String
    var host: String
    var port: Int

    init?(_ url: String) {
        guard let r = url.range(of: "://") else { return nil }
        scheme = url[..<r.lowerBound].lowercased()
        var rest = url[r.upperBound...]
        if let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        let defaultPort = scheme == "https" ? 443 : 80
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            port = after.hasPrefix(":") ? Int(after.dropFirst()) ?? defaultPort : defaultPort
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            port = Int(rest[rest.index(after: colon)...]) ?? defaultPort
        } else {
            host = String(rest)
            port = defaultPort
        }
        host = host.lowercased()
    }
}

/// One `NO_PROXY` entry: `*`, an IP, a CIDR, a domain (`example.com` matches it and its
/// subdomains, `.example.com` only subdomains), each optionally with `:port`.
enum NoProxyEntry: Sendable, Equatable {
    case all
    case cidr(address: [UInt8], prefix: Int)
    case ip(address: [UInt8], port: Int?)
    case domain(suffix: String, matchHost: Bool, port: Int?)

    static func parse(_ list: String) -> [NoProxyEntry] {
        var out: [NoProxyEntry] = []
        for raw in list.split(separator: ",") {
            var entry = raw.trimmingCharacters(in: " \t").lowercased()
            guard !entry.isEmpty else { continue }
            if entry == "*" { return [.all] }
            if let slash = entry.firstIndex(of: "/"), let prefix = Int(entry[entry.index(after: slash)...]),
                let address = IPAddress.parse(String(entry[..<slash]))
            {
                out.append(.cidr(address: address, prefix: prefix))
                continue
            }
            var port: Int?
            if let address = IPAddress.parse(entry) {
                out.append(.ip(address: address, port: nil))
                continue
            }
            if let colon = entry.lastIndex(of: ":"), let p = Int(entry[entry.index(after: colon)...]) {
                port = p
                entry = String(entry[..<colon])
                if entry.hasPrefix("["), entry.hasSuffix("]") { entry = String(entry.dropFirst().dropLast()) }
                if let address = IPAddress.parse(entry) {
                    out.append(.ip(address: address, port: port))
                    continue
                }
            }
            if entry.hasPrefix("*.") { entry = String(entry.dropFirst()) }
            let matchHost = !entry.hasPrefix(".")
            out.append(.domain(suffix: matchHost ? "." + entry : entry, matchHost: matchHost, port: port))
        }
        return out
    }

    func matches(host: String, port: Int) -> Bool {
        switch self {
        case .all: return true
        case .cidr(let network, let prefix):
            guard let address = IPAddress.parse(host), address.count == network.count else { return false }
            return IPAddress.prefixMatches(address, network, bits: prefix)
        case .ip(let address, let p):
            guard let parsed = IPAddress.parse(host) else { return false }
            return parsed == address && (p == nil || p == port)
        case .domain(let suffix, let matchHost, let p):
            guard host.hasSuffix(suffix) || (matchHost && host == suffix.dropFirst()) else { return false }
            return p == nil || p == port
        }
    }
}

/// IPv4/IPv6 text to bytes, without Foundation.
enum IPAddress {
    static func parse(_ text: String) -> [UInt8]? {
        if text.contains(":") { return parseV6(text) }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, let v = UInt8(p) else { return nil }
            out.append(v)
        }
        return out
    }

    private static func parseV6(_ text: String) -> [UInt8]? {
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            for g in s.split(separator: ":", omittingEmptySubsequences: false) {
                guard let v = UInt16(g, radix: 16), g.count <= 4 else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
            all += [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    static func isLoopback(_ host: String) -> Bool {
        guard let a = parse(host) else { return false }
        if a.count == 4 { return a[0] == 127 }
        return a == [UInt8](repeating: 0, count: 15) + [1]
    }

    static func prefixMatches(_ a: [UInt8], _ b: [UInt8], bits: Int) -> Bool {
        var remaining = bits
        for i in 0..<a.count where remaining > 0 {
            let n = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - n))
            if a[i] & mask != b[i] & mask { return false }
            remaining -= n
        }
        return true
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
