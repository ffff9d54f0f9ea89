// libFuzzer harness for the Prometheus text 0.0.4 parser. Built and run by `make fuzz`
// (scripts/fuzz.sh) with `-sanitize=fuzzer`; libFuzzer's flags pass straight through.
import CFuzzerDriver
import Exposition
import Foundation
import PromModel

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let body = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    var parser = ExpositionParser(body: body, format: .prometheusText)
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

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) })
