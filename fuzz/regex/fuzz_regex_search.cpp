// libFuzzer target: search() with programs compiled from fuzzed patterns on fuzzed subjects.
// Input: flags byte, pattern length byte, pattern, subject. Invariants: the match lies inside
// the subject and at or after `from`; the leftmost-first result is stable - searching again
// anchored (/A) at the reported begin gives the same [begin, end), and searching from begin
// unanchored too; a relative search equals an absolute search of the cut subject, shifted;
// search_with<32, 32> agrees with search when the program fits it and never matches otherwise.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include <secengine/regex/pcre.hpp>

using namespace secengine::regex;

namespace {
std::array<std::uint32_t, max_program_words> prog{}, anchored{}, rel{};
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::uint8_t f = data[0];
    const std::size_t plen = data[1] < size - 2 ? data[1] : size - 2;
    pcre_option o{};
    o.caseless = f & 1;
    o.dotall = f & 2;
    o.multiline = f & 4;
    o.extended = f & 8;
    o.dollar_endonly = f & 32;
    o.ungreedy = f & 64;
    o.pattern = std::string_view(reinterpret_cast<const char*>(data + 2), plen);
    const compile_result c = compile(o, prog);
    if (c.err != error::ok) return 0;
    pcre_option oa = o;
    oa.anchored = true;
    const compile_result ca = compile(oa, anchored);
    pcre_option orl = o;
    orl.relative = true;
    const compile_result cr = compile(orl, rel);
    if (ca.err != error::ok || cr.err != error::ok) std::abort();
    const auto subject = std::as_bytes(std::span(data + 2 + plen, size - 2 - plen));
    const auto p = std::span<const std::uint32_t>(prog).first(c.words);
    const auto pa = std::span<const std::uint32_t>(anchored).first(ca.words);
    const auto pr = std::span<const std::uint32_t>(rel).first(cr.words);
    program_shape shape{};
    if (verify(p, &shape) != error::ok) std::abort();
    const bool small_fits = shape.threads <= 32 && shape.splits <= 32;
    const std::size_t starts[] = {0, subject.size() / 2, subject.size()};
    for (const std::size_t from : starts) {
        const match_result m = search(p, subject, from);
        const match_result small = search_with<32, 32>(p, subject, from);
        if (small_fits ? (small.matched != m.matched || small.begin != m.begin || small.end != m.end) : small.matched)
            std::abort();  // the small-stack matcher agrees when the program fits, else never matches
        if (!m.matched) {
            if (search(pa, subject, from).matched) std::abort();  // anchored is a subset
            continue;
        }
        if (m.begin < from || m.begin > m.end || m.end > subject.size()) std::abort();
        const match_result again = search(pa, subject, m.begin);
        if (!again.matched || again.begin != m.begin || again.end != m.end) std::abort();
        const match_result later = search(p, subject, m.begin);
        if (!later.matched || later.begin != m.begin || later.end != m.end) std::abort();
        // Relative from `from` == absolute search of subject[from..] (shifted).
        const match_result r = search(pr, subject, from);
        const match_result cut = search(p, subject.subspan(from), 0);
        if (r.matched != cut.matched) std::abort();
        if (r.matched && (r.begin != cut.begin + from || r.end != cut.end + from)) std::abort();
    }
    return 0;
}
