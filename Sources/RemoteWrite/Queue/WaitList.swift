/// Tasks parked until an event, each with an id so a timer or a cancellation can wake one.
/// Kept inside the owner's lock; continuations are returned to be resumed outside it.
///
/// An entry is registered (`pending`) before the task parks, so a wake-up that comes between
/// registering and parking is not lost (`fired`).
struct WaitList {
    private enum Entry {
        case pending
        case fired
        case waiting(CheckedContinuation<Void, Never>)
    }

    private var entries: [Int: Entry] = [:]
    private var nextID = 0

    var isEmpty: Bool { entries.isEmpty }

    mutating func register() -> Int {
        nextID &+= 1
        entries[nextID] = .pending
        return nextID
    }

    /// Parks `c` under `id`; returns true when it must be resumed at once (already fired).
    mutating func park(_ id: Int, _ c: CheckedContinuation<Void, Never>) -> Bool {
        switch entries[id] {
        case .pending:
            entries[id] = .waiting(c)
            return false
        case .fired, .waiting, nil:
            entries[id] = nil
            return true
        }
    }

    /// Wakes one waiter (timeout, cancellation).
    mutating func fire(_ id: Int) -> CheckedContinuation<Void, Never>? {
        switch entries[id] {
        case .pending:
            entries[id] = .fired
            return nil
        case .waiting(let c):
            entries[id] = nil
            return c
        case .fired, nil:
            return nil
        }
    }

    /// Wakes everyone (the awaited condition may now hold).
    mutating func fireAll() -> [CheckedContinuation<Void, Never>] {
        guard !entries.isEmpty else { return [] }
        var out: [CheckedContinuation<Void, Never>] = []
        for (id, e) in entries {
            switch e {
            case .pending: entries[id] = .fired
            case .waiting(let c):
                entries[id] = nil
                out.append(c)
            case .fired: break
            }
        }
        return out
    }

    mutating func remove(_ id: Int) { entries[id] = nil }
}
