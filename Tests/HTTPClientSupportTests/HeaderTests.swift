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
