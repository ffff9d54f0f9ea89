import NIOPosix
import Synchronization

/// Runs bcrypt checks on a thread of their own, not on Swift's cooperative pool, with a bounded
/// queue: a burst of bad logins (each one bcrypt, tens of ms at cost 10) then delays only other
/// logins, never scraping, sending or the other web requests.
final class BcryptVerifier: Sendable {
    enum Outcome: Sendable, Equatable {
        case match
        case mismatch
        /// `maxPending` checks are already queued or running; nothing was checked.
        case busy
    }

    /// The process's verifier: one thread (bcrypt is CPU-bound; one core for logins is plenty),
    /// at most 16 checks queued or running (about a second of bcrypt at cost 10). Its thread
    /// lives as long as the process.
    static let shared = BcryptVerifier(threads: 1, maxPending: 16, verify: Bcrypt.verify)

    let maxPending: Int
    private let pool: NIOThreadPool
    private let pending = Mutex(0)
    private let check: @Sendable (_ password: String, _ hash: String) -> Bool

    /// - Parameters:
    ///   - threads: threads that run `verify`.
    ///   - maxPending: checks queued or running beyond which `verify` answers `.busy`.
    ///   - verify: the check (bcrypt; tests pass one they control). It may block its thread.
    init(
        threads: Int, maxPending: Int, verify: @escaping @Sendable (_ password: String, _ hash: String) -> Bool
    ) {
        self.maxPending = maxPending
        self.check = verify
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    /// Checks queued or running.
    var pendingCount: Int { pending.withLock { $0 } }

    /// Whether `password` matches `hash`, checked on the verifier's thread; `.busy` at once when
    /// `maxPending` checks are queued or running.
    func verify(password: String, hash: String) async -> Outcome {
        let admitted = pending.withLock { n in
            guard n < maxPending else { return false }
            n += 1
            return true
        }
        guard admitted else { return .busy }
        defer { pending.withLock { $0 -= 1 } }
        let check = self.check
        let ok = (try? await pool.runIfActive { check(password, hash) }) ?? false
        return ok ? .match : .mismatch
    }

    /// Stops the thread once queued checks ran (tests; the shared verifier is never shut down).
    func shutdown() async throws { try await pool.shutdownGracefully() }
}
