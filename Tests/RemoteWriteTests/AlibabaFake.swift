import AsyncHTTPClient
import Foundation

/// Tests/Fakes/alibaba_fakes.py (ECS metadata, STS AssumeRoleWithOIDC, a credentials URI) on a
/// loopback port, started for one test and stopped with it.
final class AlibabaFake: @unchecked Sendable {
    let process = Process()
    let base: String
    let port: Int

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fakes").path

    /// - Parameter arguments: the fake's options (`--require-imdsv2`, `--expire-seconds N`…).
    init(_ arguments: [String] = []) throws {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("alibaba-fake-\(UUID()).port").path
        let out = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.directory + "/alibaba_fakes.py", "--port-file", portFile] + arguments
        process.standardOutput = out
        try process.run()
        // The fake prints one line once it listens: read it (a blocking read, no polling).
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw CocoaError(.fileReadUnknown) }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let r = text.range(of: "http://127.0.0.1:"),
            let p = Int(text[r.upperBound...].prefix { $0.isNumber })
        else { throw CocoaError(.fileReadCorruptFile) }
        port = p
        base = "http://127.0.0.1:\(p)"
        try? FileManager.default.removeItem(atPath: portFile)
    }

    func stop() {
        if process.isRunning {
            // SIGKILL: a signal mask the test process blocks (and the child inherits) cannot stop it.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }

    /// Every request the fake received (`GET /_log`).
    func log() async throws -> [[String: Any]] { try await json("/_log") as? [[String: Any]] ?? [] }
    /// Every credential it issued (`GET /_issued`).
    func issued() async throws -> [[String: Any]] { try await json("/_issued") as? [[String: Any]] ?? [] }

    private func json(_ path: String) async throws -> Any {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + path), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 16 << 20)
        return try JSONSerialization.jsonObject(with: Data(body.readableBytesView))
    }

    /// Runs Alibaba's own client (`alibabacloud-credentials`, Tests/Fakes/crosscheck_credentials.py)
    /// against this fake; its JSON answer.
    func crossCheck(_ arguments: [String]) throws -> [String: String] {
        let p = Process()
        let out = Pipe()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Self.directory + "/crosscheck_credentials.py", "--base", base] + arguments
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        return object.compactMapValues { $0 as? String }
    }
}
