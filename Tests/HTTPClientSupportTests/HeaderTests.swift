import AgentConfig
import AsyncHTTPClient
import Foundation
import Testing

@testable import HTTPClientSupport

/// Headers a `ConfiguredHTTPClient` adds: secret files read for every request, as Prometheus.
struct HeaderTests {
    static func headers(_ config: HTTPClientConfig) async throws -> [String: [String]] {
        let client = try ConfiguredHTTPClient(config: config, environment: [:])
        var request = HTTPClientRequest(url: "http://127.0.0.1:1/metrics")
        do {
            try await client.addHeaders(&request)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
        var out: [String: [String]] = [:]
        for h in request.headers { out[h.name, default: []].append(h.value) }
        return out
    }

    @Test func secretFilesAreReadForEveryRequest() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("promsls-headers-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let token = dir.appendingPathComponent("token").path
        let password = dir.appendingPathComponent("password").path
        let header = dir.appendingPathComponent("header").path
        try "first\n".write(toFile: token, atomically: true, encoding: .utf8)
        try "pw1\n".write(toFile: password, atomically: true, encoding: .utf8)
        try "h1\n".write(toFile: header, atomically: true, encoding: .utf8)

        var bearer = HTTPClientConfig()
        bearer.authorization = Authorization(credentials: Secret("first"), credentialsFile: token)
        var values = HTTPHeaderValues()
        values.values = ["v"]
        values.secrets = [Secret("s")]
        values.files = [header]
        bearer.httpHeaders = ["X-Extra": values]
        var basic = HTTPClientConfig()
        basic.basicAuth = BasicAuth(username: "u", password: Secret("pw1"), passwordFile: password)

        #expect(try await Self.headers(bearer)["Authorization"] == ["Bearer first"])
        #expect(try await Self.headers(bearer)["X-Extra"] == ["v", "s", "h1"])
        #expect(try await Self.headers(basic)["Authorization"] == ["Basic " + Data("u:pw1".utf8).base64EncodedString()])

        try "second\n".write(toFile: token, atomically: true, encoding: .utf8)
        try "pw2\n".write(toFile: password, atomically: true, encoding: .utf8)
        try "h2\n".write(toFile: header, atomically: true, encoding: .utf8)
        #expect(try await Self.headers(bearer)["Authorization"] == ["Bearer second"])
        #expect(try await Self.headers(bearer)["X-Extra"] == ["v", "s", "h2"])
        #expect(try await Self.headers(basic)["Authorization"] == ["Basic " + Data("u:pw2".utf8).base64EncodedString()])

        // A header file that disappeared fails the request instead of sending it without.
        try FileManager.default.removeItem(atPath: header)
        await #expect(throws: HTTPHeaderFileError.self) { try await Self.headers(bearer) }
    }
}

/// Issue 18: secret files are read at every request, as Prometheus reads them: a rotated one
/// is used at once, a missing or empty one fails the request with the reason (no stale value).
struct SecretFileTests {
    @Test func secretFilesAreReadAtEveryRequest() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("promsls-token-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var c = HTTPClientConfig()
        c.authorization = Authorization(credentials: Secret("read-at-load"), credentialsFile: path)
        #expect(throws: HTTPHeaderFileError.self) { try HTTPClientSupport.authorizationHeader(c) }
        try Data("first\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try HTTPClientSupport.authorizationHeader(c) == "Bearer first")
        try Data("second".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try HTTPClientSupport.authorizationHeader(c) == "Bearer second")
        try Data("\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect { try HTTPClientSupport.authorizationHeader(c) } throws: {
            "\($0)" == "credentials_file \(path) is empty"
        }
        var b = HTTPClientConfig()
        b.basicAuth = BasicAuth(username: "u", password: Secret(""), passwordFile: path + ".missing")
        #expect { try HTTPClientSupport.authorizationHeader(b) } throws: {
            "\($0)" == "unable to read password_file \(path).missing"
        }
    }
}
