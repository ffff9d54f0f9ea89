// libFuzzer harness for the WAL (record decoder, start-up repair, writer/reader round trip).
// Built and run by `make fuzz` (scripts/fuzz.sh) with `-sanitize=fuzzer`; libFuzzer's flags
// pass straight through. `promsls-fuzz-wal --write-seeds DIR` writes the seed inputs.
import CFuzzerDriver
import Foundation
import FuzzSupport

if CommandLine.arguments.count == 3, CommandLine.arguments[1] == "--write-seeds" {
    do {
        try writeWALSeeds(to: CommandLine.arguments[2])
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("promsls-fuzz-wal: \(error)\n".utf8))
        exit(1)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzWAL(data, size)
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) })
