#ifndef PROMSLS_BUILD_INFO_H
#define PROMSLS_BUILD_INFO_H

/// The git revision the binary was built from (PROMSLS_REVISION at build time), or "unknown".
const char *promsls_build_revision(void);
/// The build date as YYYYMMDD-HH:MM:SS UTC (PROMSLS_BUILD_DATE at build time), or "unknown".
const char *promsls_build_date(void);

#endif
