import PromModel
import TestSupport
import Testing

@testable import Scrape

/// Records exemplars next to samples.
final class ExemplarRecorder: Appender {
    var samples: [TimeSeriesSample] = []
    var exemplars: [(Labels, Exemplar)] = []
    let refs = LabelsRefTable()
    func append(_ labels: Labels, timestampMs: Int64, value: Double) throws -> SeriesRef {
        samples.append(TimeSeriesSample(labels: labels, timestampMs: timestampMs, value: value))
        return refs.ref(labels)
    }
    func append(ref: SeriesRef, timestampMs: Int64, value: Double) throws -> Bool {
        guard let labels = refs.labels(ref) else { return false }
        samples.append(TimeSeriesSample(labels: labels, timestampMs: timestampMs, value: value))
        return true
    }
    func appendExemplar(ref: SeriesRef, exemplar: Exemplar) throws { exemplars.append((refs.labels(ref)!, exemplar)) }
    func commit() async throws {}
    func rollback() {}
}

@Suite struct ScrapeExemplarTests {
    @Test func exemplarsGoToFinalLabelsOfAppendedSamplesOnly() throws {
        let sa = ScrapeAppender(
            targetLabels: Labels(["job": "demo"]), honorLabels: false, honorTimestamps: true,
            trackTimestampsStaleness: false, metricRelabel: nil, limits: ScrapeLimits())
        let body = """
            a_total 1 # {trace_id="t1"} 1 1.5
            b_total 2 # {trace_id="t2"} 2
            a_total 3 # {trace_id="dup"} 3
            # EOF

            """
        var cache = ScrapeCache()
        let rec = ExemplarRecorder()
        _ = try sa.append(body: Array(body.utf8), format: .openMetrics, timestampMs: 5000, cache: &cache, appender: rec)
        #expect(rec.samples.count == 2)
        #expect(rec.exemplars.count == 2)
        #expect(rec.exemplars[0].0 == Labels(["__name__": "a_total", "job": "demo"]))
        #expect(rec.exemplars[0].1 == Exemplar(labels: Labels(["trace_id": "t1"]), value: 1, timestampMs: 1500))
        // No timestamp of its own: the sample's.
        #expect(rec.exemplars[1].1 == Exemplar(labels: Labels(["trace_id": "t2"]), value: 2, timestampMs: 5000))
    }
}
