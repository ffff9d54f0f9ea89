import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// HTTP basic auth on every route (`basic_auth_users` of the web config), bcrypt-checked.
/// Successful (user, password) pairs are remembered so a page load costs one bcrypt, not one
/// per request; unknown users still pay one bcrypt against a dummy hash, so timing does not
/// tell which users exist (as exporter-toolkit does).
///
/// bcrypt runs on the `BcryptVerifier`'s thread, off the cooperative pool; when its queue is
/// full the request is answered 503 (Retry-After: 1) without a check. The cache holds a
/// SHA-256 digest of a per-process random salt, the user and the password, never the password.
struct BasicAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let users: [String: String]
    let verifier: BcryptVerifier
    let cache = VerifiedCache()

    init(users: [String: String], verifier: BcryptVerifier = .shared) {
        self.users = users
        self.verifier = verifier
    }

    /// A bcrypt hash (cost 10) of a random string: burns the same time for unknown users.
    static var dummyHash: String { "$2b$10$Jgwg.fPJUAYh2ydleYYJkOVE.o.zCFdikqTVTCyV4HpU8joHpia9O" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let outcome: BcryptVerifier.Outcome
        if let (user, password) = Self.credentials(request) {
            outcome = await check(user: user, password: password)
        } else {
            outcome = .mismatch
        }
        switch outcome {
        case .match: return try await next(request, context)
        case .mismatch:
            return Response(
                status: .unauthorized,
                headers: [.wwwAuthenticate: "Basic", .contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "Unauthorized\n")))
        case .busy:
            return Response(
                status: .serviceUnavailable,
                headers: [.retryAfter: "1", .contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "Too many logins in progress\n")))
        }
    }

    /// `.match` for a cached or bcrypt-verified pair, `.mismatch` for a wrong password or an
    /// unknown user, `.busy` when the verifier's queue is full.
    func check(user: String, password: String) async -> BcryptVerifier.Outcome {
        let key = cache.key(user: user, password: password)
        if cache.contains(key) { return .match }
        guard let hash = users[user] else {
            let burned = await verifier.verify(password: password, hash: Self.dummyHash)
            return burned == .busy ? .busy : .mismatch
        }
        let outcome = await verifier.verify(password: password, hash: hash)
        if outcome == .match { cache.insert(key) }
        return outcome
    }

    /// `Authorization: Basic base64(user:password)`.
    static func credentials(_ request: Request) -> (String, String)? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic", let data = Data(base64Encoded: String(parts[1])),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// A small set of verified credentials, bounded (cleared when full), keyed by a salted
    /// SHA-256 digest.
    final class VerifiedCache: Sendable {
        /// Random per cache: a digest in a memory dump cannot be looked up in a precomputed table.
        private let salt: [UInt8] = (0..<16).map { _ in UInt8.random(in: .min ... .max) }
        private let set = Mutex(Set<[UInt8]>())

        /// SHA-256(salt ‖ user ‖ 0 ‖ password).
        func key(user: String, password: String) -> [UInt8] {
            SHA256.hash(salt + Array(user.utf8) + [0] + Array(password.utf8))
        }

        func contains(_ k: [UInt8]) -> Bool { set.withLock { $0.contains(k) } }

        func insert(_ k: [UInt8]) {
            set.withLock {
                if $0.count >= 256 { $0.removeAll() }
                $0.insert(k)
            }
        }
    }
}

/// Adds `http_server_config.headers` to every response.
struct ExtraHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    let headers: [(HTTPField.Name, String)]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var r = try await next(request, context)
        for (n, v) in headers { r.headers[n] = v }
        return r
    }
}
