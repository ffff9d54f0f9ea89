import PromModel
import Testing

@testable import Exposition
@testable import Scrape

/// Issue 12: bodies built to hurt — one series with 100,000 label names, a body that takes
/// longer to parse than the scrape may last.
@Suite struct HostileBodyTests {
    static func appender() -> ScrapeAppender {
        ScrapeAppender(
            targetLabels: Labels(["instance": "t:1", "job": "hostile"]), honorLabels: false, honorTimestamps: true,
            trackTimestampsStaleness: false, metricRelabel: nil, limits: ScrapeLimits())
    }

    // Names written in reverse order: the insertion sort the parser used cost n²/2 swaps
    // (28.9 s of CPU for this line in the agent). The label set comes out sorted and complete.
    @Test(.timeLimit(.minutes(1))) func oneSeriesWith100kLabelNamesIsSortedAndKept() throws {
        let n = 100_000
        let labels = (0..<n).reversed().map { "l\(String($0, radix: 36))=\"v\($0)\"" }.joined(separator: ",")
        let body = Array("wide{\(labels)} 1\n".utf8)
        var cache = ScrapeCache()
        let rec = ExemplarRecorder()
        let stats = try Self.appender().append(
            body: body, format: .prometheusText, timestampMs: 1000, cache: &cache, appender: rec)
        #expect(stats.scraped == 1)
        #expect(rec.samples.count == 1)
        let got = rec.samples[0].labels
        #expect(got.count == n + 3)  // + __name__, instance, job
        #expect(zip(got.dropFirst(), got).allSatisfy { $0.1.name.utf8.lexicographicallyPrecedes($0.0.name.utf8) })
        #expect(got["l0"] == "v0")
        #expect(got["l\(String(n - 1, radix: 36))"] == "v\(n - 1)")
    }

    // Many equal names (a hostile body repeats one): the sort keeps their written order, as
    // the insertion sort did for small sets.
    @Test func sortKeepsTheWrittenOrderOfEqualNames() {
        var list = (0..<40).map { Label($0 % 2 == 0 ? "b" : "a", "\($0)") }
        sortLabelsByName(&list)
        #expect(list.prefix(20).map(\.value) == stride(from: 1, to: 40, by: 2).map { "\($0)" })
        #expect(list.suffix(20).map(\.value) == stride(from: 0, to: 40, by: 2).map { "\($0)" })
    }

    // Duplicate label names on a wide line are found without comparing every pair, and the
    // error names the same label the pairwise check names: the earliest one written again.
    @Test(arguments: [4, 40, 30_000])
    func duplicateLabelNamesOnAWideLineNameTheFirstRepeatedLabel(width: Int) {
        var names = (0..<width).map { "n\($0)" }
        names[width - 1] = "n2"  // n2 repeated last
        names[width / 2] = "n1"  // n1 repeated in the middle: n1 comes first in the line
        let line = "m{" + names.map { "\($0)=\"v\"" }.joined(separator: ",") + "} 1\n"
        var parser = ExpositionParser(body: Array(line.utf8), format: .prometheusText)
        #expect(throws: ExpositionError.self) { _ = try parser.next() }
        var again = ExpositionParser(body: Array(line.utf8), format: .prometheusText)
        do {
            _ = try again.next()
        } catch {
            #expect(error.description.contains(#"label name "n1" is not unique"#), "\(error.description)")
        }
    }

    // The deadline is asked every 1,024 entries; once past it the scrape stops there with
    // Prometheus's "context deadline exceeded", counting what it parsed.
    @Test func parsingStopsAtTheDeadline() throws {
        let body = Array((0..<10_000).map { "s\($0) \($0)\n" }.joined().utf8)
        var cache = ScrapeCache()
        let rec = ExemplarRecorder()
        var asked = 0
        let error = #expect(throws: ScrapeAppendError.self) {
            _ = try Self.appender().append(
                body: body, format: .prometheusText, timestampMs: 1000, cache: &cache, appender: rec,
                pastDeadline: {
                    asked += 1
                    return asked == 3
                })
        }
        #expect(error?.reason == .timeout)
        #expect(error?.description.hasPrefix("context deadline exceeded") == true)
        #expect(error?.partial.scraped == 3 * ScrapeAppender.deadlineCheckEntries - 1)
        #expect(asked == 3)
    }

    @Test func aBodyParsedInTimeIsNotCut() throws {
        let body = Array((0..<5_000).map { "s\($0) \($0)\n" }.joined().utf8)
        var cache = ScrapeCache()
        let rec = ExemplarRecorder()
        var asked = 0
        let stats = try Self.appender().append(
            body: body, format: .prometheusText, timestampMs: 1000, cache: &cache, appender: rec,
            pastDeadline: {
                asked += 1
                return false
            })
        #expect(stats.scraped == 5_000)
        #expect(asked == 5_000 / ScrapeAppender.deadlineCheckEntries)
    }
}
