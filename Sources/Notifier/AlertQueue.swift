/// The notification queue (Prometheus `Manager.queue`): bounded, oldest alerts dropped first
/// when full, read in batches. A plain struct; the manager holds it behind its lock.
struct AlertQueue {
    /// At most this many alerts wait (`--alertmanager.notification-queue-capacity`).
    let capacity: Int
    private var alerts: [NotifierAlert] = []
    /// Index of the oldest alert still queued; the array is compacted when half of it is read.
    private var head = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { alerts.count - head }
    var isEmpty: Bool { count == 0 }

    /// Appends `new`. When they do not fit, the oldest alerts go first — the queued ones, then
    /// (for a list longer than the whole queue) the oldest of `new` — as Prometheus's `Send`.
    /// - Returns: how many alerts were dropped.
    mutating func push(_ new: [NotifierAlert]) -> Int {
        var dropped = 0
        var incoming = new[...]
        if incoming.count > capacity {
            dropped += incoming.count - capacity
            incoming = incoming.suffix(capacity)
        }
        let overflow = count + incoming.count - capacity
        if overflow > 0 {
            head += overflow
            dropped += overflow
        }
        alerts.append(contentsOf: incoming)
        compactIfNeeded()
        return dropped
    }

    /// Takes up to `max` of the oldest alerts (Prometheus `nextBatch`); empty when none wait.
    mutating func nextBatch(max: Int) -> [NotifierAlert] {
        let n = Swift.min(max, count)
        guard n > 0 else { return [] }
        let batch = Array(alerts[head..<head + n])
        head += n
        compactIfNeeded()
        return batch
    }

    /// Empties the queue. - Returns: how many alerts it held.
    mutating func removeAll() -> Int {
        let n = count
        alerts = []
        head = 0
        return n
    }

    private mutating func compactIfNeeded() {
        if head == alerts.count {
            alerts.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024 && head * 2 > alerts.count {
            alerts.removeFirst(head)
            head = 0
        }
    }
}
