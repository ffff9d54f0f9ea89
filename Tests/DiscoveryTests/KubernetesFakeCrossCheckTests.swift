import Foundation
import TestSupport
import Testing

/// The fake Kubernetes API server (Tests/Fakes/kube_apiserver_fake.py) that the Kubernetes
/// discovery tests run against, checked with the official Kubernetes Python client
/// (`kubernetes` from PyPI, installed by `make deps`): LIST with selectors and pagination,
/// WATCH with bookmarks, 410 after compaction, 403, 401, outages, 5,000 pods
/// (Tests/Fakes/crosscheck_kube.py, ~8 s). A fake the vendor's client disagrees with would make
/// every test built on it meaningless.
@Suite(.offThePool)
struct KubernetesFakeCrossCheckTests {
    static let fakes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fakes")

    @Test func theOfficialClientAgreesWithTheFake() throws {
        let p = Process()
        let out = Pipe()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Self.fakes.appendingPathComponent("crosscheck_kube.py").path]
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(separator: "\n")
        #expect(p.terminationStatus == 0, "\(text.suffix(3000))")
        #expect(lines.filter { $0.hasPrefix("FAIL") }.isEmpty, "\(text.suffix(3000))")
        #expect(lines.filter { $0.hasPrefix("PASS") }.count >= 50, "\(text.suffix(3000))")
    }
}
