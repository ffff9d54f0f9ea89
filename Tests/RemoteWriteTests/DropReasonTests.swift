import Testing

@testable import RemoteWrite

@Suite struct DropReasonTests {
    /// `prometheus_remote_storage_samples_dropped_total`'s `reason` values, as Prometheus's
    /// agent dashboards match them.
    @Test func labelsAreTheStableStrings() {
        #expect(
            QueueMetrics.DropReason.allCases.map(\.label) == [
                "dropped_series", "too_old", "retention", "unintentionally_dropped",
            ])
    }
}
