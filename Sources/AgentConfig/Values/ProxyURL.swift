/// A `proxy_url` (or `HTTP_PROXY`) split into its parts: `http://user:pass@host:port` or
/// `socks5://host:port`. A value without a scheme is read as `http://`, as Go's
/// `httpproxy` does for the environment variables.
public struct ProxyURL: Sendable, Equatable {
    public var scheme: String
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?

    public init?(_ text: String) {
        var rest = Substring(text)
        if let r = rest.range(of: "://") {
            scheme = String(rest[..<r.lowerBound]).lowercased()
            rest = rest[r.upperBound...]
        } else {
            scheme = "http"
        }
        guard scheme == "http" || scheme == "https" || scheme == "socks5" else { return nil }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userinfo.firstIndex(of: ":") {
                username = Self.unescape(userinfo[..<colon])
                password = Self.unescape(userinfo[userinfo.index(after: colon)...])
            } else {
                username = Self.unescape(userinfo)
            }
        }
        var hostPart = rest
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() }
        } else if let colon = rest.lastIndex(of: ":") {
            hostPart = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { return nil }
        host = String(hostPart)
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else { return nil }
            port = p
        } else {
            port = scheme == "socks5" ? 1080 : (scheme == "https" ? 443 : 80)
        }
    }

    private static func unescape(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.first {
            it = it.dropFirst()
            if b == UInt8(ascii: "%"), it.count >= 2,
                let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
