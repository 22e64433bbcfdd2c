#pragma once
/// \file Request-target normalisation into Suricata's `http.uri` form, in place.
///
/// Observed on Suricata 7.0.10 with its default libhtp settings (tests/http/test_suricata_buffers.py
/// checks these against the real thing):
///  - absolute-form targets (`http://host:port/path`, RFC 9112 section 3.2.2) lose scheme and
///    authority; the host goes to `http.host`, lower-cased, without the port;
///  - the path is percent-decoded (`%2f` too; RFC 3986 section 2.1), `%uHHHH` is decoded (the
///    IIS form; code points above 0xFF become '?'), `\` becomes `/`, runs of `/` become one,
///    UTF-8 sequences become the byte of their code point ('?' above 0xFF or when broken; overlong
///    forms count, so `%c0%af` is `/`), and dot segments are removed (RFC 3986 section 5.2.4, with
///    libhtp's trailing-slash difference), after decoding - so `%2e%2e/` climbs;
///  - the query is percent-decoded once; `+` stays `+`; malformed escapes stay as sent.
#include <cstddef>
#include <cstdint>
#include <span>

namespace secengine::http {

namespace detail {

[[nodiscard]] constexpr int uri_hex(std::byte b) noexcept {
    const auto c = static_cast<std::uint8_t>(b);
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
[[nodiscard]] constexpr bool is(std::byte b, char c) noexcept { return static_cast<std::uint8_t>(b) == static_cast<std::uint8_t>(c); }

/// Percent-decodes s[0, n) in place (and %uHHHH when `u_escapes`); returns the new length.
constexpr std::size_t percent_decode(std::span<std::byte> s, bool u_escapes) noexcept {
    std::size_t r = 0, w = 0;
    const std::size_t n = s.size();
    while (r < n) {
        if (is(s[r], '%')) {
            if (u_escapes && r + 5 < n && (is(s[r + 1], 'u') || is(s[r + 1], 'U')) && uri_hex(s[r + 2]) >= 0 &&
                uri_hex(s[r + 3]) >= 0 && uri_hex(s[r + 4]) >= 0 && uri_hex(s[r + 5]) >= 0) {
                const int hi = uri_hex(s[r + 2]) * 16 + uri_hex(s[r + 3]);
                const int lo = uri_hex(s[r + 4]) * 16 + uri_hex(s[r + 5]);
                s[w++] = hi == 0 ? static_cast<std::byte>(lo) : std::byte{'?'};
                r += 6;
                continue;
            }
            if (r + 2 < n && uri_hex(s[r + 1]) >= 0 && uri_hex(s[r + 2]) >= 0) {
                s[w++] = static_cast<std::byte>(uri_hex(s[r + 1]) * 16 + uri_hex(s[r + 2]));
                r += 3;
                continue;
            }
        }
        s[w++] = s[r++];
    }
    return w;
}

/// libhtp's UTF-8 handling of a decoded path, as Suricata's default shows it: a valid sequence
/// (overlong forms included, so "%c0%af" is '/') whose code point fits a byte becomes that byte;
/// a larger code point or a broken sequence becomes '?' (the bytes after a broken lead byte
/// are examined again). ASCII is unchanged. Returns the new length.
constexpr std::size_t utf8_to_bytes(std::span<std::byte> s) noexcept {
    const std::size_t n = s.size();
    std::size_t r = 0, w = 0;
    auto cont = [&](std::size_t k) { return k < n && (static_cast<std::uint8_t>(s[k]) & 0xC0) == 0x80; };
    while (r < n) {
        const auto c = static_cast<std::uint8_t>(s[r]);
        if (c < 0x80) {
            s[w++] = s[r++];
            continue;
        }
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1Fu;
        else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0Fu;
        else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07u;
        bool ok = len != 0;
        for (std::size_t k = 1; ok && k < len; ++k) {
            ok = cont(r + k);
            if (ok) cp = (cp << 6) | (static_cast<std::uint8_t>(s[r + k]) & 0x3Fu);
        }
        if (!ok) {
            s[w++] = std::byte{'?'};
            ++r;
            continue;
        }
        s[w++] = cp <= 0xFF ? static_cast<std::byte>(cp) : std::byte{'?'};
        r += len;
    }
    return w;
}

/// RFC 3986 section 5.2.4 remove_dot_segments on s[0, n) in place, for a path that starts with
/// '/' (a relative path is treated as if it did); returns the new length.
constexpr std::size_t remove_dot_segments(std::span<std::byte> s) noexcept {
    // As libhtp does it (read off Suricata 7): a "." or ".." segment leaves no slash behind at
    // the end of the path ("/a/." -> "/a", "/.." -> "", "/a/b/../" -> "/a").
    const std::size_t n = s.size();
    std::size_t r = 0, w = 0;
    auto seg_is = [&](std::size_t at, std::size_t len, const char* text) {
        for (std::size_t k = 0; k < len; ++k)
            if (at + k >= n || !is(s[at + k], text[k])) return false;
        return true;
    };
    auto ends_segment = [&](std::size_t at) { return at >= n || is(s[at], '/'); };
    auto only_slash_left = [&](std::size_t at) { return at + 1 == n && is(s[at], '/'); };
    while (r < n) {
        if (seg_is(r, 2, "/.") && ends_segment(r + 2)) {  // "/." or "/./"
            r += 2;
            if (only_slash_left(r)) r = n;
            continue;
        }
        if (seg_is(r, 3, "/..") && ends_segment(r + 3)) {  // "/.." or "/../": drop the last segment
            r += 3;
            while (w > 0 && !is(s[w - 1], '/')) --w;
            if (w > 0) --w;  // the slash that began that segment
            if (only_slash_left(r)) r = n;
            continue;
        }
        if (w == 0 && r == 0 && !is(s[0], '/')) {  // a relative path: "./" and "../" prefixes go
            if (seg_is(0, 2, "./")) { r = 2; continue; }
            if (seg_is(0, 3, "../")) { r = 3; continue; }
        }
        // Copy one segment: its leading '/', then up to the next '/'.
        do {
            s[w++] = s[r++];
        } while (r < n && !is(s[r], '/'));
    }
    return w;
}

}  // namespace detail

/// Where the parts of a request target are (offsets into it).
struct target_parts {
    std::size_t host_begin = 0, host_end = 0;  ///< authority host of an absolute-form target (empty otherwise)
    std::size_t path_begin = 0;                ///< first byte of path-and-query
    std::size_t query_begin = 0;               ///< the '?' (== size when there is none)
};

/// Splits a target: an absolute-form one ("scheme://authority/path?query", RFC 3986 section 3)
/// yields its host; every form yields where path and query begin.
[[nodiscard]] constexpr target_parts split_target(std::span<const std::byte> t) noexcept {
    target_parts p;
    const std::size_t n = t.size();
    std::size_t i = 0;
    auto alpha = [](std::byte b) {
        const auto c = static_cast<std::uint8_t>(b);
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    };
    auto scheme_char = [&](std::byte b) {
        const auto c = static_cast<std::uint8_t>(b);
        return alpha(b) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
    };
    if (n > 0 && alpha(t[0])) {
        while (i < n && scheme_char(t[i])) ++i;
        if (i + 2 < n && detail::is(t[i], ':') && detail::is(t[i + 1], '/') && detail::is(t[i + 2], '/')) {
            std::size_t a = i + 3, e = a;
            while (e < n && !detail::is(t[e], '/') && !detail::is(t[e], '?')) ++e;
            // authority = [userinfo "@"] host [":" port]
            std::size_t h = a;
            for (std::size_t k = a; k < e; ++k)
                if (detail::is(t[k], '@')) h = k + 1;
            std::size_t he = h;
            if (he < e && detail::is(t[he], '[')) {  // IPv6 literal
                while (he < e && !detail::is(t[he], ']')) ++he;
                if (he < e) ++he;
            } else {
                while (he < e && !detail::is(t[he], ':')) ++he;
            }
            p.host_begin = h;
            p.host_end = he;
            p.path_begin = e;
        }
    }
    p.query_begin = n;
    for (std::size_t k = p.path_begin; k < n; ++k)
        if (detail::is(t[k], '?')) {
            p.query_begin = k;
            break;
        }
    return p;
}

/// Normalises `target` into `out` (which must hold target.size() bytes); returns the length of
/// the normalised URI. `out` and `target` may not overlap.
constexpr std::size_t normalise_uri(std::span<const std::byte> target, std::span<std::byte> out) noexcept {
    if (out.size() < target.size()) return 0;
    const target_parts p = split_target(target);
    // Path: decode, backslash to slash, compress slashes, then remove dot segments.
    std::size_t w = 0;
    for (std::size_t k = p.path_begin; k < p.query_begin; ++k) out[w++] = target[k];
    std::size_t len = detail::percent_decode(out.subspan(0, w), true);
    std::size_t c = 0;
    for (std::size_t k = 0; k < len; ++k) {
        std::byte b = out[k];
        if (detail::is(b, '\\')) b = std::byte{'/'};
        if (detail::is(b, '/') && c > 0 && detail::is(out[c - 1], '/')) continue;
        out[c++] = b;
    }
    len = detail::utf8_to_bytes(out.subspan(0, c));
    len = detail::remove_dot_segments(out.subspan(0, len));
    // Query: '?' and the rest, decoded once.
    std::size_t q = len;
    for (std::size_t k = p.query_begin; k < target.size(); ++k) out[q++] = target[k];
    const std::size_t qlen = detail::percent_decode(out.subspan(len, q - len), false);
    return len + qlen;
}

}  // namespace secengine::http
