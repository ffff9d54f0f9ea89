// Issue 18 end to end: the agent and `promsls check sls` against a fake SLS Metricstore over
// HTTPS (Tests/Fakes/sls_fake.py, SLS's documented error bodies and headers) and fakes of the
// ECS metadata service (Tests/Fakes/alibaba_fakes.py). Loopback only: the SLS host is
// `{project}.sls.localhost`, which promsls connects to 127.0.0.1 (RFC 6761).
import AsyncHTTPClient
import Foundation
import NIOSSL
import Testing

@Suite("SLS end to end", .serialized, .offThePool, .timeLimit(.minutes(3)))
struct SLSIntegrationTests {
    static let fakes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fakes").path

    /// A fake started with `arguments`; its base URL from the ready line it prints.
    static func startFake(_ script: String, _ arguments: [String], dir: TempDir) async throws -> (Child, Int) {
        let child = try Child(script, "/usr/bin/env", ["python3", fakes + "/" + script] + arguments, dir: dir)
        let port = try await eventually(
            "\(script) to be ready", timeout: .seconds(20), interval: .milliseconds(50), context: { child.tail() }
        ) {
            () -> Int? in
            guard let r = child.stdout.range(of: "ready on http") else { return nil }
            let rest = child.stdout[r.upperBound...].drop { $0 != ":" }.dropFirst()  // "s://127…" or "://127…"
            guard let colon = rest.range(of: "127.0.0.1:") else { return nil }
            return Int(rest[colon.upperBound...].prefix { $0.isNumber })
        }
        return (child, port)
    }

    /// A certificate for `*.sls.localhost`, its own CA.
    static func certificate(_ dir: TempDir) throws -> (cert: String, key: String) {
        let cert = dir.file("sls.crt")
        let key = dir.file("sls.key")
        let r = try runToCompletion(
            try Paths.openssl(),
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj",
                "/CN=sls.localhost", "-addext", "subjectAltName=DNS:*.sls.localhost,DNS:sls.localhost",
                "-addext", "basicConstraints=critical,CA:TRUE",
            ])
        guard r.status == 0 else { throw IntegrationError("openssl: \(r.stderr)") }
        return (cert, key)
    }

    static func slsConfig(port: Int, ca: String, project: String = "proj", metricstore: String = "store", keys: String)
        -> String
    {
        """
        global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s, rule_query_offset: 2s}
        sls:
          project: \(project)
          endpoint: sls.localhost:\(port)
          metricstore: \(metricstore)
          tls_config: {ca_file: \(ca)}
          queue_config: {batch_send_deadline: 200ms, min_backoff: 100ms, max_backoff: 200ms}
        \(keys.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        """
    }

    // `check sls` explains each failure in the user's terms, and exits 0 only when the write
    // went through.
    @Test("check sls: every failure cause named, exit 0 only after a successful write")
    func checkSLS() async throws {
        let dir = try TempDir("promsls-sls")
        defer { dir.remove() }
        let (cert, key) = try Self.certificate(dir)
        let keys = "access_key_id: LTAIfake\naccess_key_secret: good-secret"
        let cases:
            [(scenario: [String], project: String, metricstore: String, keys: String, exit: Int32, want: String)] =
                [
                    ([], "proj", "store", keys, 0, "SUCCESS: promsls can write to this Metricstore"),
                    (
                        [], "proj", "store", "access_key_id: LTAIfake\naccess_key_secret: wrong", 1,
                        "the AccessKey ID is known but the secret is wrong"
                    ),
                    (
                        [], "proj", "store", "access_key_id: LTAIother\naccess_key_secret: good-secret", 1,
                        "SLS does not know this AccessKey ID"
                    ),
                    ([], "nope", "store", keys, 1, #"project "nope" does not exist in the region of sls.localhost"#),
                    ([], "proj", "gone", keys, 1, #"metricstore "gone" does not exist in project "proj""#),
                    (["--scenario", "skew"], "proj", "store", keys, 1, "clock is off"),
                    (["--scenario", "proxy"], "proj", "store", keys, 1, "did not come from SLS (no x-log-requestid)"),
                ]
        for c in cases {
            let (fake, port) = try await Self.startFake(
                "sls_fake.py",
                [
                    "--cert", cert, "--key", key, "--project", "proj", "--metricstore", "store", "--access-key-id",
                    "LTAIfake", "--access-key-secret", "good-secret",
                ] + c.scenario, dir: dir)
            defer { fake.stop() }
            let config = try dir.write(
                "check.yml",
                Self.slsConfig(port: port, ca: cert, project: c.project, metricstore: c.metricstore, keys: c.keys))
            let r = try runToCompletion(try Paths.promsls(), ["check", "sls", "--config.file", config])
            #expect(r.status == c.exit, "\(c.scenario) \(c.keys)\n\(r.stdout)\n\(r.stderr)")
            #expect(r.stdout.contains(c.want), "\(c.scenario) \(c.project)/\(c.metricstore)\n\(r.stdout)")
            #expect(!r.stdout.contains("good-secret") && !r.stdout.contains("wrong\n"), "a secret in the output")
            fake.stop()
            if c.exit == 0 {
                #expect(
                    r.stdout.contains("ok    TLS handshake") && r.stdout.contains("the sample is visible"),
                    "\(r.stdout)")
            }
            print("check sls \(c.scenario) \(c.project)/\(c.metricstore): exit \(r.status)\n\(r.stdout)")
        }
    }

    // Nothing listening at the endpoint's port: named as such, not as a certificate problem.
    @Test("check sls: a closed port is not called a TLS problem")
    func checkSLSClosedPort() async throws {
        let dir = try TempDir("promsls-sls")
        defer { dir.remove() }
        let (cert, _) = try Self.certificate(dir)
        let config = try dir.write(
            "closed.yml",
            Self.slsConfig(port: try Ports.free(), ca: cert, keys: "access_key_id: LTAIfake\naccess_key_secret: s"))
        let r = try runToCompletion(try Paths.promsls(), ["check", "sls", "--config.file", config])
        #expect(r.status == 1)
        #expect(r.stdout.contains("cause: nothing accepts connections at proj.sls.localhost"), "\(r.stdout)")
    }

    // The agent on an ECS RAM role whose credentials live 6 seconds: they are refreshed before
    // they expire, every write is accepted (no failed send), each with the credentials valid
    // at the time; the log names the provider and never a secret.
    @Test("agent with an ECS RAM role: rotating credentials, no failed send")
    func agentWithECSRole() async throws {
        let dir = try TempDir("promsls-sls")
        defer { dir.remove() }
        let (cert, key) = try Self.certificate(dir)
        let (metadata, metadataPort) = try await Self.startFake(
            "alibaba_fakes.py", ["--port-file", dir.file("md.port"), "--expire-seconds", "6", "--require-imdsv2"],
            dir: dir)
        defer { metadata.stop() }
        let (sls, slsPort) = try await Self.startFake(
            "sls_fake.py",
            [
                "--cert", cert, "--key", key, "--project", "proj", "--metricstore", "store", "--credentials-url",
                "http://127.0.0.1:\(metadataPort)/_issued",
            ], dir: dir)
        defer { sls.stop() }
        let web = try Ports.free()
        let config = try dir.write(
            "agent.yml",
            Self.slsConfig(
                port: slsPort, ca: cert,
                keys:
                    "credentials: {provider: ecs_ram_role, disable_imdsv1: true, metadata_endpoint: 'http://127.0.0.1:\(metadataPort)'}"
            )
                + "\nscrape_configs:\n  - job_name: self\n    static_configs: [{targets: ['127.0.0.1:\(web)']}]\n"
                // Rules query the Metricstore with the same rotating credentials (issue 14).
                + "rule_files: [\(yamlQuote(try dir.write("rules.yml", Self.slsRules)))]\n"
        )
        let agent = try Child(
            "promsls", try Paths.promsls(),
            [
                "--config.file", config, "--web.listen-address", "127.0.0.1:\(web)", "--storage.agent.path",
                dir.file("data"),
            ], dir: dir)
        defer { agent.stop() }
        let control = try Self.controlClient(ca: cert)
        let requestsURL = "https://proj.sls.localhost:\(slsPort)/_requests"
        // Three generations of credentials used for accepted writes.
        let users = try await eventually(
            "writes with three generations of credentials", timeout: .seconds(40), interval: .milliseconds(500),
            context: { agent.tail() + "\n" + sls.tail() }
        ) { () -> Set<String>? in
            let accepted = try await Self.json(control, requestsURL).filter { ($0["status"] as? Int) == 200 }
            let set = Set(accepted.compactMap { $0["authorization_user"] as? String })
            return set.count >= 3 ? set : nil
        }
        let refused = try await Self.json(control, requestsURL).filter {
            ($0["status"] as? Int).map { $0 >= 400 } ?? false
        }
        #expect(refused.isEmpty, "refused writes: \(refused)")
        #expect(users.allSatisfy { $0.hasPrefix("STS.test-") })
        // Rule queries went to the Metricstore's query API with STS credentials, and the
        // recorded series came back through remote write.
        let queries = try await Self.json(control, requestsURL).filter {
            ($0["path"] as? String) == "/prometheus/proj/store/api/v1/query"
        }
        #expect(!queries.isEmpty && queries.allSatisfy { ($0["status"] as? Int) == 200 }, "\(queries.prefix(3))")
        #expect(queries.allSatisfy { ($0["authorization_user"] as? String ?? "").hasPrefix("STS.test-") })
        let received = try await eventually(
            "sls_up_copy written back", timeout: .seconds(20), context: { agent.tail() }
        ) {
            let r = try await Self.json(control, "https://proj.sls.localhost:\(slsPort)/_received")
            return r.contains { ($0["labels"] as? [String: String])?["__name__"] == "sls_up_copy" } ? true : nil
        }
        #expect(received)
        print("sls e2e: accepted writes with \(users.sorted()), refused \(refused.count)")
        try await control.shutdown()
        agent.stop()
        let log = agent.stderr
        #expect(log.contains("provider=ecs_ram_role"), "\(agent.tail())")
        #expect(!log.contains("secret-1") && !log.contains("token-1"), "a credential in the log")
    }

    /// A recording rule the fake's query API can answer (it evaluates bare metric names).
    static let slsRules = """
        groups:
          - name: sls
            interval: 1s
            rules:
              - record: sls_up_copy
                expr: up
        """

    /// A client for the fake SLS's control routes (HTTPS on its port, `*.sls.localhost`).
    static func controlClient(ca: String) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
        var config = HTTPClient.Configuration(tlsConfiguration: tls)
        config.dnsOverride = ["proj.sls.localhost": "127.0.0.1"]
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    static func json(_ client: HTTPClient, _ url: String) async throws -> [[String: Any]] {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 16 << 20)
        return try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [[String: Any]] ?? []
    }
}
