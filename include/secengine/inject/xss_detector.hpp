#pragma once
/// \file Cross-site scripting: an HTML / attribute / URL tokenizer over a decoded value.
///
/// The value is assumed to be reflected into a page in one of three places (the contexts of
/// the OWASP XSS Prevention Cheat Sheet): HTML text (a tag starts), an attribute value (a quote
/// ends it and an event handler follows), or a URL attribute (a script scheme). A fourth,
/// a script block, is caught by a call of a JavaScript sink after a quote or operator. The
/// ideas follow CRS rule family 941 (941110 script tags, 941120 event handlers, 941170
/// javascript: URIs, 941180 sink names) and libinjection's libinjection_xss.c (tag and
/// attribute blacklists over an HTML5 tokenizer) - our own tokenizer and our own lists.
/// Input: the value after URL decoding and HTML entity decoding (decode.hpp). No scratch.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "secengine/inject/decode.hpp"

namespace secengine::inject {

/// Which XSS rule fired.
enum class xss_rule : std::uint8_t { none, script_tag, event_handler, script_url, js_call, style_script, count_ };

inline constexpr std::string_view xss_rule_names[] = {"none", "dangerous tag", "event handler", "script URL",
                                                      "JavaScript call", "style script"};
static_assert(std::size(xss_rule_names) == static_cast<std::size_t>(xss_rule::count_));

[[nodiscard]] constexpr std::string_view name(xss_rule r) noexcept {
    const auto i = static_cast<std::size_t>(r);
    return i < std::size(xss_rule_names) ? xss_rule_names[i] : std::string_view{"unknown"};
}

/// The XSS verdict: the rule and the evidence (a view into the analysed text).
struct xss_verdict {
    xss_rule rule = xss_rule::none;
    std::string_view evidence{};
    [[nodiscard]] constexpr bool injection() const noexcept { return rule != xss_rule::none; }
};

namespace detail {

[[nodiscard]] constexpr bool xss_letter(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
[[nodiscard]] constexpr bool xss_ident(char c) noexcept {
    return xss_letter(c) || (c >= '0' && c <= '9') || c == '_' || c == '$';
}

/// Case-insensitive equality of `s` with lower-case `word`.
[[nodiscard]] constexpr bool ieq(std::string_view s, std::string_view word) noexcept {
    if (s.size() != word.size()) return false;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (ascii_lower(s[i]) != word[i]) return false;
    return true;
}

/// Whether `text` at `i` spells lower-case `word`, ignoring case and the tab/CR/LF that the
/// WHATWG URL parser strips ("java&Tab;script:"); returns the index after it, or 0.
[[nodiscard]] constexpr std::size_t match_loose(std::string_view text, std::size_t i, std::string_view word) noexcept {
    std::size_t k = 0;
    while (k < word.size()) {
        if (i >= text.size()) return 0;
        const char c = text[i];
        if (c == '\t' || c == '\n' || c == '\r') { ++i; continue; }
        if (ascii_lower(c) != word[k]) return 0;
        ++i;
        ++k;
    }
    return i;
}

/// Tags whose mere presence runs or loads script (or rewrites where the page's script comes from).
inline constexpr std::string_view xss_tags[] = {"applet", "base",  "embed", "frame", "frameset", "iframe", "import",
                                                "isindex", "link", "math",  "meta",  "object",   "script", "style",
                                                "svg",    "xml"};

/// Script-capable URL schemes (followed by ':'). `data` needs an HTML/SVG/script media type.
inline constexpr std::string_view xss_schemes[] = {"javascript", "vbscript", "livescript", "mocha"};

/// JavaScript sinks whose call is the payload's point.
inline constexpr std::string_view xss_sinks[] = {"alert", "prompt", "confirm", "eval", "settimeout", "setinterval",
                                                 "execscript", "fromcharcode", "atob", "import"};

inline constexpr std::uint32_t xss_scheme_letters = first_letters(xss_schemes) | (1u << ('d' - 'a'));  // + data:
inline constexpr std::uint32_t xss_sink_letters = first_letters(xss_sinks) | (1u << ('d' - 'a'));      // + document.

/// A script scheme at `i`: "javascript:" plus a call, assignment or template after it (so the
/// book title "JavaScript: The Good Parts" is text), or a data: URL with an active media type.
[[nodiscard]] constexpr std::size_t script_url_at(std::string_view text, std::size_t i) noexcept {
    for (const auto scheme : xss_schemes) {
        std::size_t e = match_loose(text, i, scheme);
        if (e == 0) continue;
        while (e < text.size() && (text[e] == ' ' || text[e] == '\t' || text[e] == '\n' || text[e] == '\r')) ++e;
        if (e >= text.size() || text[e] != ':') continue;
        for (std::size_t k = e + 1; k < text.size(); ++k)
            if (text[k] == '(' || text[k] == '`' || text[k] == '=') return k + 1;
    }
    std::size_t e = match_loose(text, i, "data:");
    if (e != 0) {
        while (e < text.size() && text[e] == ' ') ++e;
        for (const std::string_view mt : {std::string_view{"text/html"}, std::string_view{"image/svg"},
                                          std::string_view{"application/x-javascript"}, std::string_view{"text/javascript"}})
            if (match_loose(text, e, mt) != 0) return e + mt.size();
    }
    return 0;
}

}  // namespace detail

/// Classifies a decoded value.
[[nodiscard]] constexpr xss_verdict detect_xss(std::string_view s) noexcept {
    using namespace detail;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        // 1. A tag: '<' then an optional '/' then a letter (HTML5 "tag open state").
        if (c == '<' && i + 1 < s.size()) {
            std::size_t p = i + 1;
            if (s[p] == '/') ++p;
            if (p < s.size() && xss_letter(s[p])) {
                const std::size_t name_at = p;
                while (p < s.size() && (xss_ident(s[p]) || s[p] == ':' || s[p] == '-')) ++p;
                const std::string_view tag = slice(s, name_at, p - name_at);
                for (const auto t : xss_tags)
                    if (ieq(tag, t)) return {xss_rule::script_tag, slice(s, i, p - i)};
                // Attributes of any tag: name [= value], separated by whitespace or '/'.
                while (p < s.size() && s[p] != '>' && s[p] != '<') {
                    while (p < s.size() && (s[p] == ' ' || s[p] == '/' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r' ||
                                            s[p] == '\f'))
                        ++p;
                    const std::size_t an = p;
                    while (p < s.size() && s[p] != '=' && s[p] != '>' && s[p] != ' ' && s[p] != '/' && s[p] != '\t' &&
                           s[p] != '\n' && s[p] != '\r' && s[p] != '\f' && s[p] != '<')
                        ++p;
                    const std::string_view attr = slice(s, an, p - an);
                    if (attr.size() >= 5 && ascii_lower(attr[0]) == 'o' && ascii_lower(attr[1]) == 'n' && xss_letter(attr[2]))
                        return {xss_rule::event_handler, attr};
                    while (p < s.size() && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r')) ++p;
                    if (p < s.size() && s[p] == '=') {
                        ++p;
                        while (p < s.size() && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r')) ++p;
                        char q = 0;
                        if (p < s.size() && (s[p] == '"' || s[p] == '\'' || s[p] == '`')) q = s[p++];
                        const std::size_t v = p;
                        while (p < s.size() && (q != 0 ? s[p] != q : (s[p] != ' ' && s[p] != '>' && s[p] != '\t' && s[p] != '\n')))
                            ++p;
                        const std::string_view val = slice(s, v, p - v);
                        for (std::size_t k = 0; k < val.size(); ++k) {
                            if (const std::size_t e = script_url_at(val, k); e != 0)
                                return {xss_rule::script_url, slice(val, k, e - k)};
                            if (ieq(attr, "style") && match_loose(val, k, "expression(") != 0)
                                return {xss_rule::style_script, slice(val, k, 11)};
                        }
                        if (q != 0 && p < s.size()) ++p;
                    } else if (attr.empty()) {
                        if (p < s.size() && s[p] != '>' && s[p] != '<') ++p;  // stray punctuation
                    }
                }
            }
        }
        // 2. An event handler after an attribute break: `" onmouseover=`, `'/onload=`.
        if ((c == 'o' || c == 'O') && i + 3 < s.size() && (s[i + 1] == 'n' || s[i + 1] == 'N') &&
            (i == 0 || !xss_ident(s[i - 1]))) {
            std::size_t p = i + 2;
            while (p < s.size() && xss_letter(s[p])) ++p;
            std::size_t e = p;
            while (e < s.size() && (s[e] == ' ' || s[e] == '\t' || s[e] == '\n')) ++e;
            if (p - i >= 5 && e < s.size() && s[e] == '=' && (e + 1 >= s.size() || s[e + 1] != '=')) {
                // CRS 941120's left context: start, space, quote, '/', ';', ',', '('.
                const char pc = i == 0 ? ' ' : s[i - 1];
                if (pc == ' ' || pc == '\t' || pc == '\n' || pc == '\r' || pc == '\f' || pc == '"' || pc == '\'' ||
                    pc == '`' || pc == '/' || pc == ';' || pc == ',' || pc == '(')
                    return {xss_rule::event_handler, slice(s, i, p - i)};
            }
        }
        // 3. A script URL anywhere (the value is an href): at a word start.
        if (letter_in(xss_scheme_letters, c) && (i == 0 || !xss_ident(s[i - 1])))
            if (const std::size_t e = script_url_at(s, i); e != 0) return {xss_rule::script_url, slice(s, i, e - i)};
        // 4. A sink call after a quote/operator/start: `';alert(1)//`, `'-prompt(1)-'`, `alert(1)`.
        if (letter_in(xss_sink_letters, c) && (i == 0 || !xss_ident(s[i - 1]))) {
            std::size_t p = i;
            while (p < s.size() && xss_ident(s[p])) ++p;
            const std::string_view id = slice(s, i, p - i);
            bool sink = false;
            for (const auto k : xss_sinks) sink = sink || ieq(id, k);
            if (sink) {
                std::size_t e = p;
                while (e < s.size() && (s[e] == ' ' || s[e] == '\t')) ++e;
                std::size_t b = i;
                while (b > 0 && (s[b - 1] == ' ' || s[b - 1] == '\t')) --b;
                const bool call = e < s.size() && (s[e] == '(' || s[e] == '`');
                const char pc = b == 0 ? ';' : s[b - 1];
                const bool js_before = pc == ';' || pc == '\'' || pc == '"' || pc == '`' || pc == '(' || pc == '+' ||
                                       pc == '-' || pc == '*' || pc == '|' || pc == '&' || pc == ',' || pc == '=' ||
                                       pc == ':' || pc == '{' || pc == '}' || pc == '[' || pc == '>' || pc == '.' ||
                                       pc == '!' || pc == '/' || pc == '\\';
                if (call && js_before) return {xss_rule::js_call, slice(s, i, e + 1 - i)};
            }
            // document.cookie / document.write / window.location / .innerHTML
            if (ieq(id, "document") && p < s.size() && s[p] == '.') {
                std::size_t q = p + 1;
                while (q < s.size() && xss_ident(s[q])) ++q;
                const std::string_view member = slice(s, p + 1, q - p - 1);
                if (ieq(member, "cookie") || ieq(member, "write") || ieq(member, "domain") || ieq(member, "location"))
                    return {xss_rule::js_call, slice(s, i, q - i)};
            }
        }
    }
    return {};
}

}  // namespace secengine::inject
