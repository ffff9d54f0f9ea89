import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import StatusServer

/// bcrypt off the cooperative pool (issue 15 item 3): the web login's bcrypt runs on the
/// verifier's thread with a bounded queue; verified credentials are cached by digest.
@Suite struct BasicAuthLoadTests {
    static func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

    /// FIPS 180-4 examples (one block, empty, two blocks after padding) and a 1,000-byte message.
    @Test func sha256KnownAnswers() {
        #expect(
            Self.hex(SHA256.hash(Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Self.hex(SHA256.hash([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            Self.hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            Self.hex(SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1000)))
                == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    @Test func cacheKeysAreDigestsNotPasswords() {
        let a = BasicAuthMiddleware<BasicRequestContext>.VerifiedCache()
        let b = BasicAuthMiddleware<BasicRequestContext>.VerifiedCache()
        let k = a.key(user: "alice", password: "hunter2")
        #expect(k.count == 32)
        #expect(a.key(user: "alice", password: "hunter2") == k)
        #expect(a.key(user: "alice", password: "hunter3") != k)
        // "ab" + "c" and "a" + "bc" differ: the user ends at a 0 byte.
        #expect(a.key(user: "ab", password: "c") != a.key(user: "a", password: "bc"))
        // Salted per cache.
        #expect(b.key(user: "alice", password: "hunter2") != k)
        a.insert(k)
        #expect(a.contains(k))
        #expect(!a.contains(a.key(user: "alice", password: "hunter3")))
    }

    /// Three bad logins block the verifier's one thread (one running, two queued): more blocked
    /// work than the cooperative pool has threads (two on the test machine). Another request
    /// still completes, and a fourth bad login is refused at once with 503.
    @Test func aBurstOfBadLoginsDoesNotStallOtherRequests() async throws {
        let gate = DispatchSemaphore(value: 0)
        let verifier = BcryptVerifier(threads: 1, maxPending: 3) { password, _ in
            if password == "right" { return true }
            gate.wait()
            return false
        }
        let router = Router()
        router.add(middleware: BasicAuthMiddleware(users: ["alice": WebConfigTests.hash], verifier: verifier))
        router.get("/x") { _, _ in "ok" }
        try await Application(router: router).test(.router) { client in
            let right = WebConfigTests.auth("alice", "right")
            #expect(try await get(client, "/x", headers: right).status == .ok)
            let bad = (0..<3).map { _ in
                Task { try await get(client, "/x", headers: WebConfigTests.auth("alice", "wrong")).status }
            }
            var rounds = 0
            while verifier.pendingCount < 3 {
                rounds += 1
                try #require(rounds < 1_000_000, "the bad logins never reached the verifier")
                await Task.yield()
            }
            // Cached credentials: no bcrypt, answered while the verifier is blocked.
            let other = try await get(client, "/x", headers: right)
            #expect(other.status == .ok)
            #expect(other.text == "ok")
            let busy = try await get(client, "/x", headers: WebConfigTests.auth("mallory", "x"))
            #expect(busy.status == .serviceUnavailable)
            #expect(busy.headers[.retryAfter] == "1")
            #expect(verifier.pendingCount == 3)
            for _ in 0..<3 { gate.signal() }
            for t in bad { #expect(try await t.value == .unauthorized) }
        }
        #expect(verifier.pendingCount == 0)
        try await verifier.shutdown()
    }
}
