import PromModel
import Synchronization

/// A sample on its way to the endpoint, with the WAL record it came from and its place in
/// that record (for the ack).
struct QueuedSample: Sendable {
    var sample: WireSample
    var seq: UInt64
    var index: Int32 = 0
    /// Its exemplar, for an endpoint with `send_exemplars`.
    var exemplar: Exemplar? = nil
}

/// The bounded FIFO of one shard: the reader (`push`) waits for space, the shard's sender
/// (`pop`, `waitForData`) waits for samples up to its batch deadline. Both waits end on
/// cancellation. A `Mutex` rather than an actor: the critical sections are a few array
/// operations, cheaper than an actor hop per commit.
final class ShardQueue: Sendable {
    private struct Buffer {
        var items: [QueuedSample] = []
        var head = 0
        var closed = false
        var spaceWaiters = WaitList()
        var dataWaiters = WaitList()
        var count: Int { items.count - head }
    }

    private let buffer = Mutex(Buffer())
    private let clock: QueueClock
    let capacity: Int

    init(capacity: Int, clock: QueueClock) {
        self.capacity = max(1, capacity)
        self.clock = clock
    }

    var count: Int { buffer.withLock { $0.count } }

    /// Appends all of `samples`, waiting for space (backpressure). Returns how many were
    /// accepted (a prefix): fewer only when the queue was closed or the task cancelled.
    func push(_ samples: ArraySlice<QueuedSample>) async -> Int {
        var rest = samples
        while !rest.isEmpty {
            let (n, wake): (Int?, [CheckedContinuation<Void, Never>]) = buffer.withLock { b in
                if b.closed { return (nil, []) }
                let take = min(capacity - b.count, rest.count)
                guard take > 0 else { return (0, []) }
                b.items.append(contentsOf: rest.prefix(take))
                return (take, b.dataWaiters.fireAll())
            }
            for c in wake { c.resume() }
            guard let n else { break }
            rest = rest.dropFirst(n)
            if rest.isEmpty || n > 0 { continue }
            if Task.isCancelled { break }
            await wait(space: true, until: nil)
        }
        return samples.count - rest.count
    }

    /// Moves samples into `batch` while it stays within `maxSamples` and `maxBytes` (encoded
    /// size estimate; at least one sample is always taken into an empty batch).
    /// - Returns: `full` when a limit was reached; `drained` when the queue is closed and empty.
    func pop(
        into batch: inout [QueuedSample], batchBytes: inout Int, maxSamples: Int, maxBytes: Int
    ) -> (full: Bool, closed: Bool, drained: Bool) {
        let (result, wake): ((Bool, Bool, Bool), [CheckedContinuation<Void, Never>]) = buffer.withLock { b in
            var full = false
            var moved = 0
            while b.head < b.items.count {
                if batch.count >= maxSamples {
                    full = true
                    break
                }
                let size = WriteRequestEncoder.standaloneSize(b.items[b.head])
                if !batch.isEmpty && batchBytes + size > maxBytes {
                    full = true
                    break
                }
                batch.append(b.items[b.head])
                batchBytes += size
                b.head += 1
                moved += 1
            }
            if batch.count >= maxSamples { full = true }
            if b.head == b.items.count {
                b.items.removeAll(keepingCapacity: true)
                b.head = 0
            } else if b.head >= 1024 && b.head * 2 >= b.items.count {
                b.items.removeFirst(b.head)
                b.head = 0
            }
            let drained = b.closed && b.head == b.items.count
            return ((full, b.closed, drained), moved > 0 ? b.spaceWaiters.fireAll() : [])
        }
        for c in wake { c.resume() }
        return result
    }

    /// Returns when samples are queued, the queue is closed, `deadline` (on the queue's
    /// clock) passes or the task is cancelled.
    func waitForData(until deadline: Duration?) async {
        await wait(space: false, until: deadline)
    }

    /// Refuses further pushes and wakes everyone; queued samples can still be popped.
    func close() {
        let wake = buffer.withLock { b in
            b.closed = true
            return b.spaceWaiters.fireAll() + b.dataWaiters.fireAll()
        }
        for c in wake { c.resume() }
    }

    /// Removes everything queued (for a hard stop); returns how many samples that was.
    func removeAll() -> Int {
        let (n, wake) = buffer.withLock { b in
            let n = b.count
            b.items.removeAll()
            b.head = 0
            return (n, b.spaceWaiters.fireAll())
        }
        for c in wake { c.resume() }
        return n
    }

    private func wait(space: Bool, until deadline: Duration?) async {
        let id: Int? = buffer.withLock { b in
            let ready = b.closed || (space ? b.count < capacity : b.count > 0)
            if ready { return nil }
            return space ? b.spaceWaiters.register() : b.dataWaiters.register()
        }
        guard let id else { return }
        await withTaskGroup(of: Void.self) { group in
            if let deadline {
                group.addTask { [clock] in
                    do {
                        try await clock.sleepUntil(deadline)
                        self.fire(space: space, id)
                    } catch {}
                }
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let now = buffer.withLock { b in space ? b.spaceWaiters.park(id, c) : b.dataWaiters.park(id, c) }
                    if now { c.resume() }
                }
            } onCancel: {
                self.fire(space: space, id)
            }
            group.cancelAll()
        }
        buffer.withLock { b in
            if space { b.spaceWaiters.remove(id) } else { b.dataWaiters.remove(id) }
        }
    }

    private func fire(space: Bool, _ id: Int) {
        let c = buffer.withLock { b in space ? b.spaceWaiters.fire(id) : b.dataWaiters.fire(id) }
        c?.resume()
    }
}
