// Pure-C view of RE2 for Swift: an opaque compiled regex, full match, captures.
#ifndef PROMSLS_CRE2_SHIM_H
#define PROMSLS_CRE2_SHIM_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef struct cre2_regex cre2_regex;

/// Compiles `pattern` (length `len`, UTF-8) with RE2 syntax. Returns NULL on error and writes
/// a NUL-terminated message into `err` (at most `err_cap` bytes).
cre2_regex *cre2_compile(const char *pattern, size_t len, char *err, size_t err_cap);
/// Like `cre2_compile`; on error also writes RE2's error code (`RE2::ErrorCode`) into `*code`
/// (if not NULL) and the offending fragment of the pattern (`RE2::error_arg()`, NUL-terminated,
/// at most `arg_cap` bytes) into `arg` (if not NULL).
cre2_regex *cre2_compile_ex(const char *pattern, size_t len, char *err, size_t err_cap,
                            int *code, char *arg, size_t arg_cap);
void cre2_free(cre2_regex *re);
/// Number of capturing groups.
int cre2_num_groups(const cre2_regex *re);
/// Full match of `text`; on success fills `starts`/`ends` (byte offsets, -1 if unset) for
/// groups 0...ngroups (arrays of at least `cap` entries). Returns 1 on match, 0 otherwise.
/// `text` may be NULL when `len` is 0. With `cap` 0 it only answers whether the text matches.
int cre2_full_match(const cre2_regex *re, const char *text, size_t len,
                    int64_t *starts, int64_t *ends, int cap);
/// Unanchored search of `text[startpos..<len]` (the whole `text` stays visible to `^`, `\b`):
/// on a match fills `starts`/`ends` for groups 0...ngroups as `cre2_full_match` does, byte
/// offsets from the start of `text`. Returns 1 on match, 0 otherwise.
int cre2_search(const cre2_regex *re, const char *text, size_t len, size_t startpos,
                int64_t *starts, int64_t *ends, int cap);
/// Index of the named group `name`, or -1.
int cre2_group_index(const cre2_regex *re, const char *name, size_t len);
/// Number of capturing groups that have a name (counts a repeated name twice; compare with
/// `cre2_num_named_groups` to find duplicates, which Go's regexp refuses).
int cre2_num_group_names(const cre2_regex *re);
/// Number of distinct group names.
int cre2_num_named_groups(const cre2_regex *re);
/// The `i`-th named group (0-based, in name order): writes its group index into `*index` and
/// returns a pointer to its NUL-terminated name (valid while `re` lives), or NULL when `i` is
/// out of range.
const char *cre2_named_group(const cre2_regex *re, int i, int *index);

#ifdef __cplusplus
}
#endif
#endif
