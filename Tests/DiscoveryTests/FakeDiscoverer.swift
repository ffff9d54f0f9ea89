import TestSupport

@testable import Discovery

/// A discoverer that sends what the test gives it: its initial groups at start (unless nil),
/// then every `send(_:)`. Each delivery to the manager is recorded in `delivered` once the
/// manager has taken it, so a test can wait for it instead of polling.
final class FakeDiscoverer: Discoverer {
    let initial: [TargetGroup]?
    let delivered = EventLog<[TargetGroup]>()
    private let updates: AsyncStream<[TargetGroup]>
    private let next: AsyncStream<[TargetGroup]>.Continuation

    init(_ initial: [TargetGroup]?) {
        self.initial = initial
        (updates, next) = AsyncStream.makeStream(of: [TargetGroup].self)
    }

    /// Sends `groups` to the manager (from the discoverer's own task).
    func send(_ groups: [TargetGroup]) { next.yield(groups) }

    func run(send: @escaping @Sendable ([TargetGroup]) async -> Void) async {
        if let initial {
            await send(initial)
            delivered.append(initial)
        }
        for await groups in updates {
            await send(groups)
            delivered.append(groups)
        }
    }
}
