#pragma once
/// \file Suricata's `pcre:` option value: `"/pattern/modifiers"`, optionally negated with `!`.
///
/// Modifiers (https://docs.suricata.io/en/latest/rules/pcre.html, Suricata 7 detect-pcre.c):
/// PCRE flags i s m x A E G; Suricata's R (relative to the previous match) and O (override the
/// match limit: accepted, our matcher has no limit to override); the buffer letters
/// U uri, I raw_uri, P request_body, Q response_body, H header, D raw_header, M method,
/// C cookie, S stat_code, Y stat_msg, V user_agent, W host, Z raw_host, and B (raw bytes,
/// Snort compatibility: the payload).
#include <cstddef>
#include <string_view>

#include <secengine/http/buffer.hpp>
#include <secengine/regex/error.hpp>

namespace secengine::regex {

/// A parsed `pcre:` option value. `pattern` views the caller's string (not copied).
struct pcre_option {
    std::string_view pattern{};  ///< between the slashes, escapes untouched
    bool negated = false;        ///< `pcre:!"/x/"`
    bool caseless = false, dotall = false, multiline = false, extended = false;
    bool anchored = false;       ///< A: PCRE2_ANCHORED (match only at the search start)
    bool dollar_endonly = false; ///< E: `$` only at the very end
    bool ungreedy = false;       ///< G: quantifiers lazy unless followed by `?`
    bool relative = false;       ///< R: starts at the previous content/pcre match end
    http::buffer buffer = http::buffer::payload;  ///< from the buffer letters; payload if none
    bool buffer_set = false;     ///< a buffer modifier letter was given
    error err = error::ok;
    std::size_t column = 0;      ///< first problem, column into the option value
};

namespace detail {
/// The buffer a modifier letter selects, or count_ when the letter is not a buffer letter.
[[nodiscard]] constexpr http::buffer buffer_of(char c) noexcept {
    using b = http::buffer;
    switch (c) {
        case 'U': return b::uri;
        case 'I': return b::raw_uri;
        case 'P': return b::request_body;
        case 'Q': return b::response_body;
        case 'H': return b::header;
        case 'D': return b::raw_header;
        case 'M': return b::method;
        case 'C': return b::cookie;
        case 'S': return b::stat_code;
        case 'Y': return b::stat_msg;
        case 'V': return b::user_agent;
        case 'W': return b::host;
        case 'Z': return b::raw_host;
        case 'B': return b::payload;
        default: return b::count_;
    }
}
}  // namespace detail

/// Parse a pcre option value, with or without the surrounding quotes. Leading/trailing blanks
/// are ignored. On error `err`/`column` name the first problem; the other fields are partial.
[[nodiscard]] constexpr pcre_option parse_pcre_option(std::string_view value) noexcept {
    pcre_option o{};
    const auto fail = [&o](error e, std::size_t col) {
        o.err = e;
        o.column = col;
        return o;
    };
    std::size_t b = 0, e = value.size();
    while (b < e && (value[b] == ' ' || value[b] == '\t')) ++b;
    while (e > b && (value[e - 1] == ' ' || value[e - 1] == '\t')) --e;
    if (b < e && value[b] == '!') {
        o.negated = true;
        ++b;
        while (b < e && (value[b] == ' ' || value[b] == '\t')) ++b;
    }
    if (b < e && value[b] == '"') {
        // The closing quote is the last byte, not preceded by an escaping backslash.
        if (e - b < 2 || value[e - 1] != '"') return fail(error::missing_quote, e);
        std::size_t bs = 0;
        for (std::size_t i = e - 1; i > b + 1 && value[i - 1] == '\\'; --i) ++bs;
        if (bs % 2 == 1) return fail(error::missing_quote, e - 1);
        ++b;
        --e;
    }
    if (b >= e) return fail(error::empty_value, b);
    if (value[b] != '/') return fail(error::missing_slash, b);
    // The pattern ends at the last '/' (modifiers never contain one).
    std::size_t close = e;
    for (std::size_t i = e; i > b + 1; --i)
        if (value[i - 1] == '/') {
            close = i - 1;
            break;
        }
    if (close == e) return fail(error::unterminated_pattern, e);
    o.pattern = value.substr(b + 1, close - b - 1);
    for (std::size_t i = close + 1; i < e; ++i) {
        const char c = value[i];
        switch (c) {
            case 'i': o.caseless = true; continue;
            case 's': o.dotall = true; continue;
            case 'm': o.multiline = true; continue;
            case 'x': o.extended = true; continue;
            case 'A': o.anchored = true; continue;
            case 'E': o.dollar_endonly = true; continue;
            case 'G': o.ungreedy = true; continue;
            case 'R': o.relative = true; continue;
            case 'O': continue;
            default: break;
        }
        const http::buffer buf = detail::buffer_of(c);
        if (buf == http::buffer::count_) return fail(error::unknown_modifier, i);
        if (o.buffer_set && o.buffer != buf) return fail(error::conflicting_buffer, i);
        o.buffer = buf;
        o.buffer_set = true;
    }
    return o;
}

}  // namespace secengine::regex
