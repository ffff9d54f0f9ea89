// Values baked in by the Makefile through the environment that Package.swift reads
// (PROMSLS_REVISION, PROMSLS_BUILD_DATE). Only this file is compiled with them, so a new
// revision recompiles one C file and relinks the executable, nothing else.
#include "build_info.h"

#ifndef PROMSLS_REVISION
#define PROMSLS_REVISION "unknown"
#endif
#ifndef PROMSLS_BUILD_DATE
#define PROMSLS_BUILD_DATE "unknown"
#endif

const char *promsls_build_revision(void) { return PROMSLS_REVISION; }
const char *promsls_build_date(void) { return PROMSLS_BUILD_DATE; }
