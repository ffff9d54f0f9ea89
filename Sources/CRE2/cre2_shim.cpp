#include "cre2_shim.h"
#include <re2/re2.h>
#include <string>
#include <vector>
#include <cstring>

struct cre2_regex { re2::RE2 *re; };

static void copy_out(char *dst, size_t cap, const std::string &src) {
    if (!dst || cap == 0) return;
    std::strncpy(dst, src.c_str(), cap - 1);
    dst[cap - 1] = 0;
}

extern "C" cre2_regex *cre2_compile_ex(const char *pattern, size_t len, char *err, size_t err_cap,
                                       int *code, char *arg, size_t arg_cap) {
    re2::RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_encoding(re2::RE2::Options::EncodingUTF8);
    opts.set_dot_nl(false);
    static const char empty[1] = {0};
    re2::RE2 *re = new re2::RE2(re2::StringPiece(pattern ? pattern : empty, len), opts);
    if (!re->ok()) {
        copy_out(err, err_cap, re->error());
        copy_out(arg, arg_cap, re->error_arg());
        if (code) *code = (int)re->error_code();
        delete re;
        return nullptr;
    }
    if (code) *code = 0;
    cre2_regex *r = new cre2_regex;
    r->re = re;
    return r;
}

extern "C" cre2_regex *cre2_compile(const char *pattern, size_t len, char *err, size_t err_cap) {
    return cre2_compile_ex(pattern, len, err, err_cap, nullptr, nullptr, 0);
}

extern "C" void cre2_free(cre2_regex *re) {
    if (!re) return;
    delete re->re;
    delete re;
}

extern "C" int cre2_num_groups(const cre2_regex *re) { return re->re->NumberOfCapturingGroups(); }

extern "C" int cre2_full_match(const cre2_regex *re, const char *text, size_t len,
                               int64_t *starts, int64_t *ends, int cap) {
    // RE2 reports an unset group as a NULL data pointer, so never hand it a NULL text: an
    // empty group in an empty text would look unset.
    static const char empty[1] = {0};
    if (text == nullptr) { text = empty; len = 0; }
    int n = re->re->NumberOfCapturingGroups() + 1;
    if (cap < n) n = cap;
    if (n < 0) n = 0;
    re2::StringPiece input(text, len);
    // cap == 0 asks only whether it matches: RE2 can then answer with its DFA alone.
    if (n == 0) return re->re->Match(input, 0, len, re2::RE2::ANCHOR_BOTH, nullptr, 0) ? 1 : 0;
    std::vector<re2::StringPiece> m(n);
    if (!re->re->Match(input, 0, len, re2::RE2::ANCHOR_BOTH, m.data(), n)) return 0;
    for (int i = 0; i < n && i < cap; i++) {
        if (m[i].data() == nullptr) { starts[i] = -1; ends[i] = -1; }
        else { starts[i] = m[i].data() - text; ends[i] = starts[i] + (int64_t)m[i].size(); }
    }
    return 1;
}

extern "C" int cre2_search(const cre2_regex *re, const char *text, size_t len, size_t startpos,
                           int64_t *starts, int64_t *ends, int cap) {
    static const char empty[1] = {0};
    if (text == nullptr) { text = empty; len = 0; }
    if (startpos > len) return 0;
    int n = re->re->NumberOfCapturingGroups() + 1;
    if (cap < n) n = cap;
    if (n < 0) n = 0;
    re2::StringPiece input(text, len);
    if (n == 0) return re->re->Match(input, startpos, len, re2::RE2::UNANCHORED, nullptr, 0) ? 1 : 0;
    std::vector<re2::StringPiece> m(n);
    if (!re->re->Match(input, startpos, len, re2::RE2::UNANCHORED, m.data(), n)) return 0;
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

extern "C" int cre2_num_named_groups(const cre2_regex *re) {
    return (int)re->re->NamedCapturingGroups().size();
}

extern "C" const char *cre2_named_group(const cre2_regex *re, int i, int *index) {
    const auto &names = re->re->NamedCapturingGroups();
    if (i < 0 || (size_t)i >= names.size()) return nullptr;
    auto it = names.begin();
    std::advance(it, i);
    if (index) *index = it->second;
    return it->first.c_str();
}

extern "C" int cre2_num_group_names(const cre2_regex *re) {
    return (int)re->re->CapturingGroupNames().size();
}
