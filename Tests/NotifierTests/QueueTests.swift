import PromModel
import Testing

@testable import Notifier

@Suite struct AlertQueueTests {
    private func ids(_ alerts: [NotifierAlert]) -> [String] { alerts.map { $0.labels["i"] ?? "?" } }

    @Test func fullQueueDropsTheOldest() {
        var q = AlertQueue(capacity: 10)
        #expect(q.push(makeAlerts(8)) == 0)
        #expect(q.push(makeAlerts(5, from: 8)) == 3)
        #expect(q.count == 10)
        #expect(ids(q.nextBatch(max: 100)) == (3..<13).map(String.init))
        #expect(q.isEmpty)
    }

    /// A list longer than the whole queue keeps only its newest alerts (Prometheus's
    /// "Alert batch larger than queue capacity").
    @Test func listLongerThanCapacityKeepsItsNewest() {
        var q = AlertQueue(capacity: 4)
        #expect(q.push(makeAlerts(2)) == 0)
        #expect(q.push(makeAlerts(6, from: 2)) == 4)
        #expect(ids(q.nextBatch(max: 100)) == ["4", "5", "6", "7"])
    }

    @Test func batchesInArrivalOrder() {
        var q = AlertQueue(capacity: 10000)
        _ = q.push(makeAlerts(600))
        let sizes = (0..<4).map { _ in q.nextBatch(max: NotificationManager.maxBatchSize).count }
        #expect(sizes == [256, 256, 88, 0])
    }

    /// Long runs of pushes and reads, through the array's compaction, keep every alert once
    /// and in order.
    @Test func staysInOrderAcrossManyPushesAndReads() {
        var q = AlertQueue(capacity: 100_000)
        var next = 2000
        _ = q.push(makeAlerts(next))
        var got: [String] = []
        for round in 0..<120 {
            _ = q.push(makeAlerts(40 + round % 3, from: next))
            next += 40 + round % 3
            got += ids(q.nextBatch(max: 55))
        }
        got += ids(q.nextBatch(max: 100_000))
        #expect(got.count == next)
        #expect(got.elementsEqual((0..<next).map(String.init)))
        #expect(q.removeAll() == 0)
    }
}
