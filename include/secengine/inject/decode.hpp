#pragma once
/// \file The decodings attackers hide payloads behind, undone in place in a caller's scratch buffer.
///
/// Every transformation here only shrinks its text (an escape is always longer than what it
/// stands for), so one scratch buffer serves all rounds: the raw value is copied in once and each
/// pass rewrites it from the front. No heap, no recursion, cost linear in the value's length.
///
/// Decodings (the ones CRS undoes with t:urlDecodeUni, t:htmlEntityDecode, t:utf8toUnicode,
/// and the ones its rule family 930 "path traversal" lists by hand):
///  - percent escapes `%41` (RFC 3986 section 2.1), repeated until nothing changes so that
///    double (`%2541`) and triple encodings collapse (bounded by `max_rounds`);
///  - `+` as a space (HTML 4.01 section 17.13.4, application/x-www-form-urlencoded), first round only;
///  - IIS's `%u0041` (four hex digits; emitted as UTF-8);
///  - overlong UTF-8 (`C0 AF` = '/', `E0 80 AE` = '.'; RFC 3629 section 10 says a decoder must
///    reject them - old ones did not, hence the classic `%c0%af` traversal);
///  - HTML character references: named (`&lt;`), decimal (`&#106;`), hex (`&#x6a;`), with and
///    without the `;`, as the HTML5 tokenizer accepts them ("character reference state").
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace secengine::inject {

/// `s.substr(pos, n)` without the throw: positions past the end clamp to an empty view. The
/// library never calls std::string_view::substr, whose out_of_range path would need the C++
/// runtime's exception support in the kernel (docs/architecture.md, "Rules of the code": nothing that can throw).
[[nodiscard]] constexpr std::string_view slice(std::string_view s, std::size_t pos,
                                               std::size_t n = std::string_view::npos) noexcept {
    if (pos > s.size()) pos = s.size();
    const std::size_t rest = s.size() - pos;
    return {s.data() + pos, n < rest ? n : rest};
}

/// A 26-bit set of the (case-folded) first letters of a word list: the scanners test it before
/// walking the list, so a word that no entry can start costs one shift.
template <std::size_t N>
[[nodiscard]] constexpr std::uint32_t first_letters(const std::string_view (&words)[N]) noexcept {
    std::uint32_t m = 0;
    for (const auto w : words) {
        const char c = w.empty() ? '\0' : (w[0] >= 'A' && w[0] <= 'Z' ? static_cast<char>(w[0] - 'A' + 'a') : w[0]);
        if (c >= 'a' && c <= 'z') m |= 1u << (c - 'a');
    }
    return m;
}

/// Whether letter `c` (any case) is in the set; false for non-letters.
[[nodiscard]] constexpr bool letter_in(std::uint32_t set, char c) noexcept {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return c >= 'a' && c <= 'z' && ((set >> (c - 'a')) & 1u) != 0;
}

[[nodiscard]] constexpr int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

[[nodiscard]] constexpr char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// Writes code point `cp` as UTF-8 at `out[w]` (at most 4 bytes, never more than `room`);
/// returns the bytes written (0 if it does not fit: the caller keeps the escape as it was).
[[nodiscard]] constexpr std::size_t put_utf8(char* out, std::size_t room, std::uint32_t cp) noexcept {
    if (cp < 0x80 && room >= 1) {
        out[0] = static_cast<char>(cp);
        return 1;
    }
    if (cp < 0x800 && room >= 2) {
        out[0] = static_cast<char>(0xC0 | (cp >> 6));
        out[1] = static_cast<char>(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000 && room >= 3) {
        out[0] = static_cast<char>(0xE0 | (cp >> 12));
        out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out[2] = static_cast<char>(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp < 0x110000 && room >= 4) {
        out[0] = static_cast<char>(0xF0 | (cp >> 18));
        out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out[3] = static_cast<char>(0x80 | (cp & 0x3F));
        return 4;
    }
    return 0;
}

/// One percent-decoding pass over `buf[0, n)` in place; returns the new length.
/// `%XX` and `%uXXXX` are decoded, a `%` without valid hex digits is kept (as browsers and
/// PHP do), `+` becomes a space only when `plus` is set.
[[nodiscard]] constexpr std::size_t percent_decode_pass(char* buf, std::size_t n, bool plus) noexcept {
    std::size_t w = 0;
    for (std::size_t r = 0; r < n;) {
        const char c = buf[r];
        if (c == '%' && r + 2 < n && hex_digit(buf[r + 1]) >= 0 && hex_digit(buf[r + 2]) >= 0) {
            buf[w++] = static_cast<char>(hex_digit(buf[r + 1]) * 16 + hex_digit(buf[r + 2]));
            r += 3;
            continue;
        }
        if (c == '%' && r + 5 < n && (buf[r + 1] == 'u' || buf[r + 1] == 'U') && hex_digit(buf[r + 2]) >= 0 &&
            hex_digit(buf[r + 3]) >= 0 && hex_digit(buf[r + 4]) >= 0 && hex_digit(buf[r + 5]) >= 0) {
            const auto cp = static_cast<std::uint32_t>((hex_digit(buf[r + 2]) << 12) | (hex_digit(buf[r + 3]) << 8) |
                                                       (hex_digit(buf[r + 4]) << 4) | hex_digit(buf[r + 5]));
            // The 6-byte escape always has room for the <= 3 UTF-8 bytes of a BMP code point.
            w += put_utf8(buf + w, r + 6 - w, cp);
            r += 6;
            continue;
        }
        buf[w++] = (plus && c == '+') ? ' ' : c;
        ++r;
    }
    return w;
}

/// Folds overlong UTF-8 forms of ASCII characters (2-byte `C0/C1 xx`, 3-byte `E0 80..9F xx`)
/// and the slash/dot look-alikes back to the ASCII byte; other bytes are kept as they are.
/// Returns the new length.
[[nodiscard]] constexpr std::size_t fold_overlong_utf8(char* buf, std::size_t n) noexcept {
    std::size_t w = 0;
    for (std::size_t r = 0; r < n;) {
        const auto b0 = static_cast<std::uint8_t>(buf[r]);
        if ((b0 == 0xC0 || b0 == 0xC1) && r + 1 < n && (static_cast<std::uint8_t>(buf[r + 1]) & 0xC0) == 0x80) {
            buf[w++] = static_cast<char>(((b0 & 0x1F) << 6) | (static_cast<std::uint8_t>(buf[r + 1]) & 0x3F));
            r += 2;
            continue;
        }
        // IIS "best fit" look-alikes that Windows maps to '/' '\\' '.': U+2215, U+2216, U+FF0F,
        // U+FF3C, U+FF0E (the %u2215 traversal; CRS 930100 lists them).
        if ((b0 == 0xE2 || b0 == 0xEF) && r + 2 < n) {
            const auto b1 = static_cast<std::uint8_t>(buf[r + 1]), b2 = static_cast<std::uint8_t>(buf[r + 2]);
            char ascii = 0;
            if (b0 == 0xE2 && b1 == 0x88 && b2 == 0x95) ascii = '/';
            if (b0 == 0xE2 && b1 == 0x88 && b2 == 0x96) ascii = '\\';
            if (b0 == 0xEF && b1 == 0xBC && b2 == 0x8F) ascii = '/';
            if (b0 == 0xEF && b1 == 0xBC && b2 == 0xBC) ascii = '\\';
            if (b0 == 0xEF && b1 == 0xBC && b2 == 0x8E) ascii = '.';
            if (ascii != 0) {
                buf[w++] = ascii;
                r += 3;
                continue;
            }
        }
        if (b0 == 0xE0 && r + 2 < n && (static_cast<std::uint8_t>(buf[r + 1]) & 0xE0) == 0x80 &&
            (static_cast<std::uint8_t>(buf[r + 2]) & 0xC0) == 0x80) {
            const auto cp = ((static_cast<std::uint8_t>(buf[r + 1]) & 0x3F) << 6) | (static_cast<std::uint8_t>(buf[r + 2]) & 0x3F);
            if (cp < 0x80) {
                buf[w++] = static_cast<char>(cp);
                r += 3;
                continue;
            }
        }
        buf[w++] = buf[r++];
    }
    return w;
}

/// What a URL-decoding of a value did.
struct decode_result {
    std::size_t length = 0;     ///< decoded bytes at the front of the scratch buffer
    std::uint8_t rounds = 0;    ///< passes that changed something (2 = double-encoded)
    bool truncated = false;     ///< the raw value was longer than the scratch buffer: its head was decoded
};

/// Copies `raw` into `scratch` (its first scratch.size() bytes if longer) and undoes percent, plus
/// (when `plus`), %u and overlong-UTF-8 encodings, repeating percent passes while they change
/// the text, at most `max_rounds` times.
[[nodiscard]] constexpr decode_result url_decode(std::string_view raw, std::span<char> scratch, bool plus = true,
                                                 unsigned max_rounds = 4) noexcept {
    decode_result res;
    std::size_t n = raw.size() < scratch.size() ? raw.size() : scratch.size();
    res.truncated = n < raw.size();
    for (std::size_t i = 0; i < n; ++i) scratch[i] = raw[i];
    char* buf = scratch.data();
    for (unsigned round = 0; round < max_rounds; ++round) {
        const std::size_t before = n;
        bool had_plus = false;
        if (plus && round == 0)
            for (std::size_t i = 0; i < n && !had_plus; ++i) had_plus = buf[i] == '+';
        n = percent_decode_pass(buf, n, plus && round == 0);
        n = fold_overlong_utf8(buf, n);
        if (n == before && !had_plus) break;  // a fixpoint: nothing left to undo
        ++res.rounds;
    }
    res.length = n;
    return res;
}

/// A named character reference this decoder knows: the ones XSS filters and attack lists use
/// (HTML5's full table has 2,231 names; the punctuation that can build markup or a URL scheme
/// is what matters here). Sorted by name for binary search.
struct named_entity {
    std::string_view name;
    std::uint32_t code_point;
    bool legacy;  ///< recognised without ';' even when a letter follows (HTML5: "&ltscript")
};

inline constexpr named_entity named_entities[] = {
    {"amp", '&', true},     {"apos", '\'', false},   {"ast", '*', false},     {"bsol", '\\', false},
    {"colon", ':', false},  {"comma", ',', false},   {"commat", '@', false},  {"dollar", '$', false},
    {"equals", '=', false}, {"excl", '!', false},    {"grave", '`', false},   {"gt", '>', true},
    {"hat", '^', false},    {"lbrack", '[', false},  {"lcub", '{', false},    {"lowbar", '_', false},
    {"lpar", '(', false},   {"lsqb", '[', false},    {"lt", '<', true},       {"nbsp", 0xA0, false},
    {"newline", '\n', false}, {"num", '#', false},   {"percnt", '%', false},  {"period", '.', false},
    {"plus", '+', false},   {"quest", '?', false},   {"quot", '"', true},     {"rbrack", ']', false},
    {"rcub", '}', false},   {"rpar", ')', false},    {"rsqb", ']', false},    {"semi", ';', false},
    {"sol", '/', false},    {"tab", '\t', false},    {"verbar", '|', false},
};

namespace detail {
[[nodiscard]] constexpr bool is_alnum(char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
/// Compares the entity name with text (case-insensitively: the XSS payloads use &LT; and &Tab;).
[[nodiscard]] constexpr int compare_name(std::string_view name, const char* text, std::size_t len) noexcept {
    for (std::size_t i = 0; i < name.size() && i < len; ++i) {
        const char a = name[i], b = ascii_lower(text[i]);
        if (a != b) return a < b ? -1 : 1;
    }
    if (name.size() == len) return 0;
    return name.size() < len ? -1 : 1;
}
}  // namespace detail

/// Decodes HTML character references in `buf[0, n)` in place; returns the new length.
[[nodiscard]] constexpr std::size_t html_entity_decode(char* buf, std::size_t n) noexcept {
    std::size_t w = 0;
    for (std::size_t r = 0; r < n;) {
        if (buf[r] != '&' || r + 1 >= n) {
            buf[w++] = buf[r++];
            continue;
        }
        if (buf[r + 1] == '#') {
            // &#106; / &#x6A; ; leading zeros allowed (&#0000106), ';' optional.
            std::size_t p = r + 2;
            const bool hex = p < n && (buf[p] == 'x' || buf[p] == 'X');
            if (hex) ++p;
            const std::size_t digits_at = p;
            std::uint32_t cp = 0;
            while (p < n) {
                const int d = hex ? hex_digit(buf[p]) : (buf[p] >= '0' && buf[p] <= '9' ? buf[p] - '0' : -1);
                if (d < 0) break;
                if (cp < 0x110000) cp = cp * (hex ? 16u : 10u) + static_cast<std::uint32_t>(d);
                ++p;
            }
            if (p > digits_at) {
                if (p < n && buf[p] == ';') ++p;
                if (cp == 0 || cp >= 0x110000) cp = 0xFFFD;  // HTML5: NUL and out of range -> U+FFFD
                const std::size_t put = put_utf8(buf + w, p - w, cp);
                if (put > 0) {
                    w += put;
                    r = p;
                    continue;
                }
            }
            buf[w++] = buf[r++];
            continue;
        }
        // Named: the longest name of letters, then binary search.
        std::size_t p = r + 1;
        while (p < n && p - r - 1 < 8 && detail::is_alnum(buf[p])) ++p;
        bool done = false;
        // Try the whole run first, then shorter prefixes for the legacy names ("&ltscript").
        for (std::size_t len = p - r - 1; len >= 2 && !done; --len) {
            std::size_t lo = 0, hi = std::size(named_entities);
            while (lo < hi) {
                const std::size_t mid = (lo + hi) / 2;
                const int c = detail::compare_name(named_entities[mid].name, buf + r + 1, len);
                if (c == 0) { lo = mid; hi = mid; break; }
                if (c < 0) lo = mid + 1; else hi = mid;
            }
            if (lo < std::size(named_entities) &&
                detail::compare_name(named_entities[lo].name, buf + r + 1, len) == 0) {
                const std::size_t end = r + 1 + len;
                const bool full = end == p;  // no letter follows the name
                if (!full && !named_entities[lo].legacy) break;
                const std::size_t after = (end < n && buf[end] == ';') ? end + 1 : end;
                const std::size_t put = put_utf8(buf + w, after - w, named_entities[lo].code_point);
                if (put > 0) {
                    w += put;
                    r = after;
                    done = true;
                }
            }
        }
        if (!done) buf[w++] = buf[r++];
    }
    return w;
}

}  // namespace secengine::inject
