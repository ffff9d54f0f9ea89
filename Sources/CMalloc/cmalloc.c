#include "cmalloc.h"

#include <stdio.h>
#include <stdlib.h>  /* first: it defines __GLIBC__ (the check below was always false without it) */
#include <string.h>

#if defined(__GLIBC__)
#include <malloc.h>

/* Runs when the binary is loaded, before main and before any thread of the Swift runtime, NIO
   or Dispatch exists: glibc gives a thread an arena of its own at its first allocation (up to
   8 per core), and a cap set later leaves the arenas already made in place. Until 2026-12-04
   the cap was never applied at all (__GLIBC__ was tested before any libc header defined it):
   the agent ran 8 arenas at 10k series, 10.0 MB taken from the system for 7.0 MB in use
   (malloc_stats). MALLOC_ARENA_MAX or a glibc.malloc.arena_max tunable in the environment
   wins (glibc reads them itself). */
__attribute__((constructor)) static void promsls_malloc_defaults(void) {
    if (getenv("MALLOC_ARENA_MAX") != NULL) return;
    const char *tunables = getenv("GLIBC_TUNABLES");
    if (tunables != NULL && strstr(tunables, "glibc.malloc.arena_max") != NULL) return;
    mallopt(M_ARENA_MAX, PROMSLS_MALLOC_ARENAS);
}

int promsls_malloc_arena_count(void) {
    char *text = NULL;
    size_t length = 0;
    FILE *f = open_memstream(&text, &length);
    if (f == NULL) return -1;
    malloc_info(0, f);
    fclose(f);
    int n = 0;
    for (const char *p = text; p != NULL && (p = strstr(p, "<heap nr=")) != NULL; p++) n++;
    free(text);
    return n;
}
#else
int promsls_malloc_arena_count(void) { return -1; }
#endif
