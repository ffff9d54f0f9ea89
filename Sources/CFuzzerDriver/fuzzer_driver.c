#include "fuzzer_driver.h"

#include <stdio.h>

// Lets a plain `swift build` (no -sanitize=fuzzer) link the harness executables. With
// -sanitize=fuzzer, libFuzzer's strong definition replaces this one.
__attribute__((weak)) int LLVMFuzzerRunDriver(int *argc, char ***argv,
                                              int (*callback)(const uint8_t *, size_t)) {
    (void)argc;
    (void)argv;
    (void)callback;
    fprintf(stderr, "not built with -sanitize=fuzzer: use `make fuzz` (scripts/fuzz.sh)\n");
    return 2;
}
