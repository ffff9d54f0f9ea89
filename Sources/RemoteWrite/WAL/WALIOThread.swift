import NIOPosix
import PromModel

/// The WAL's own thread for blocking file I/O: commits (`write(2)`, and `fsync` with
/// `--storage.agent.wal-fsync=always`), interval fsyncs, reads, position saves and segment
/// housekeeping run here, one job at a time in submission order, so a slow disk stalls WAL
/// work only — never a thread of Swift's cooperative pool, which scraping, sending and the
/// web server share. A task awaiting a job is suspended, not blocked.
///
/// Bounded: at most `capacity` jobs are queued or running; a task submitting beyond that
/// waits (suspended, in order) for a slot. The thread starts with the first job and stops
/// when the WAL is released.
// @unchecked: every stored `var` is read and written under `lock` only; the compiler cannot see a lock discipline.
final class WALIOThread: @unchecked Sendable {
    /// Jobs queued or running at most (scrape loops × remote storages commit at once, plus
    /// one read per endpoint and the maintenance loop: far below this in practice).
    static let capacity = 256

    private let pool = NIOThreadPool(numberOfThreads: 1)
    // Guards `started`, `inFlight` and `waiting` (held for a few instructions, never across I/O).
    private let lock = NSLockLite()
    private var started = false
    private var inFlight = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init() {}

    deinit {
        if started { pool.shutdownGracefully { _ in } }
    }

    /// Runs `body` on the I/O thread and returns its result; the calling task is suspended
    /// until then. Not cancellable: a job once submitted runs (a commit is written whole
    /// or not at all, as it was on the caller's thread).
    /// - Throws: what `body` throws; `WALIOError` (EBADF) if the thread has been shut down.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let mustWait = lock.withLock { () -> Bool in
            if !started {
                started = true
                pool.start()
            }
            guard inFlight < Self.capacity else { return true }
            inFlight += 1
            return false
        }
        if mustWait {
            // A finishing job hands its slot over (see `release`).
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let handedOver = lock.withLock { () -> Bool in
                    if inFlight < Self.capacity {
                        inFlight += 1
                        return true
                    }
                    waiting.append(c)
                    return false
                }
                if handedOver { c.resume() }
            }
        }
        return try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
            pool.submit { state in
                switch state {
                case .active: c.resume(with: Result(catching: body))
                case .cancelled: c.resume(throwing: WALIOError(op: "submit", path: "WAL I/O thread stopped", errno: 9))
                }
                self.release()
            }
        }
    }

    /// Frees a job's slot, or hands it to the longest-waiting submitter.
    private func release() {
        let next = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            if waiting.isEmpty {
                inFlight -= 1
                return nil
            }
            return waiting.removeFirst()
        }
        next?.resume()
    }
}
