import PromModel

/// A value behind a lock, for state the send loop, the discovery updates and the rule engine
/// share (critical sections are short and never await).
// Unchecked: `value` is reached only through `withLock`; Value need not be Sendable, so
// `Mutex` (which the compiler checks) would not take every use.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLockLite()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        try lock.withLock { try body(&value) }
    }
}
