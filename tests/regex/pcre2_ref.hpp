#pragma once
// The reference for the differential tests: real PCRE2 (8-bit, interpreter), compiled with the
// same flags Suricata passes for the modifiers (detect-pcre.c), matched the way Suricata
// matches a relative pcre (subject cut at the previous match end) or an absolute one.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include <secengine/regex/pcre.hpp>

namespace regex_test {

struct ref_result {
    bool compiled = false;
    bool matched = false;
    bool limit = false;  // PCRE2 gave up (match limit: its backtracking exploded); no verdict
    std::size_t begin = 0, end = 0;
};

class pcre2_ref {
public:
    explicit pcre2_ref(const secengine::regex::pcre_option& o) : relative_(o.relative) {
        std::uint32_t flags = 0;
        if (o.caseless) flags |= PCRE2_CASELESS;
        if (o.dotall) flags |= PCRE2_DOTALL;
        if (o.multiline) flags |= PCRE2_MULTILINE;
        if (o.extended) flags |= PCRE2_EXTENDED;
        if (o.anchored) flags |= PCRE2_ANCHORED;
        if (o.dollar_endonly) flags |= PCRE2_DOLLAR_ENDONLY;
        if (o.ungreedy) flags |= PCRE2_UNGREEDY;
        int errcode = 0;
        PCRE2_SIZE erroff = 0;
        code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(o.pattern.data()), o.pattern.size(), flags, &errcode,
                              &erroff, nullptr);
        if (code_) md_ = pcre2_match_data_create_from_pattern(code_, nullptr);
    }
    ~pcre2_ref() {
        if (md_) pcre2_match_data_free(md_);
        if (code_) pcre2_code_free(code_);
    }
    pcre2_ref(const pcre2_ref&) = delete;
    pcre2_ref& operator=(const pcre2_ref&) = delete;

    [[nodiscard]] bool compiled() const { return code_ != nullptr; }

    [[nodiscard]] ref_result search(const std::string& s, std::size_t from) const {
        ref_result r;
        r.compiled = code_ != nullptr;
        if (!code_ || from > s.size()) return r;
        const auto* base = reinterpret_cast<PCRE2_SPTR>(s.data());
        int rc = 0;
        std::size_t shift = 0;
        if (relative_) {
            shift = from;
            rc = pcre2_match(code_, base + from, s.size() - from, 0, 0, md_, nullptr);
        } else {
            rc = pcre2_match(code_, base, s.size(), from, 0, md_, nullptr);
        }
        if (rc == PCRE2_ERROR_NOMATCH) return r;
        if (rc < 0) {
            r.limit = true;
            return r;
        }
        const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md_);
        r.matched = true;
        r.begin = ov[0] + shift;
        r.end = ov[1] + shift;
        return r;
    }

private:
    bool relative_;
    pcre2_code* code_ = nullptr;
    pcre2_match_data* md_ = nullptr;
};

}  // namespace regex_test
