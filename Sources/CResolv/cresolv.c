#define _GNU_SOURCE
#include "cresolv.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int set_nameserver(res_state st, const char *nameserver, int port) {
    struct in_addr a4;
    struct in6_addr a6;
    int is4 = inet_pton(AF_INET, nameserver, &a4) == 1;
    int is6 = !is4 && inet_pton(AF_INET6, nameserver, &a6) == 1;
    if (!is4 && !is6) return -1;
    // glibc keeps IPv6 servers in _u._ext.nsaddrs (heap, freed by res_nclose) and prefers
    // them to nsaddr_list: drop whatever resolv.conf put there.
    for (int i = 0; i < MAXNS; i++) {
        if (st->_u._ext.nsaddrs[i] != NULL) {
            free(st->_u._ext.nsaddrs[i]);
            st->_u._ext.nsaddrs[i] = NULL;
        }
    }
    memset(&st->nsaddr_list[0], 0, sizeof(st->nsaddr_list[0]));
    if (is4) {
        st->nsaddr_list[0].sin_family = AF_INET;
        st->nsaddr_list[0].sin_port = htons((uint16_t)port);
        st->nsaddr_list[0].sin_addr = a4;
    } else {
        struct sockaddr_in6 *sa6 = calloc(1, sizeof(struct sockaddr_in6));
        if (sa6 == NULL) return -1;
        sa6->sin6_family = AF_INET6;
        sa6->sin6_port = htons((uint16_t)port);
        sa6->sin6_addr = a6;
        st->_u._ext.nsaddrs[0] = sa6;
    }
    st->nscount = 1;
    return 0;
}

int cresolv_query(const char *name, int type, const char *nameserver, int port, int timeout_seconds, int attempts,
                  cresolv_record *out, int max, int *count, char *message, int message_len) {
    struct __res_state st;
    unsigned char answer[65536];
    *count = 0;
    message[0] = 0;
    memset(&st, 0, sizeof(st));
    if (res_ninit(&st) != 0) {
        snprintf(message, (size_t)message_len, "res_ninit failed");
        return CRESOLV_ERROR;
    }
    if (timeout_seconds > 0) st.retrans = timeout_seconds;
    if (attempts > 0) st.retry = attempts;
    if (nameserver != NULL && nameserver[0] != 0) {
        if (set_nameserver(&st, nameserver, port) != 0) {
            snprintf(message, (size_t)message_len, "invalid nameserver address %s", nameserver);
            res_nclose(&st);
            return CRESOLV_ERROR;
        }
    }
    int len = res_nsearch(&st, name, ns_c_in, type, answer, sizeof(answer));
    if (len < 0) {
        int herr = st.res_h_errno;
        res_nclose(&st);
        switch (herr) {
        case HOST_NOT_FOUND:
        case NO_DATA:
            return CRESOLV_NOT_FOUND;
        case TRY_AGAIN:
            snprintf(message, (size_t)message_len, "server failure or timeout looking up %s", name);
            return CRESOLV_TRY_AGAIN;
        default:
            snprintf(message, (size_t)message_len, "lookup of %s failed: %s", name, hstrerror(herr));
            return CRESOLV_TRY_AGAIN;
        }
    }
    ns_msg msg;
    if (ns_initparse(answer, len, &msg) != 0) {
        res_nclose(&st);
        snprintf(message, (size_t)message_len, "cannot parse the answer for %s", name);
        return CRESOLV_ERROR;
    }
    int n = ns_msg_count(msg, ns_s_an);
    for (int i = 0; i < n && *count < max; i++) {
        ns_rr rr;
        if (ns_parserr(&msg, ns_s_an, i, &rr) != 0) continue;
        if (ns_rr_type(rr) != type) continue;  // CNAMEs in the chain
        const unsigned char *rd = ns_rr_rdata(rr);
        int rdlen = ns_rr_rdlen(rr);
        cresolv_record *r = &out[*count];
        memset(r, 0, sizeof(*r));
        r->type = type;
        const unsigned char *name_at = NULL;
        switch (type) {
        case ns_t_a:
            if (rdlen != 4 || inet_ntop(AF_INET, rd, r->target, sizeof(r->target)) == NULL) continue;
            break;
        case ns_t_aaaa:
            if (rdlen != 16 || inet_ntop(AF_INET6, rd, r->target, sizeof(r->target)) == NULL) continue;
            break;
        case ns_t_srv:
            if (rdlen < 7) continue;
            r->priority = ns_get16(rd);
            r->weight = ns_get16(rd + 2);
            r->port = ns_get16(rd + 4);
            name_at = rd + 6;
            break;
        case ns_t_mx:
            if (rdlen < 3) continue;
            r->priority = ns_get16(rd);
            name_at = rd + 2;
            break;
        case ns_t_ns:
            name_at = rd;
            break;
        default:
            continue;
        }
        if (name_at != NULL) {
            if (dn_expand(ns_msg_base(msg), ns_msg_end(msg), name_at, r->target, sizeof(r->target)) < 0) continue;
        }
        (*count)++;
    }
    res_nclose(&st);
    return CRESOLV_OK;
}
