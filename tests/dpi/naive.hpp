#pragma once
// Test helpers: the reference matcher the automaton is compared with, and random inputs.
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <secengine/dpi/aho_corasick.hpp>

namespace dpi_test {

struct pat {
    std::string bytes;
    std::uint32_t id;
    bool nocase;
};

struct hit {
    std::uint32_t end;  // absolute offset just past the match
    std::uint32_t id;
    bool operator==(const hit&) const = default;
};

inline char fold(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// Every occurrence, ordered like the automaton promises: by end offset, then text lane
// (nocase) before raw lane, then longest first.
inline std::vector<hit> naive(const std::vector<pat>& pats, const std::string& text) {
    std::vector<const pat*> order;
    for (const auto& p : pats) order.push_back(&p);
    std::stable_sort(order.begin(), order.end(), [](const pat* a, const pat* b) {
        if (a->nocase != b->nocase) return a->nocase;
        return a->bytes.size() > b->bytes.size();
    });
    std::vector<hit> out;
    for (std::size_t e = 1; e <= text.size(); ++e)
        for (const pat* p : order) {
            const std::size_t n = p->bytes.size();
            if (n > e) continue;
            bool ok = true;
            for (std::size_t k = 0; k < n && ok; ++k) {
                const char a = text[e - n + k], b = p->bytes[k];
                ok = p->nocase ? fold(a) == fold(b) : a == b;
            }
            if (ok) out.push_back({static_cast<std::uint32_t>(e), p->id});
        }
    return out;
}

inline std::span<const std::byte> as_bytes(const std::string& s) {
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// Random string over a small alphabet (so patterns overlap and recur often); mixes case and,
// when `binary`, arbitrary byte values.
inline std::string random_text(std::mt19937_64& rng, std::size_t n, bool binary) {
    static const char alpha[] = "abAB/*%c ";
    std::string s(n, '\0');
    for (auto& c : s) {
        if (binary && rng() % 8 == 0) c = static_cast<char>(rng() & 0xFF);
        else c = alpha[rng() % (sizeof alpha - 1)];
    }
    return s;
}

}  // namespace dpi_test
