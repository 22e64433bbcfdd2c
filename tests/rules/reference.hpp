#pragma once
// The tests' reference model of Suricata's content inspection, written independently of
// secengine/rules/inspect.hpp: a plain recursion over every occurrence of every positive content
// ("does some choice of match positions satisfy all ops?"), with the window rules stated as
// constraints on one match position instead of computed windows.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ref {

struct op {
    enum kind_t { content, isdataat } kind = content;
    std::string pat;
    bool nocase = false, negated = false, endswith = false, relative = false;
    std::optional<long> offset, depth, distance, within;
    long n = 0;  // isdataat
};

inline bool same(unsigned char a, unsigned char b, bool nocase) {
    if (!nocase) return a == b;
    auto f = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c + 32) : c; };
    return f(a) == f(b);
}

// Does a match of o starting at s satisfy o's constraints given prev (end of the previous match)?
inline bool allowed(const op& o, long s, long prev, long len) {
    const long e = s + static_cast<long>(o.pat.size());
    if (s < 0 || e > len) return false;
    if (o.distance || o.within) {
        const long d = o.distance.value_or(0);
        if (s < prev + d) return false;
        if (o.within && e > prev + d + *o.within) return false;
    } else {
        if (o.offset && s < *o.offset) return false;
        if (o.depth && e > o.offset.value_or(0) + *o.depth) return false;
    }
    if (o.endswith && e != len) return false;
    return true;
}

inline bool eval(const std::vector<op>& ops, std::size_t k, long prev, const std::string& buf) {
    if (k == ops.size()) return true;
    const op& o = ops[k];
    const long len = static_cast<long>(buf.size());
    if (o.kind == op::isdataat) {
        bool ok = o.relative ? prev + o.n <= len : o.n < len;
        if (o.negated) ok = !ok;
        return ok && eval(ops, k + 1, prev, buf);
    }
    bool any = false;
    for (long s = 0; s + static_cast<long>(o.pat.size()) <= len; ++s) {
        bool m = true;
        for (std::size_t i = 0; i < o.pat.size() && m; ++i)
            m = same(static_cast<unsigned char>(buf[static_cast<std::size_t>(s) + i]), static_cast<unsigned char>(o.pat[i]), o.nocase);
        if (!m || !allowed(o, s, prev, len)) continue;
        any = true;
        if (!o.negated && eval(ops, k + 1, s + static_cast<long>(o.pat.size()), buf)) return true;
    }
    if (o.negated) return !any && eval(ops, k + 1, prev, buf);
    return false;
}

inline bool eval(const std::vector<op>& ops, const std::string& buf) { return eval(ops, 0, 0, buf); }

}  // namespace ref
