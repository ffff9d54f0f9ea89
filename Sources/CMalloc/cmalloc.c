#include "cmalloc.h"

#if defined(__GLIBC__)
#include <malloc.h>
int promsls_malloc_arena_max(int n) { return mallopt(M_ARENA_MAX, n); }
#else
int promsls_malloc_arena_max(int n) { (void)n; return 0; }
#endif
