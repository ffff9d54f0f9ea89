import PromModel

/// A sample on its way to the endpoint, with the WAL record it came from and its place in
/// that record (for the ack).
struct QueuedSample: Sendable {
    var sample: WireSample
    var seq: UInt64
    var index: Int32 = 0
    /// Its exemplar, for an endpoint with `send_exemplars`.
    var exemplar: Exemplar? = nil
}

/// The bounded FIFO of one shard: producers (`push`) wait for space up to a deadline, the
/// shard's sender (`pop`, `waitForData`) waits for samples up to its batch deadline.
/// A lock-protected class rather than an actor: the critical sections are a few array
/// operations, cheaper than an actor hop per commit.
final class ShardQueue: @unchecked Sendable {
    private let lock = NSLockLite()
    private var items: [QueuedSample] = []
    private var head = 0
    private var closed = false
    private var spaceWaiters = WaitList()
    private var dataWaiters = WaitList()
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { lock.withLock { items.count - head } }

    /// Appends as many of `samples` as fit, waiting for space until `deadline` (nil: no
    /// limit). Returns how many were accepted (a prefix); the rest did not fit in time or
    /// the queue was closed.
    func push(_ samples: ArraySlice<QueuedSample>, deadline: ContinuousClock.Instant?) async -> Int {
        var rest = samples
        while !rest.isEmpty {
            let (n, wake): (Int?, [CheckedContinuation<Void, Never>]) = lock.withLock {
                if closed { return (nil, []) }
                let take = min(capacity - (items.count - head), rest.count)
                guard take > 0 else { return (0, []) }
                items.append(contentsOf: rest.prefix(take))
                return (take, dataWaiters.fireAll())
            }
            for c in wake { c.resume() }
            guard let n else { break }
            rest = rest.dropFirst(n)
            if rest.isEmpty || n > 0 { continue }
            if let deadline, ContinuousClock.now >= deadline { break }
            if Task.isCancelled { break }
            await wait(space: true, until: deadline)
        }
        return samples.count - rest.count
    }

    /// Moves samples into `batch` while it stays within `maxSamples` and `maxBytes` (encoded
    /// size estimate; at least one sample is always taken into an empty batch).
    /// - Returns: `full` when a limit was reached; `drained` when the queue is closed and empty.
    func pop(
        into batch: inout [QueuedSample], batchBytes: inout Int, maxSamples: Int, maxBytes: Int
    ) -> (full: Bool, closed: Bool, drained: Bool) {
        let (result, wake): ((Bool, Bool, Bool), [CheckedContinuation<Void, Never>]) = lock.withLock {
            var full = false
            var moved = 0
            while head < items.count {
                if batch.count >= maxSamples {
                    full = true
                    break
                }
                let size = WriteRequestEncoder.standaloneSize(items[head])
                if !batch.isEmpty && batchBytes + size > maxBytes {
                    full = true
                    break
                }
                batch.append(items[head])
                batchBytes += size
                head += 1
                moved += 1
            }
            if batch.count >= maxSamples { full = true }
            if head == items.count {
                items.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024 && head * 2 >= items.count {
                items.removeFirst(head)
                head = 0
            }
            let drained = closed && head == items.count
            return ((full, closed, drained), moved > 0 ? spaceWaiters.fireAll() : [])
        }
        for c in wake { c.resume() }
        return result
    }

    /// Returns when samples are queued, the queue is closed, `deadline` passes or the task
    /// is cancelled.
    func waitForData(until deadline: ContinuousClock.Instant?) async {
        await wait(space: false, until: deadline)
    }

    /// Refuses further pushes and wakes everyone; queued samples can still be popped.
    func close() {
        let wake = lock.withLock {
            closed = true
            return spaceWaiters.fireAll() + dataWaiters.fireAll()
        }
        for c in wake { c.resume() }
    }

    /// Removes and returns everything queued (for a hard stop).
    func removeAll() -> Int {
        let (n, wake) = lock.withLock {
            let n = items.count - head
            items.removeAll()
            head = 0
            return (n, spaceWaiters.fireAll())
        }
        for c in wake { c.resume() }
        return n
    }

    private func wait(space: Bool, until deadline: ContinuousClock.Instant?) async {
        let id: Int? = lock.withLock {
            let ready = closed || (space ? items.count - head < capacity : items.count > head)
            if ready { return nil }
            return space ? spaceWaiters.register() : dataWaiters.register()
        }
        guard let id else { return }
        await withTaskGroup(of: Void.self) { group in
            if let deadline {
                group.addTask {
                    do {
                        try await Task.sleep(until: deadline, clock: .continuous)
                        self.fire(space: space, id)
                    } catch {}
                }
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let now = lock.withLock { space ? spaceWaiters.park(id, c) : dataWaiters.park(id, c) }
                    if now { c.resume() }
                }
            } onCancel: {
                self.fire(space: space, id)
            }
            group.cancelAll()
        }
        lock.withLock {
            if space { spaceWaiters.remove(id) } else { dataWaiters.remove(id) }
        }
    }

    private func fire(space: Bool, _ id: Int) {
        let c = lock.withLock { space ? spaceWaiters.fire(id) : dataWaiters.fire(id) }
        c?.resume()
    }
}
