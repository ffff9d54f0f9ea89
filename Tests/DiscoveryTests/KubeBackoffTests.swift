import Testing

@testable import Discovery

/// The wait between failed Kubernetes LIST/WATCH attempts (docs/differences.md: 1 s doubling to
/// 30 s), and when it starts again from 1 s.
struct KubeBackoffTests {
    @Test func doublesUpToTheMaximumWhileNothingWorks() {
        var b = KubeBackoff(initial: .seconds(1), max: .seconds(30))
        let waits = (0..<8).map { _ in b.failed(events: 0, ran: .milliseconds(20)) }
        #expect(waits == [1, 2, 4, 8, 16, 30, 30, 30].map { Duration.seconds($0) })
    }

    /// A new user's trial: the API server went down twice. The watch came back after the first
    /// outage and delivered events, then broke again: the second outage waited 16 s, the delay
    /// the first outage had reached, before this was fixed.
    @Test func aWatchThatDeliveredEventsStartsAgainFromTheInitialDelay() {
        var b = KubeBackoff(initial: .seconds(1), max: .seconds(30))
        for _ in 0..<5 { _ = b.failed(events: 0, ran: .milliseconds(20)) }
        #expect(b.delay == .seconds(30))
        #expect(b.failed(events: 3, ran: .seconds(2)) == .seconds(1))
        #expect(b.failed(events: 0, ran: .milliseconds(20)) == .seconds(2))
    }

    @Test func aQuietWatchThatRanAWhileCountsAsProgress() {
        var b = KubeBackoff(initial: .seconds(1), max: .seconds(30))
        for _ in 0..<3 { _ = b.failed(events: 0, ran: .zero) }
        #expect(b.failed(events: 0, ran: .seconds(29)) == .seconds(8))
        #expect(b.failed(events: 0, ran: .seconds(30)) == .seconds(1))
    }

    @Test func aCleanEndResetsTheDelay() {
        var b = KubeBackoff(initial: .milliseconds(100), max: .seconds(5))
        for _ in 0..<4 { _ = b.failed(events: 0, ran: .zero) }
        #expect(b.delay == .milliseconds(1600))
        b.succeeded()
        #expect(b.failed(events: 0, ran: .zero) == .milliseconds(100))
    }
}
