#pragma once
/// \file Byte sets for the pcre compiler: 256-bit bitmaps and the predefined classes.
///
/// The sets are PCRE2's default ("C" locale) tables for 8-bit, non-UTF patterns
/// (pcre2pattern(3), "Generic character types" and "POSIX character classes"): ASCII only,
/// \s includes VT (0x0b) as Perl 5.18 and PCRE2 do; case folding is ASCII only.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace secengine::regex::detail {

/// A set of bytes: bit b of w[b / 32].
struct byte_set {
    std::array<std::uint32_t, 8> w{};
    friend constexpr bool operator==(const byte_set&, const byte_set&) = default;
};

constexpr void add(byte_set& s, unsigned char b) noexcept { s.w[b / 32u] |= 1u << (b % 32u); }
constexpr void add_range(byte_set& s, unsigned lo, unsigned hi) noexcept {
    for (unsigned b = lo; b <= hi; ++b) add(s, static_cast<unsigned char>(b));
}
[[nodiscard]] constexpr bool contains(const byte_set& s, unsigned char b) noexcept {
    return (s.w[b / 32u] >> (b % 32u)) & 1u;
}
[[nodiscard]] constexpr byte_set unite(byte_set a, const byte_set& b) noexcept {
    for (std::size_t i = 0; i < 8; ++i) a.w[i] |= b.w[i];
    return a;
}
[[nodiscard]] constexpr byte_set complement(byte_set a) noexcept {
    for (auto& x : a.w) x = ~x;
    return a;
}
[[nodiscard]] constexpr std::size_t size_of(const byte_set& s) noexcept {
    std::size_t n = 0;
    for (unsigned b = 0; b < 256; ++b) n += contains(s, static_cast<unsigned char>(b)) ? 1u : 0u;
    return n;
}
[[nodiscard]] constexpr unsigned char first_of(const byte_set& s) noexcept {
    for (unsigned b = 0; b < 256; ++b)
        if (contains(s, static_cast<unsigned char>(b))) return static_cast<unsigned char>(b);
    return 0;
}

[[nodiscard]] constexpr bool is_upper(unsigned char c) noexcept { return c >= 'A' && c <= 'Z'; }
[[nodiscard]] constexpr bool is_lower(unsigned char c) noexcept { return c >= 'a' && c <= 'z'; }
[[nodiscard]] constexpr bool is_alpha(unsigned char c) noexcept { return is_upper(c) || is_lower(c); }
[[nodiscard]] constexpr bool is_digit(unsigned char c) noexcept { return c >= '0' && c <= '9'; }
[[nodiscard]] constexpr bool is_alnum(unsigned char c) noexcept { return is_alpha(c) || is_digit(c); }
[[nodiscard]] constexpr unsigned char to_lower(unsigned char c) noexcept {
    return is_upper(c) ? static_cast<unsigned char>(c + 32) : c;
}

/// Add the other case of every ASCII letter in the set (/i).
[[nodiscard]] constexpr byte_set fold_case(byte_set s) noexcept {
    for (unsigned c = 'a'; c <= 'z'; ++c) {
        const auto lo = static_cast<unsigned char>(c), up = static_cast<unsigned char>(c - 32);
        if (contains(s, lo) || contains(s, up)) {
            add(s, lo);
            add(s, up);
        }
    }
    return s;
}

[[nodiscard]] constexpr byte_set digit_set() noexcept { byte_set s{}; add_range(s, '0', '9'); return s; }
[[nodiscard]] constexpr byte_set word_set() noexcept {
    byte_set s = digit_set();
    add_range(s, 'a', 'z');
    add_range(s, 'A', 'Z');
    add(s, '_');
    return s;
}
[[nodiscard]] constexpr byte_set space_set() noexcept { byte_set s{}; add_range(s, 0x09, 0x0d); add(s, ' '); return s; }
[[nodiscard]] constexpr byte_set hspace_set() noexcept { byte_set s{}; add(s, 0x09); add(s, ' '); add(s, 0xa0); return s; }
[[nodiscard]] constexpr byte_set vspace_set() noexcept { byte_set s{}; add_range(s, 0x0a, 0x0d); add(s, 0x85); return s; }

/// The set of a class escape letter (\d \D \w \W \s \S \h \H \v \V); false for other letters.
[[nodiscard]] constexpr bool escape_class(char c, byte_set& s) noexcept {
    switch (c) {
        case 'd': s = digit_set(); return true;
        case 'D': s = complement(digit_set()); return true;
        case 'w': s = word_set(); return true;
        case 'W': s = complement(word_set()); return true;
        case 's': s = space_set(); return true;
        case 'S': s = complement(space_set()); return true;
        case 'h': s = hspace_set(); return true;
        case 'H': s = complement(hspace_set()); return true;
        case 'v': s = vspace_set(); return true;
        case 'V': s = complement(vspace_set()); return true;
        default: return false;
    }
}

/// A POSIX class name inside `[[:name:]]`; false when unknown.
[[nodiscard]] constexpr bool posix_class(std::string_view nm, byte_set& s) noexcept {
    s = {};
    if (nm == "alpha") { add_range(s, 'a', 'z'); add_range(s, 'A', 'Z'); }
    else if (nm == "digit") s = digit_set();
    else if (nm == "alnum") { s = digit_set(); add_range(s, 'a', 'z'); add_range(s, 'A', 'Z'); }
    else if (nm == "upper") add_range(s, 'A', 'Z');
    else if (nm == "lower") add_range(s, 'a', 'z');
    else if (nm == "space") s = space_set();
    else if (nm == "blank") { add(s, ' '); add(s, '\t'); }
    else if (nm == "punct") { add_range(s, 0x21, 0x2f); add_range(s, 0x3a, 0x40); add_range(s, 0x5b, 0x60); add_range(s, 0x7b, 0x7e); }
    else if (nm == "print") add_range(s, 0x20, 0x7e);
    else if (nm == "graph") add_range(s, 0x21, 0x7e);
    else if (nm == "cntrl") { add_range(s, 0x00, 0x1f); add(s, 0x7f); }
    else if (nm == "xdigit") { s = digit_set(); add_range(s, 'a', 'f'); add_range(s, 'A', 'F'); }
    else if (nm == "word") s = word_set();
    else if (nm == "ascii") add_range(s, 0x00, 0x7f);
    else return false;
    return true;
}

}  // namespace secengine::regex::detail
