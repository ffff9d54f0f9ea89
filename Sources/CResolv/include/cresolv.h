#ifndef PROMSLS_CRESOLV_H
#define PROMSLS_CRESOLV_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One answer record of a DNS query, already decoded.
typedef struct {
    /// ns_t_a (1), ns_t_ns (2), ns_t_mx (15), ns_t_aaaa (28) or ns_t_srv (33).
    int type;
    uint16_t priority;
    uint16_t weight;
    uint16_t port;
    /// SRV/MX/NS target name (uncompressed, no trailing dot), or the A/AAAA address text.
    char target[1025];
} cresolv_record;

/// Outcome codes of `cresolv_query`.
enum {
    CRESOLV_OK = 0,
    /// The name does not exist (NXDOMAIN) or has no records of the type (NODATA).
    CRESOLV_NOT_FOUND = 1,
    /// Server failure, refusal or timeout: worth retrying later.
    CRESOLV_TRY_AGAIN = 2,
    /// The answer could not be parsed, or the resolver could not be initialised.
    CRESOLV_ERROR = 3
};

/// Queries `name` for records of `type` (class IN) with libresolv (`res_nsearch`, so the
/// search list of resolv.conf applies), on a private resolver state.
///
/// - Parameters:
///   - nameserver: an IPv4 or IPv6 address to ask instead of resolv.conf's servers, or NULL.
///   - port: the nameserver's port (with `nameserver`), e.g. 53.
///   - timeout_seconds: per-try timeout; `attempts` tries.
///   - out: room for `max` records; `*count` receives how many were written.
///   - message: a short error text on failure (at least 256 bytes).
/// - Returns: a `CRESOLV_*` code.
int cresolv_query(const char *name, int type, const char *nameserver, int port, int timeout_seconds, int attempts,
                  cresolv_record *out, int max, int *count, char *message, int message_len);

#ifdef __cplusplus
}
#endif

#endif
