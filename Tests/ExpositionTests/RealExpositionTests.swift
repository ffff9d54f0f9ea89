import Exposition
import PromModel
import Testing

@Suite struct RealExpositionTests {
    @Test(arguments: try Fixtures.realFiles())
    func realBodyParsesAndRoundTrips(_ file: String) throws {
        let body = try Fixtures.bytes("real/\(file)")
        let parsed = try parseExposition(body, format: .prometheusText)

        // Every non-blank, non-comment line is one series.
        let sampleLines = String(decoding: body, as: UTF8.self).split(separator: "\n").filter {
            let t = $0.drop { $0 == " " || $0 == "\t" }
            return !t.isEmpty && !t.hasPrefix("#")
        }
        #expect(parsed.samples.count == sampleLines.count)
        #expect(parsed.samples.count > 100)
        #expect(parsed.samples.allSatisfy { $0.labels.name?.isEmpty == false })

        // Parse → render as text 0.0.4 → parse gives the same samples.
        let rendered = renderText(samples: parsed.samples)
        let again = try parseExposition(Array(rendered.utf8), format: .prometheusText)
        #expect(again.samples == parsed.samples)

        // The streaming API agrees with the convenience function, and seriesBytes is the
        // `name{labels}` prefix of the line.
        var p = ExpositionParser(body: body, format: .prometheusText)
        var n = 0
        while let e = try p.next() {
            guard e == .series else { continue }
            let series = String(decoding: p.seriesBytes, as: UTF8.self)
            #expect(series.hasPrefix(p.labels().name ?? "?"))
            #expect(!series.hasSuffix(" "))
            n += 1
        }
        #expect(n == parsed.samples.count)
    }

    @Test func nodeExporterMetadata() throws {
        let parsed = try parseExposition(try Fixtures.bytes("real/node_exporter-1.5.0.prom"), format: .prometheusText)
        let byName = Dictionary(parsed.metadata.map { ($0.familyName, $0) }, uniquingKeysWith: { $1 })
        #expect(byName["go_gc_duration_seconds"]?.type == .summary)
        #expect(byName["go_goroutines"]?.type == .gauge)
        #expect(byName["go_goroutines"]?.help.isEmpty == false)
    }

    @Test func victoriaMetricsSummariesKeepQuantiles() throws {
        let parsed = try parseExposition(
            try Fixtures.bytes("real/victoria-metrics-1.79.5.prom"), format: .prometheusText)
        #expect(parsed.samples.contains { $0.labels["quantile"] != nil })
    }

    /// Mutated real bodies must never crash the parser, in either format (no timing here).
    @Test func mutatedBodiesNeverCrash() throws {
        let seedBody = try Fixtures.bytes("real/node_exporter-1.5.0.prom")
        var rng = SplitMix64(seed: 42)
        let interesting: [UInt8] = Array("{}\",=\\ \t\n#0.eE+-_pxNI\r".utf8) + [0x00, 0xFF, 0xC3, 0x80]
        for _ in 0..<300 {
            let start = Int(rng.next() % UInt64(seedBody.count))
            var body = Array(seedBody[start..<min(seedBody.count, start + 400)])
            for _ in 0..<4 where !body.isEmpty {
                let i = Int(rng.next() % UInt64(body.count))
                switch rng.next() % 3 {
                case 0: body[i] = interesting[Int(rng.next() % UInt64(interesting.count))]
                case 1: body.remove(at: i)
                default: body.insert(interesting[Int(rng.next() % UInt64(interesting.count))], at: i)
                }
            }
            for format in [ExpositionFormat.prometheusText, .openMetrics] {
                var p = ExpositionParser(body: body, format: format)
                do {
                    while let e = try p.next() {
                        switch e {
                        case .series: _ = (p.labels(), p.value, p.timestampMs, p.seriesBytes)
                        case .help: _ = (p.metadataName, p.helpText)
                        case .type: _ = (p.metadataName, p.metricType)
                        case .unit: _ = (p.metadataName, p.unitText)
                        case .comment: break
                        }
                    }
                } catch {
                    #expect(error.line >= 1 && error.column >= 1)
                }
            }
        }
    }
}
