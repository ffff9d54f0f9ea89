import Foundation
import HTTPTypes
import Hummingbird
import PromModel

/// HTTP basic auth on every route (`basic_auth_users` of the web config), bcrypt-checked.
/// Successful (user, password) pairs are remembered so a page load costs one bcrypt, not one
/// per request; unknown users still pay one bcrypt against a dummy hash, so timing does not
/// tell which users exist (as exporter-toolkit does).
struct BasicAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let users: [String: String]
    let cache = VerifiedCache()

    /// A bcrypt hash (cost 10) of a random string: burns the same time for unknown users.
    static var dummyHash: String { "$2b$10$Jgwg.fPJUAYh2ydleYYJkOVE.o.zCFdikqTVTCyV4HpU8joHpia9O" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let (user, password) = Self.credentials(request), check(user: user, password: password) else {
            return Response(
                status: .unauthorized,
                headers: [.wwwAuthenticate: "Basic", .contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "Unauthorized\n")))
        }
        return try await next(request, context)
    }

    func check(user: String, password: String) -> Bool {
        let key = user + "\u{0}" + password
        if cache.contains(key) { return true }
        guard let hash = users[user] else {
            _ = Bcrypt.verify(password: password, hash: Self.dummyHash)
            return false
        }
        guard Bcrypt.verify(password: password, hash: hash) else { return false }
        cache.insert(key)
        return true
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

    /// A small set of verified credentials, bounded (cleared when full).
    final class VerifiedCache: @unchecked Sendable {
        private let lock = NSLockLite()
        private var set: Set<String> = []
        func contains(_ k: String) -> Bool { lock.withLock { set.contains(k) } }
        func insert(_ k: String) {
            lock.withLock {
                if set.count >= 256 { set.removeAll() }
                set.insert(k)
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
