import PromModel

/// A version counter tasks can wait on: `bump()` wakes every task waiting for a version
/// other than the one it saw. Used by the WAL to wake its readers on append, and to wake a
/// reader for a stop or a reshard. Spurious wake-ups are allowed.
// @unchecked: every stored `var` is read and written under `lock` only; the compiler cannot see a lock discipline.
final class ChangeSignal: @unchecked Sendable {
    private let lock = NSLockLite()
    private var version: UInt64 = 0
    private var waiters = WaitList()

    var current: UInt64 { lock.withLock { version } }

    func bump() {
        let wake = lock.withLock {
            version &+= 1
            return waiters.fireAll()
        }
        for c in wake { c.resume() }
    }

    /// Returns when the version differs from `seen`, at `deadline`, or on cancellation.
    func wait(seen: UInt64, until deadline: ContinuousClock.Instant?) async {
        await wait(seen: seen, until: deadline, clock: ContinuousClock())
    }

    /// Returns when the version differs from `seen`, at `deadline` on `clock`, or on
    /// cancellation.
    func wait<C: Clock>(seen: UInt64, until deadline: C.Instant?, clock: C) async {
        let id: Int? = lock.withLock { version != seen ? nil : waiters.register() }
        guard let id else { return }
        await withTaskGroup(of: Void.self) { group in
            if let deadline {
                group.addTask {
                    do {
                        try await clock.sleep(until: deadline, tolerance: nil)
                        self.fire(id)
                    } catch {}
                }
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    if lock.withLock({ waiters.park(id, c) }) { c.resume() }
                }
            } onCancel: {
                self.fire(id)
            }
            group.cancelAll()
        }
        lock.withLock { waiters.remove(id) }
    }

    private func fire(_ id: Int) {
        let c = lock.withLock { waiters.fire(id) }
        c?.resume()
    }
}
