import AgentConfig
import AsyncHTTPClient
import Testing

@testable import HTTPClientSupport

/// The proxy choice for a URL, with Go's `httpproxy` rules (what Prometheus uses).
struct ProxySelectorTests {
    static func selector(
        url: String?, noProxy: String? = nil, fromEnvironment: Bool = false, env: [String: String] = [:]
    )
        -> ProxySelector
    {
        var c = ProxyConfig()
        c.proxyURL = url
        c.noProxy = noProxy
        c.proxyFromEnvironment = fromEnvironment
        return ProxySelector(c, environment: env)
    }

    static let proxy = HTTPClient.Configuration.Proxy.server(host: "proxy", port: 3128)

    static let cases: [(noProxy: String, url: String, proxied: Bool)] = [
        ("example.com", "http://example.com/metrics", false),
        ("example.com", "http://node.example.com:9100/metrics", false),
        ("example.com", "http://notexample.com/metrics", true),
        (".example.com", "http://example.com/metrics", true),
        (".example.com", "http://a.example.com/metrics", false),
        ("*.example.com", "https://a.example.com/", false),
        ("10.0.0.0/8", "http://10.1.2.3:9100/metrics", false),
        ("10.0.0.0/8", "http://11.1.2.3:9100/metrics", true),
        ("192.0.2.2", "http://192.0.2.2:9100/", false),
        ("192.0.2.2:9100", "http://192.0.2.2:9100/", false),
        ("192.0.2.2:9100", "http://192.0.2.2:9200/", true),
        ("host:8080", "http://host:8080/", false),
        ("host:8080", "http://host/", true),
        ("a.com, b.com", "http://b.com/", false),
        ("*", "http://anything/", false),
        ("2001:db8::/32", "http://[2001:db8::1]:9100/", false),
        // With a no_proxy list, loopback is never proxied (Go's httpproxy).
        ("other.com", "http://127.0.0.1:9100/", false),
        ("other.com", "http://localhost:9100/", false),
        ("other.com", "http://[::1]:9100/", false),
        ("other.com", "http://192.0.2.9:9100/", true),
    ]

    @Test(arguments: cases)
    func noProxy(noProxy: String, url: String, proxied: Bool) {
        let s = Self.selector(url: "http://proxy:3128", noProxy: noProxy)
        #expect((s.proxy(for: url) == Self.proxy) == proxied)
    }

    @Test func proxyURLAloneProxiesLoopbackToo() {
        #expect(Self.selector(url: "http://proxy:3128").proxy(for: "http://127.0.0.1:9100/metrics") == Self.proxy)
        #expect(Self.selector(url: nil).proxy(for: "http://example.com/") == nil)
    }

    @Test func credentialsAndSocks() {
        let basic = Self.selector(url: "http://user:p%40ss@proxy:3128").proxy(for: "https://example.com/")
        #expect(basic == .server(host: "proxy", port: 3128, authorization: .basic(username: "user", password: "p@ss")))
        #expect(Self.selector(url: "socks5://s:1081").proxy(for: "http://x/") == .socksServer(host: "s", port: 1081))
        #expect(ProxyURL("http://proxy")?.port == 80)
        #expect(ProxyURL("ftp://proxy") == nil)
    }

    @Test func fromEnvironment() {
        let env = ["HTTP_PROXY": "proxy:3128", "https_proxy": "http://tls-proxy:3129", "NO_PROXY": "internal.lan"]
        let s = Self.selector(url: nil, fromEnvironment: true, env: env)
        #expect(s.proxy(for: "http://example.com/") == Self.proxy)
        #expect(s.proxy(for: "https://example.com/") == .server(host: "tls-proxy", port: 3129))
        #expect(s.proxy(for: "http://db.internal.lan/") == nil)
        #expect(s.proxy(for: "http://127.0.0.1:9100/") == nil)
        #expect(Self.selector(url: nil, fromEnvironment: true, env: [:]).proxy(for: "http://example.com/") == nil)
    }
}
