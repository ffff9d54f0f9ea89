// libFuzzer harness for the config loader (any bytes as prometheus.yml). Built and run by
// `make fuzz` (scripts/fuzz.sh) with `-sanitize=fuzzer`; libFuzzer's flags pass straight through.
import CFuzzerDriver
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzConfig(data, size)
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) })
