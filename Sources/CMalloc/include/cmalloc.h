#ifndef PROMSLS_CMALLOC_H
#define PROMSLS_CMALLOC_H

/// glibc malloc arenas a process linking this library keeps at most (set when the binary is
/// loaded, before any thread starts; MALLOC_ARENA_MAX or GLIBC_TUNABLES in the environment win).
#define PROMSLS_MALLOC_ARENAS 2

/// The malloc arenas the process has now (the heaps glibc's malloc_info lists); -1 where the C
/// library cannot say.
int promsls_malloc_arena_count(void);

#endif
