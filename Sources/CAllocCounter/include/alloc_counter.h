// Counts heap allocations of the benchmark process (glibc symbol interposition: the
// executable's malloc/calloc/realloc win over libc's and forward to __libc_*).
#ifndef PROMSLS_ALLOC_COUNTER_H
#define PROMSLS_ALLOC_COUNTER_H
#include <stdint.h>
/// Number of malloc/calloc/realloc calls since the process started.
uint64_t promsls_alloc_count(void);
#include <stddef.h>
/// Heap bytes in use (glibc mallinfo2).
size_t promsls_heap_in_use(void);
#endif
