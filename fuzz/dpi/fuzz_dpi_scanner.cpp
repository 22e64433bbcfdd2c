// libFuzzer target: automaton built from fuzzer-chosen patterns must report exactly what a
// naive search reports, streaming split at a fuzzer-chosen point must equal one pass, and the
// HTTP normaliser + stage path must not fault on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <secengine/dpi/aho_corasick.hpp>
#include <secengine/dpi/normaliser.hpp>

using namespace secengine::dpi;

namespace {
aho_corasick<512, 32, 512> ac;

char fold(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    // Layout: n = data[0] % 16 patterns, each (flags byte, length byte % 8 + 1, bytes), then text.
    std::size_t pos = 1;
    const std::size_t n = data[0] % 16;
    struct pat {
        std::string s;
        std::uint32_t id;
        bool nocase;
    };
    std::vector<pat> pats;
    ac.clear();
    for (std::size_t i = 0; i < n && pos + 2 <= size; ++i) {
        const bool nc = (data[pos] & 1) != 0;
        const std::size_t len = data[pos + 1] % 8 + 1;
        pos += 2;
        if (pos + len > size) break;
        std::string s(reinterpret_cast<const char*>(data + pos), len);
        pos += len;
        const dpi_error e = ac.add(s, static_cast<std::uint32_t>(i + 1), nc);
        if (e == dpi_error::ok) pats.push_back({s, static_cast<std::uint32_t>(i + 1), nc});
        else if (e != dpi_error::duplicate && e != dpi_error::states_full && e != dpi_error::pool_full &&
                 e != dpi_error::too_many_classes)
            std::abort();
    }
    if (ac.pattern_count() != pats.size()) std::abort();
    const std::string text(reinterpret_cast<const char*>(data + pos), size - pos);
    const auto* tb = reinterpret_cast<const std::byte*>(text.data());

    // Naive reference in the automaton's order.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> want, got, split;
    for (std::size_t e = 1; e <= text.size(); ++e)
        for (int lanepass = 0; lanepass < 2; ++lanepass)
            for (std::size_t L = 8; L >= 1; --L)
                for (const auto& p : pats) {
                    if (p.nocase != (lanepass == 0) || p.s.size() != L || L > e) continue;
                    bool ok = true;
                    for (std::size_t k = 0; k < L && ok; ++k)
                        ok = p.nocase ? fold(text[e - L + k]) == fold(p.s[k]) : text[e - L + k] == p.s[k];
                    if (ok) want.push_back({static_cast<std::uint32_t>(e), p.id});
                }
    scan_state st{};
    (void)ac.scan(st, std::span(tb, text.size()), [&](const match& m) {
        got.push_back({m.end, m.id});
        return true;
    });
    if (got != want) std::abort();
    const std::size_t cut = text.empty() ? 0 : data[0] % (text.size() + 1);
    scan_state s2{};
    (void)ac.scan(s2, std::span(tb, cut), [&](const match& m) {
        split.push_back({m.end, m.id});
        return true;
    });
    (void)ac.scan(s2, std::span(tb + cut, text.size() - cut), [&](const match& m) {
        split.push_back({static_cast<std::uint32_t>(m.end + cut), m.id});
        return true;
    });
    if (split != want || !(s2 == st)) std::abort();

    // Normaliser: bounded output, streaming state survives any cut.
    std::string a, b;
    std::uint8_t n1 = 0, n2 = 0;
    for (char c : text) http_normaliser::feed(n1, static_cast<std::uint8_t>(c), [&](std::uint8_t v) { a += static_cast<char>(v); });
    http_normaliser::flush(n1, [&](std::uint8_t v) { a += static_cast<char>(v); });
    for (std::size_t i = 0; i < text.size(); ++i) {
        std::uint8_t copy = n2;
        http_normaliser::feed(copy, static_cast<std::uint8_t>(text[i]), [&](std::uint8_t v) { b += static_cast<char>(v); });
        n2 = copy;
    }
    http_normaliser::flush(n2, [&](std::uint8_t v) { b += static_cast<char>(v); });
    if (a != b || a.size() > 4 * text.size() + 4) std::abort();
    return 0;
}
