import Testing

@testable import Scrape

@Suite struct ScrapeFailureReasonTests {
    /// The `reason` label values of `promsls_target_scrape_failures_total` as dashboards match
    /// them: renaming a case must not change its label.
    @Test func labelsAreTheStableStrings() {
        #expect(
            ScrapeFailureReason.allCases.map(\.label) == [
                "timeout", "connection", "http_status", "body_size_limit", "target_limit", "parse",
                "sample_limit", "label_limit", "label_name_length_limit", "label_value_length_limit", "append",
            ])
        #expect(
            ScrapeFailureReason.allCases.filter(\.isLabelLimit) == [
                .labelLimit, .labelNameLengthLimit, .labelValueLengthLimit,
            ])
    }
}
