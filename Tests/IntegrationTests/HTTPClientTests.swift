// HTTP client options against real peers: HTTPS exporters behind Debian's nginx (server_name,
// mTLS with files and inline PEM, insecure_skip_verify, min_version refused by a TLS 1.2-only
// server), redirects (followed, loop past the hop limit, follow_redirects: false), tinyproxy
// for scraping and remote write (proxy_url, no_proxy, proxy_from_environment), and OAuth2
// against a loopback token endpoint (token fetched once, reused, refreshed after expiry,
// client_secret_file re-read, never logged), with http_headers.

import Foundation
import Hummingbird
import NIOCore
import PromModel
import RemoteWrite
import Testing

@Suite(.offThePool) struct HTTPClientTests {
    @Test func tlsOptionsAndRedirectsAgainstNginx() async throws {
        let dir = try TempDir("promsls-it-tls")
        defer { dir.remove() }
        try await TestHTTP.with { http in
            let (node, nodeAddress) = try await startNodeExporter(host: "127.0.0.1", dir: dir, http: http)
            defer { node.stop() }
            let pki = try TestPKI.make(in: dir)
            let nginx = try await NginxFront.start(dir: dir, pki: pki, upstream: nodeAddress, http: http)
            defer { nginx.child.stop() }
            let failureLog = dir.file("scrape-failures.log")
            let inline = { (path: String) in
                try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { "          " + $0 }
                    .joined(separator: "\n")
            }
            let tls = "127.0.0.1:\(nginx.tlsPort)"
            let mtls = "127.0.0.1:\(nginx.mtlsPort)"
            let plain = "127.0.0.1:\(nginx.plainPort)"
            let h2 = "127.0.0.1:\(nginx.h2Port)"
            let h2TLS =
                "    scheme: https\n    tls_config: {ca_file: \(pki.caCert), server_name: \(TestPKI.serverName)}"
            func job(_ name: String, _ target: String, _ settings: String) -> String {
                """
                  - job_name: \(name)
                    scrape_interval: 1s
                    scrape_timeout: 1s
                    static_configs: [{targets: ["\(target)"]}]
                \(settings)
                """
            }
            let config = """
                scrape_configs:
                \(job("server-name", tls, "    scheme: https\n    tls_config: {ca_file: \(pki.caCert), server_name: \(TestPKI.serverName)}"))
                \(job("wrong-name", tls, "    scheme: https\n    tls_config: {ca_file: \(pki.caCert)}"))
                \(job("insecure", tls, "    scheme: https\n    tls_config: {insecure_skip_verify: true}"))
                \(job("tls13-refused", tls, "    scheme: https\n    tls_config: {ca_file: \(pki.caCert), server_name: \(TestPKI.serverName), min_version: TLS13}"))
                \(job("mtls", mtls, "    scheme: https\n    tls_config: {ca_file: \(pki.caCert), server_name: \(TestPKI.serverName), cert_file: \(pki.clientCert), key_file: \(pki.clientKey), min_version: TLS13}"))
                \(job("mtls-inline", mtls, "    scheme: https\n    tls_config:\n      server_name: \(TestPKI.serverName)\n      ca: |\n\(try inline(pki.caCert))\n      cert: |\n\(try inline(pki.clientCert))\n      key: |\n\(try inline(pki.clientKey))"))
                \(job("mtls-no-cert", mtls, "    scheme: https\n    tls_config: {ca_file: \(pki.caCert), server_name: \(TestPKI.serverName)}"))
                \(job("http2", h2, h2TLS + "\n    params: {via: [h2]}"))
                \(job("http1", h2, h2TLS + "\n    params: {via: [h1]}\n    enable_http2: false"))
                \(job("redirect", plain, "    metrics_path: /redirect"))
                \(job("redirect-loop", plain, "    metrics_path: /loop\n    scrape_failure_log_file: \(failureLog)"))
                \(job("no-follow", plain, "    metrics_path: /redirect\n    follow_redirects: false"))
                """
            let agent = try await Promsls.startAgent(dir: dir, http: http, config: config)
            defer { agent.child.stop() }
            let expectUp = [
                "server-name": tls, "insecure": tls, "mtls": mtls, "mtls-inline": mtls, "redirect": plain,
                "http2": h2, "http1": h2,
            ]
            let expectDown = [
                "wrong-name": tls, "tls13-refused": tls, "mtls-no-cert": mtls, "redirect-loop": plain,
                "no-follow": plain,
            ]
            let states = try await eventually(
                "every target scraped at least once", timeout: .seconds(30), context: { agent.child.tail() }
            ) { () -> [String: (health: String, lastError: String)]? in
                let s = try await targetStates(http, agent)
                let all = expectUp.merging(expectDown) { a, _ in a }
                return all.allSatisfy { s["\($0.key)/\($0.value)"].map { $0.health != "unknown" } ?? false } ? s : nil
            }
            for (name, target) in expectUp {
                let s = states["\(name)/\(target)"]
                #expect(s?.health == "up", "\(name): \(String(describing: s))")
            }
            for (name, target) in expectDown {
                let s = states["\(name)/\(target)"]
                #expect(s?.health == "down", "\(name): \(String(describing: s))")
            }
            let error = { (name: String) in states["\(name)/\(expectDown[name]!)"]?.lastError ?? "" }
            print("lastError: wrong-name: \(error("wrong-name"))\n  tls13-refused: \(error("tls13-refused"))")
            #expect(
                error("wrong-name").lowercased().contains("certificate") || error("wrong-name").contains("hostname"))
            #expect(!error("tls13-refused").isEmpty && !error("tls13-refused").contains("HTTP status"))
            #expect(error("mtls-no-cert").contains("HTTP status 400"), "\(error("mtls-no-cert"))")
            #expect(error("redirect-loop").contains("stopped after 10 redirects"), "\(error("redirect-loop"))")
            #expect(error("no-follow").contains("server returned HTTP status 302"), "\(error("no-follow"))")
            // enable_http2 (Prometheus's default for scraping) negotiates HTTP/2; false keeps 1.1.
            #expect(nginx.requests("/metrics?via=h2", port: nginx.h2Port, proto: "HTTP/2.0") >= 1)
            #expect(nginx.requests("/metrics?via=h2", port: nginx.h2Port, proto: "HTTP/1.1") == 0)
            #expect(nginx.requests("/metrics?via=h1", port: nginx.h2Port, proto: "HTTP/1.1") >= 1)
            #expect(nginx.requests("/metrics?via=h1", port: nginx.h2Port, proto: "HTTP/2.0") == 0)
            // The loop was followed up to the hop limit: 1 request + 10 redirects per scrape.
            #expect(nginx.requests("/loop") >= 11, "\(nginx.requests("/loop")) requests to /loop")
            let log = try String(contentsOfFile: failureLog, encoding: .utf8)
            let first = try #require(log.split(separator: "\n").first)
            let line = try #require(try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: String])
            #expect(line["level"] == "ERROR" && line["job_name"] == "redirect-loop")
            #expect(line["target"] == "http://\(plain)/loop")
            #expect(line["msg"]?.contains("stopped after 10 redirects") == true)
            // Only the failing job writes to the file.
            #expect(log.split(separator: "\n").allSatisfy { $0.contains("\"job_name\":\"redirect-loop\"") })
        }
    }

    @Test func scrapeAndRemoteWriteThroughTinyproxy() async throws {
        let dir = try TempDir("promsls-it-proxy")
        defer { dir.remove() }
        try await TestHTTP.with { http in
            let hostIP = try Paths.hostIPv4()
            let (local, localAddress) = try await startNodeExporter(host: "127.0.0.1", dir: dir, http: http)
            defer { local.stop() }
            let (excluded, excludedAddress) = try await startNodeExporter(host: hostIP, dir: dir, http: http)
            defer { excluded.stop() }
            let (proxiedNode, proxiedAddress) = try await startNodeExporter(host: hostIP, dir: dir, http: http)
            defer { proxiedNode.stop() }
            let proxy = try await TinyProxy.start(dir: dir)
            defer { proxy.child.stop(grace: .seconds(1)) }
            let envProxy = try await TinyProxy.start(dir: dir)
            defer { envProxy.child.stop(grace: .seconds(1)) }
            let authProxy = try await TinyProxy.start(dir: dir, basicAuth: ("proxyuser", "proxypass"))
            defer { authProxy.child.stop(grace: .seconds(1)) }
            let proxyCredentials = Data("proxyuser:proxypass".utf8).base64EncodedString()
            let receiver = try await Promsls.startReceiver(dir: dir)
            defer { receiver.child.stop() }
            let receiverAddress = "127.0.0.1:\(receiver.port)"
            let config = """
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                scrape_configs:
                  - job_name: via-proxy
                    proxy_url: \(proxy.url)
                    static_configs: [{targets: ["\(localAddress)"]}]
                  - job_name: no-proxy
                    proxy_url: \(proxy.url)
                    no_proxy: "\(excludedAddress),example.com"
                    static_configs: [{targets: ["\(excludedAddress)", "\(proxiedAddress)"]}]
                  - job_name: from-env
                    proxy_from_environment: true
                    static_configs: [{targets: ["\(excludedAddress)", "\(proxiedAddress)", "\(localAddress)"]}]
                  - job_name: proxy-connect-header
                    proxy_url: \(authProxy.url)
                    proxy_connect_header: {Proxy-Authorization: ["Basic \(proxyCredentials)"]}
                    static_configs: [{targets: ["\(localAddress)"]}]
                  - job_name: proxy-url-credentials
                    proxy_url: http://proxyuser:proxypass@127.0.0.1:\(authProxy.port)
                    static_configs: [{targets: ["\(excludedAddress)"]}]
                  - job_name: proxy-no-credentials
                    proxy_url: \(authProxy.url)
                    static_configs: [{targets: ["\(proxiedAddress)"]}]
                remote_write:
                  - url: http://\(receiverAddress)/api/v1/write
                    proxy_url: \(proxy.url)
                    queue_config: {batch_send_deadline: 500ms, min_backoff: 100ms, max_backoff: 1s}
                """
            let agent = try Promsls.launchAgent(
                dir: dir, config: config,
                environment: [
                    "HTTP_PROXY": envProxy.url, "NO_PROXY": excludedAddress, "http_proxy": "", "no_proxy": "",
                ])
            defer { agent.child.stop() }
            try await agent.waitHealthy(http)
            let wanted = [
                "via-proxy/\(localAddress)", "no-proxy/\(excludedAddress)", "no-proxy/\(proxiedAddress)",
                "from-env/\(excludedAddress)", "from-env/\(proxiedAddress)", "from-env/\(localAddress)",
                "proxy-connect-header/\(localAddress)", "proxy-url-credentials/\(excludedAddress)",
            ]
            let refused = "proxy-no-credentials/\(proxiedAddress)"
            _ = try await eventually(
                "every target up and samples received through the proxy", timeout: .seconds(40),
                context: { agent.child.tail() + "\n" + receiver.child.tail() }
            ) { () -> Bool? in
                let s = try await targetStates(http, agent)
                let allUp = wanted.allSatisfy { s[$0]?.health == "up" } && s[refused]?.health == "down"
                return allUp && receiver.child.stdout.contains("request=") ? true : nil
            }
            let states = try await targetStates(http, agent)
            for t in wanted { #expect(states[t]?.health == "up", "\(t): \(String(describing: states[t]))") }
            // The proxy wants credentials: from proxy_connect_header or the URL; none → refused.
            #expect(authProxy.requests(to: localAddress) >= 1)
            #expect(authProxy.requests(to: excludedAddress) >= 1)
            let refusedError = states[refused]?.lastError ?? ""
            #expect(refusedError.hasSuffix("proxyconnect: Proxy Authentication Required"), "\(refusedError)")
            print("lastError without proxy credentials: \(states[refused]?.lastError ?? "")")
            // proxy_url: everything through the proxy, loopback included, remote write too.
            #expect(proxy.requests(to: localAddress) >= 1)
            #expect(proxy.requests(to: receiverAddress) >= 1)
            // no_proxy excludes one target, not the other.
            #expect(proxy.requests(to: proxiedAddress) >= 1)
            #expect(proxy.requests(to: excludedAddress) == 0)
            // proxy_from_environment: HTTP_PROXY used, NO_PROXY honoured, loopback never proxied.
            #expect(envProxy.requests(to: proxiedAddress) >= 1)
            #expect(envProxy.requests(to: excludedAddress) == 0)
            #expect(envProxy.requests(to: localAddress) == 0)
            #expect(envProxy.requests(to: receiverAddress) == 0)
        }
    }

    @Test func oauth2TokenFetchedOnceReusedRefreshedNeverLogged() async throws {
        let dir = try TempDir("promsls-it-oauth2")
        defer { dir.remove() }
        let peer = try await OAuth2Peer()
        defer { peer.server.stop() }
        let secretFile = try dir.write("client-secret", "secret-one\n")
        let headerFile = try dir.write("header-value", "from-file\n")
        let config = """
            global:
              extra_scrape_metrics: true
            scrape_configs:
              - job_name: oauth
                scrape_interval: 250ms
                scrape_timeout: 250ms
                static_configs: [{targets: ["127.0.0.1:\(peer.server.port)"]}]
                oauth2:
                  client_id: scraper
                  client_secret_file: \(secretFile)
                  scopes: [metrics.read, metrics.write]
                  endpoint_params: {audience: sls}
                  token_url: http://127.0.0.1:\(peer.server.port)/token
                http_headers:
                  X-Test:
                    values: [plain]
                    secrets: [hidden-header]
                    files: [\(headerFile)]
              - job_name: compressed
                scrape_interval: 250ms
                scrape_timeout: 250ms
                params: {job: [compressed]}
                static_configs: [{targets: ["127.0.0.1:\(peer.server.port)"]}]
              - job_name: uncompressed
                scrape_interval: 250ms
                scrape_timeout: 250ms
                enable_compression: false
                extra_scrape_metrics: false
                params: {job: [uncompressed]}
                static_configs: [{targets: ["127.0.0.1:\(peer.server.port)"]}]
            remote_write:
              - url: http://127.0.0.1:\(peer.server.port)/write
                oauth2:
                  client_id: writer
                  client_secret: writer-secret
                  token_url: http://127.0.0.1:\(peer.server.port)/token
                queue_config: {batch_send_deadline: 200ms, min_backoff: 100ms, max_backoff: 1s}
            """
        try await TestHTTP.with { http in
            let agent = try await Promsls.startAgent(dir: dir, http: http, config: config)
            defer { agent.child.stop() }
            // Tokens live 13 s minus Go's 10 s expiry margin: the second token comes ~3 s later.
            let scrapes = try await eventually(
                "a second token used by the scraper", timeout: .seconds(30), interval: .milliseconds(250),
                context: { agent.child.tail() }
            ) { () -> [String]? in
                let seen = peer.scrapeAuthorizations
                return Set(seen).count >= 2 ? seen : nil
            }
            let scraperFetches = peer.tokenRequests.filter { $0.clientID == "scraper" }
            let first = try #require(scrapes.first)
            let firstRun = scrapes.prefix { $0 == first }.count
            #expect(first.hasPrefix("Bearer token-"), "\(first)")
            #expect(firstRun >= 2, "token reused: \(scrapes)")
            // Fetched once per lifetime: never again while the cached token was valid.
            #expect(scraperFetches.count >= 2)
            for (a, b) in zip(scraperFetches, scraperFetches.dropFirst()) {
                #expect(b.at - a.at >= .seconds(2), "token fetched again after \(b.at - a.at), before it expired")
            }
            // Every token the target saw was issued once and used until the next one.
            let used = scrapes.filter { !$0.isEmpty }
            #expect(zip(used, used.dropFirst()).filter { $0 != $1 }.count == Set(used).count - 1, "\(used)")
            let form = try #require(scraperFetches.first?.form)
            #expect(form["grant_type"] == "client_credentials")
            #expect(form["scope"] == "metrics.read metrics.write")
            #expect(form["audience"] == "sls")
            #expect(scraperFetches.first?.secret == "secret-one")
            #expect(
                peer.scrapeHeaders.last == ["plain", "hidden-header", "from-file"], "\(peer.scrapeHeaders.last ?? [])")

            // A new client secret in the file: a new token is fetched with it at once.
            try "secret-two\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
            _ = try await eventually("a token request with the new secret", timeout: .seconds(10)) {
                peer.tokenRequests.contains { $0.clientID == "scraper" && $0.secret == "secret-two" } ? true : nil
            }
            // Remote write uses its own token.
            let writes = try await eventually("remote write with a token", timeout: .seconds(20)) {
                peer.writeAuthorizations.isEmpty ? nil : peer.writeAuthorizations
            }
            #expect(writes.allSatisfy { $0.hasPrefix("Bearer token-") && !scrapes.contains($0) })
            #expect(peer.tokenRequests.contains { $0.clientID == "writer" && $0.secret == "writer-secret" })

            // enable_compression: gzip asked for by default, identity when false.
            let encodings = try await eventually("both compression jobs scraped", timeout: .seconds(10)) {
                peer.acceptEncodings.count == 2 ? peer.acceptEncodings : nil
            }
            #expect(encodings == ["compressed": "gzip", "uncompressed": "identity"])

            // extra_scrape_metrics from the config: global true, false for one job.
            let series = try await eventually("report series of both jobs written", timeout: .seconds(20)) {
                let s = peer.writtenSeries
                return s.contains("compressed/up") && s.contains("uncompressed/up") ? s : nil
            }
            #expect(series.contains("compressed/scrape_timeout_seconds"))
            #expect(series.contains("compressed/scrape_body_size_bytes"))
            #expect(!series.contains("uncompressed/scrape_timeout_seconds"))

            // Never logged (debug level), never served.
            let logs = agent.child.stderr + agent.child.stdout
            #expect(!logs.contains("token-"), "a token appears in the log")
            #expect(!logs.contains("secret-one") && !logs.contains("writer-secret") && !logs.contains("hidden-header"))
            let served = try await http.get(agent.base + "/api/v1/status/config").body
            #expect(
                served.contains(secretFile) && !served.contains("writer-secret") && !served.contains("hidden-header"))
        }
    }
}

/// A loopback OAuth2 token endpoint (`/token`, client credentials in HTTP basic auth, tokens
/// `token-N` valid 13 s), a scrape target that requires a bearer token (`/metrics`) and a
/// remote-write endpoint (`/write`), recording what they got.
final class OAuth2Peer: @unchecked Sendable {
    struct TokenRequest {
        var clientID: String
        var secret: String
        var form: [String: String]
        var at: ContinuousClock.Instant
    }
    private let lock = NSLockLite()
    private var _tokens: [TokenRequest] = []
    private var _scrapes: [String] = []
    private var _headers: [[String]] = []
    private var _writes: [String] = []
    private var _encodings: [String: String] = [:]
    private var _series: Set<String> = []
    private(set) var server: LocalServer!

    var tokenRequests: [TokenRequest] { lock.withLock { _tokens } }
    var scrapeAuthorizations: [String] { lock.withLock { _scrapes } }
    var scrapeHeaders: [[String]] { lock.withLock { _headers } }
    var writeAuthorizations: [String] { lock.withLock { _writes } }
    /// `job/__name__` of every series remote-written to `/write`.
    var writtenSeries: Set<String> { lock.withLock { _series } }
    /// The last `Accept-Encoding` of each `/metrics?job=…` scrape.
    var acceptEncodings: [String: String] { lock.withLock { _encodings } }

    init() async throws {
        let router = Router()
        router.post("/token") { request, _ -> Response in
            let body = String(buffer: try await request.body.collect(upTo: 1 << 16))
            var form: [String: String] = [:]
            for pair in body.split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map {
                    String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
                }
                if kv.count == 2 { form[kv[0]] = kv[1] }
            }
            let basic = (request.headers[.authorization] ?? "").dropFirst("Basic ".count)
            let pair = Data(base64Encoded: String(basic)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            let parts = pair.split(separator: ":", maxSplits: 1).map(String.init)
            let n = self.lock.withLock {
                self._tokens.append(
                    TokenRequest(
                        clientID: parts.first ?? "", secret: parts.count > 1 ? parts[1] : "", form: form,
                        at: .now))
                return self._tokens.count
            }
            var h = HTTPFields()
            h.append(.init(name: .contentType, value: "application/json"))
            return Response(
                status: .ok, headers: h,
                body: .init(
                    byteBuffer: ByteBuffer(
                        string: #"{"access_token":"token-\#(n)","token_type":"bearer","expires_in":13}"#)))
        }
        router.get("/metrics") { request, _ -> Response in
            let auth = request.headers[.authorization] ?? ""
            let custom = request.headers.filter { $0.name.canonicalName == "x-test" }.map(\.value)
            let encoding = request.headers.first { $0.name.canonicalName == "accept-encoding" }?.value ?? ""
            if let job = request.uri.queryParameters.get("job") {
                self.lock.withLock { self._encodings[job] = encoding }
                var h = HTTPFields()
                h.append(.init(name: .contentType, value: "text/plain; version=0.0.4"))
                return Response(status: .ok, headers: h, body: .init(byteBuffer: ByteBuffer(string: "plain 1\n")))
            }
            self.lock.withLock {
                self._scrapes.append(auth)
                self._headers.append(custom)
            }
            guard auth.hasPrefix("Bearer token-") else { return Response(status: .unauthorized) }
            var h = HTTPFields()
            h.append(.init(name: .contentType, value: "text/plain; version=0.0.4"))
            return Response(
                status: .ok, headers: h, body: .init(byteBuffer: ByteBuffer(string: "oauth_test_value 1\n")))
        }
        router.post("/write") { request, _ -> Response in
            let buf = try await request.body.collect(upTo: 64 << 20)
            let samples = (try? WriteRequestDecoder.decode(snappyCompressed: Array(buffer: buf)))?.samples ?? []
            self.lock.withLock {
                self._writes.append(request.headers[.authorization] ?? "")
                for s in samples { self._series.insert("\(s.labels["job"] ?? "")/\(s.labels["__name__"] ?? "")") }
            }
            return Response(status: .noContent)
        }
        server = try await LocalServer(router)
    }
}
