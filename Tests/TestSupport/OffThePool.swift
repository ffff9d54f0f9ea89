// Integration tests block: they wait for child processes (`Child.stop`, `runToCompletion`),
// run openssl, chromium and bcrypt, and read files. On Swift's cooperative pool (one thread per
// core, two here) two such waits stop every other test in the process, including the in-process
// receivers and targets a waiting child talks to; a child shutting down towards an in-process
// receiver then never finishes and the whole run stalls (seen as ~15–50 s stalls and unrelated
// timeouts on 2-core machines). `.offThePool` runs a test's body on threads of its own.

import Foundation
import Testing

/// A task executor that runs each job on a thread outside Swift's cooperative pool, starting a
/// new thread whenever none is idle, so a job that blocks holds up only itself.
public final class ThreadPerJobExecutor: TaskExecutor, @unchecked Sendable {
    public static let shared = ThreadPerJobExecutor()

    /// A parked thread waiting for its next job.
    private final class Worker: @unchecked Sendable {
        let wake = DispatchSemaphore(value: 0)
        var job: UnownedJob?
    }

    private let lock = NSLock()
    private var idle: [Worker] = []

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        lock.lock()
        if let worker = idle.popLast() {
            lock.unlock()
            worker.job = job
            worker.wake.signal()
            return
        }
        lock.unlock()
        let worker = Worker()
        worker.job = job
        let thread = Thread { [self] in self.run(worker) }
        thread.name = "test-blocking"
        thread.start()
    }

    private func run(_ worker: Worker) {
        let me = asUnownedTaskExecutor()
        while true {
            if let job = worker.job {
                worker.job = nil
                job.runSynchronously(on: me)
            }
            lock.lock()
            idle.append(worker)
            lock.unlock()
            worker.wake.wait()
        }
    }
}

/// Runs each test of the suite (or the one test) with `ThreadPerJobExecutor` as its task
/// executor preference, so its blocking waits do not starve the cooperative pool.
public struct OffThePool: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(ThreadPerJobExecutor.shared) { try await function() }
    }
}

extension Trait where Self == OffThePool {
    /// The test may block its thread (child processes, openssl, chromium, file I/O).
    public static var offThePool: Self { OffThePool() }
}
