// Shared body of the libFuzzer harnesses (promsls-fuzz-text, promsls-fuzz-om).
import Exposition
import Foundation
import PromModel

/// One libFuzzer input through a parser: `next()` to the end, every accessor touched, and
/// the parser must stay finished after the end or an error. Returns 0 (libFuzzer's contract).
public func fuzzParse(_ data: UnsafePointer<UInt8>?, _ size: Int, format: ExpositionFormat) -> CInt {
    let body = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    var parser = ExpositionParser(body: body, format: format)
    var sink = 0
    do {
        while let entry = try parser.next() {
            switch entry {
            case .series:
                let labels = parser.labels()
                sink &+= labels.count &+ parser.seriesBytes.count &+ parser.emptyLabelNames().count
                sink &+= parser.value.isNaN ? 1 : 0
                sink &+= Int(truncatingIfNeeded: parser.timestampMs ?? 0)
            case .type:
                sink &+= parser.metadataName.utf8.count &+ parser.metadataNameBytes.count
                sink &+= parser.metricType == .unknown ? 1 : 0
            case .help:
                sink &+= parser.metadataName.utf8.count &+ parser.helpText.utf8.count
                sink &+= parser.metadataTextBytes.count
            case .unit:
                sink &+= parser.metadataName.utf8.count &+ parser.unitText.utf8.count
            case .comment:
                sink &+= 1
            }
        }
    } catch {
        sink &+= error.line &+ error.column &+ error.message.utf8.count
    }
    // After the end (or an error) the parser must stay finished.
    do {
        if try parser.next() != nil { fatalError("next() returned an entry after the end or an error") }
    } catch {
        fatalError("next() threw after the end or an error: \(error)")
    }
    withExtendedLifetime(sink) {}
    return 0
}
