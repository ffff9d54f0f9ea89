#ifndef PROMSLS_FUZZER_DRIVER_H
#define PROMSLS_FUZZER_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's entry point for programs that keep their own `main` (SwiftPM executables do).
/// Defined by libclang_rt.fuzzer when built with `-sanitize=fuzzer`; otherwise by the weak
/// fallback in fuzzer_driver.c, which only reports that the binary is not a fuzzer.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
