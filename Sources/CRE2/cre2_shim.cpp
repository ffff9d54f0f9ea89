#include "cre2_shim.h"
#include <re2/re2.h>
#include <string>
#include <vector>
#include <cstring>

struct cre2_regex { re2::RE2 *re; };

extern "C" cre2_regex *cre2_compile(const char *pattern, size_t len, char *err, size_t err_cap) {
    re2::RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_encoding(re2::RE2::Options::EncodingUTF8);
    opts.set_dot_nl(false);
    re2::RE2 *re = new re2::RE2(re2::StringPiece(pattern, len), opts);
    if (!re->ok()) {
        if (err && err_cap > 0) {
            std::strncpy(err, re->error().c_str(), err_cap - 1);
            err[err_cap - 1] = 0;
        }
        delete re;
        return nullptr;
    }
    cre2_regex *r = new cre2_regex;
    r->re = re;
    return r;
}

extern "C" void cre2_free(cre2_regex *re) {
    if (!re) return;
    delete re->re;
    delete re;
}

extern "C" int cre2_num_groups(const cre2_regex *re) { return re->re->NumberOfCapturingGroups(); }

extern "C" int cre2_full_match(const cre2_regex *re, const char *text, size_t len,
                               int64_t *starts, int64_t *ends, int cap) {
    int n = re->re->NumberOfCapturingGroups() + 1;
    if (cap < n) n = cap;
    if (n < 1) n = 1;
    std::vector<re2::StringPiece> m(n);
    re2::StringPiece input(text, len);
    if (!re->re->Match(input, 0, len, re2::RE2::ANCHOR_BOTH, m.data(), n)) return 0;
    for (int i = 0; i < n && i < cap; i++) {
        if (m[i].data() == nullptr) { starts[i] = -1; ends[i] = -1; }
        else { starts[i] = m[i].data() - text; ends[i] = starts[i] + (int64_t)m[i].size(); }
    }
    return 1;
}

extern "C" int cre2_group_index(const cre2_regex *re, const char *name, size_t len) {
    const auto &names = re->re->NamedCapturingGroups();
    auto it = names.find(std::string(name, len));
    if (it == names.end()) return -1;
    return it->second;
}
