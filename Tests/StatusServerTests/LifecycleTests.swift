import Foundation
import HTTPTypes
import HummingbirdTesting
import Synchronization
import TestSupport
import Testing

@testable import StatusServer

@Suite struct LifecycleTests {
    @Test(arguments: ["/-/reload", "/-/quit"], [HTTPRequest.Method.post, .put])
    func disabledWithoutLifecycleFlag(path: String, method: HTTPRequest.Method) async throws {
        try await withRouter(try options()) { client in
            let r = try await client.execute(uri: path, method: method)
            #expect(r.status == .forbidden)
            #expect(String(buffer: r.body) == "Lifecycle API is not enabled.\n")
        }
    }

    @Test(arguments: ["/-/reload", "/-/quit"])
    func getIsNotAllowed(path: String) async throws {
        try await withRouter(try options(reload: { nil }, quit: {})) { client in
            let r1 = try await get(client, path)
            #expect(r1.status == .methodNotAllowed)
        }
    }

    @Test func reloadReportsTheError() async throws {
        let calls = Atomic<Int>(0)
        try await withRouter(
            try options(reload: {
                calls.add(1, ordering: .relaxed)
                return calls.load(ordering: .relaxed) == 1 ? nil : "bad.yml:3: unknown key"
            })
        ) { client in
            let ok = try await client.execute(uri: "/-/reload", method: .post)
            #expect(ok.status == .ok)
            let bad = try await client.execute(uri: "/-/reload", method: .put)
            #expect(bad.status == .internalServerError)
            #expect(String(buffer: bad.body) == "failed to reload config: bad.yml:3: unknown key\n")
        }
        #expect(calls.load(ordering: .relaxed) == 2)
    }

    @Test(.timeLimit(.minutes(1))) func quitAnswersThenShutsDown() async throws {
        // The shutdown is requested after the answer is written: wait for it, do not poll.
        let quits = EventLog<Void>()
        try await withRouter(try options(quit: { quits.append(()) })) { client in
            let r = try await client.execute(uri: "/-/quit", method: .post)
            #expect(r.status == .ok)
            #expect(String(buffer: r.body) == "Requesting termination... Goodbye!\n")
        }
        #expect(await quits.wait(count: 1).count == 1)
        #expect(quits.count == 1)
    }

    @Test func healthyAndReady() async throws {
        try await withRouter(try options(ready: false)) { client in
            let r2 = try await get(client, "/-/healthy")
            #expect(r2.status == .ok)
            let r3 = try await get(client, "/-/ready")
            #expect(r3.status == .serviceUnavailable)
        }
        try await withRouter(try options(ready: true)) { client in
            let r = try await get(client, "/-/ready")
            #expect(r.status == .ok)
            #expect(r.text == "promsls is Ready.\n")
        }
    }
}
