#pragma once
/// \file Lexical helpers of the pcre compiler: single-byte escapes and POSIX class syntax.
///
/// Escapes as pcre2pattern(3) "Non-printing characters" defines them for 8-bit, non-UTF
/// patterns; letters outside the subset are refused with the error that names why.
#include <cstddef>
#include <string_view>

#include <secengine/regex/detail/charclass.hpp>
#include <secengine/regex/error.hpp>

namespace secengine::regex::detail {

[[nodiscard]] constexpr int hex_digit(char h) noexcept {
    if (h >= '0' && h <= '9') return h - '0';
    if (h >= 'a' && h <= 'f') return h - 'a' + 10;
    if (h >= 'A' && h <= 'F') return h - 'A' + 10;
    return -1;
}

/// A single-byte escape at p[pos] (the letter after the backslash): \n \r \t \f \e \a \0oo
/// \xhh \x{hh} \o{ooo}, \b (backspace, in a class only) and escaped non-alphanumerics.
/// Advances `pos` past it and stores the byte in `v`.
[[nodiscard]] constexpr error byte_escape(std::string_view p, std::size_t& pos, bool in_class,
                                          unsigned char& v) noexcept {
    const auto more = [&] { return pos < p.size(); };
    const char c = p[pos++];
    switch (c) {
        case 'n': v = '\n'; return error::ok;
        case 'r': v = '\r'; return error::ok;
        case 't': v = '\t'; return error::ok;
        case 'f': v = '\f'; return error::ok;
        case 'e': v = 0x1b; return error::ok;
        case 'a': v = 0x07; return error::ok;
        case 'x':
        case 'o': {
            const unsigned radix = c == 'x' ? 16u : 8u;
            const auto digit = [&](char d) { return c == 'x' ? hex_digit(d) : (d >= '0' && d <= '7' ? d - '0' : -1); };
            unsigned value = 0;
            if (more() && p[pos] == '{') {  // \x{hh} \o{ooo}: no UTF, so at most 0xff
                ++pos;
                std::size_t digits = 0;
                while (more() && digit(p[pos]) >= 0) {
                    value = value * radix + static_cast<unsigned>(digit(p[pos++]));
                    if (value > 0xff) return error::bad_escape;
                    ++digits;
                }
                if (digits == 0 || !more() || p[pos] != '}') return error::bad_escape;
                ++pos;
            } else if (c == 'o') {
                return error::bad_escape;
            } else {  // \xhh: up to two digits (none is \x00, as PCRE2)
                for (int i = 0; i < 2 && more() && hex_digit(p[pos]) >= 0; ++i)
                    value = value * 16u + static_cast<unsigned>(hex_digit(p[pos++]));
            }
            v = static_cast<unsigned char>(value);
            return error::ok;
        }
        case '0': {
            unsigned value = 0;
            for (int i = 0; i < 2 && more() && p[pos] >= '0' && p[pos] <= '7'; ++i)
                value = value * 8u + static_cast<unsigned>(p[pos++] - '0');
            v = static_cast<unsigned char>(value);
            return error::ok;
        }
        default: break;
    }
    if (in_class && c == 'b') {
        v = 0x08;
        return error::ok;
    }
    if ((c >= '1' && c <= '9') || c == 'g' || c == 'k') return error::backreference;
    if (c == 'p' || c == 'P' || c == 'X' || c == 'C' || c == 'R' || c == 'K' || c == 'N' || c == 'Q' ||
        c == 'E' || c == 'c' || c == 'G' || c == 'u' || c == 'U' || c == 'l' || c == 'L')
        return error::unsupported_escape;
    if (is_alpha(static_cast<unsigned char>(c))) return error::bad_escape;
    v = static_cast<unsigned char>(c);  // an escaped non-alphanumeric is itself
    return error::ok;
}

/// `[:name:]` (or `[.x.]`, `[=x=]`) at p[at]: the index of the closing terminator, or 0 when
/// the syntax is not complete - then `[` is a literal (PCRE2's check_posix_syntax rule).
[[nodiscard]] constexpr std::size_t posix_end(std::string_view p, std::size_t at) noexcept {
    if (at + 1 >= p.size()) return 0;
    const char t = p[at + 1];
    if (t != ':' && t != '.' && t != '=') return 0;
    for (std::size_t i = at + 2; i < p.size(); ++i) {
        if (p[i] == '\\' && i + 1 < p.size() && (p[i + 1] == ']' || p[i + 1] == '\\')) {
            ++i;
        } else if ((p[i] == '[' && i + 1 < p.size() && p[i + 1] == t) || p[i] == ']') {
            return 0;
        } else if (p[i] == t && i + 1 < p.size() && p[i + 1] == ']') {
            return i;
        }
    }
    return 0;
}

}  // namespace secengine::regex::detail
