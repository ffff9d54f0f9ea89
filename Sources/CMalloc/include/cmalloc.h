#ifndef PROMSLS_CMALLOC_H
#define PROMSLS_CMALLOC_H

/// Caps glibc's malloc arenas at `n` (mallopt(M_ARENA_MAX, n)). Returns 1 on success, 0 where
/// the C library has no such setting.
int promsls_malloc_arena_max(int n);

#endif
