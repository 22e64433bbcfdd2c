#pragma once
/// \file Parser for a practical subset of Suricata/Snort rules (one rule per line).
///
///     alert|drop <proto> <src> <sport> -> <dst> <dport> (msg:"..."; content:"..."; nocase; sid:N; ...)
///
/// Supported options: msg, content (with |hex| bytes and \" \; \\ escapes), nocase and
/// fast_pattern (modifiers of the content before them), sid, rev, classtype; reference,
/// metadata and priority are accepted and ignored (informational). Any other option - or a
/// content modifier we do not implement (depth, offset, http_uri, ...) - makes the whole rule
/// fail with `unsupported_option` and the option's name, never a silently different rule.
/// Suricata 7 rule format: https://docs.suricata.io/en/latest/rules/intro.html
/// A loaded rule becomes one signature: its fast_pattern content, else its longest content
/// (docs/dpi.md: the other contents are not checked). Header fields are parsed and kept for
/// reporting; the DPI stage applies the signature to every payload.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <secengine/dpi/aho_corasick.hpp>

namespace secengine::dpi {

enum class rule_error : std::uint8_t {
    ok,
    blank,               ///< empty line or comment: nothing to load, not an error
    bad_action,          ///< not alert/drop
    bad_header,          ///< fewer than 6 header fields or no "->"
    bad_port,            ///< port not a number/range/list/any
    missing_options,     ///< no "(...)" part
    bad_option_syntax,   ///< unterminated string, missing ';' or ')'
    unsupported_option,  ///< outside the subset (see `rule_result::option`)
    bad_content,         ///< empty, negated, or malformed |hex|
    content_too_long,    ///< longer than max_pattern_length
    too_many_contents,   ///< more than max_rule_contents
    bad_number,          ///< sid/rev not a decimal number
    missing_sid,
    no_content,          ///< nothing for the automaton to look for
    modifier_without_content,
    count_
};

inline constexpr std::string_view rule_error_names[] = {
    "ok",          "blank",          "bad_action",       "bad_header", "bad_port",
    "missing_options", "bad_option_syntax", "unsupported_option", "bad_content", "content_too_long",
    "too_many_contents", "bad_number", "missing_sid",    "no_content", "modifier_without_content",
};
static_assert(std::size(rule_error_names) == static_cast<std::size_t>(rule_error::count_));
[[nodiscard]] constexpr std::string_view name(rule_error e) noexcept {
    auto i = static_cast<std::size_t>(e);
    return i < std::size(rule_error_names) ? rule_error_names[i] : std::string_view{"unknown"};
}

inline constexpr std::size_t max_rule_contents = 8;
inline constexpr std::size_t max_rule_ports = 8;

/// A port specification: `any`, a number, a range `a:b` / `a:` / `:b`, a list `[..]`, `!` negation.
struct port_spec {
    struct range {
        std::uint16_t lo, hi;
    };
    bool any = true;
    bool negated = false;
    std::array<range, max_rule_ports> ranges{};
    std::uint8_t count = 0;
};

/// One decoded content string.
struct rule_content {
    std::array<char, max_pattern_length> bytes{};
    std::uint8_t len = 0;
    bool nocase = false;
    bool fast_pattern = false;
    [[nodiscard]] constexpr std::string_view view() const noexcept { return {bytes.data(), len}; }
};

/// A parsed rule. String views point into the parsed line.
struct rule {
    enum class action_kind : std::uint8_t { alert, drop } action = action_kind::alert;
    std::string_view proto, src, dst, msg, classtype;
    port_spec sport, dport;
    std::uint32_t sid = 0, rev = 0;
    std::array<rule_content, max_rule_contents> contents{};
    std::uint8_t ncontents = 0;

    /// The content that becomes the automaton pattern: fast_pattern, else the longest (first wins).
    [[nodiscard]] constexpr const rule_content& pattern() const noexcept {
        std::size_t best = 0;
        for (std::size_t i = 0; i < ncontents; ++i) {
            if (contents[i].fast_pattern) return contents[i];
            if (contents[i].len > contents[best].len) best = i;
        }
        return contents[best];
    }
    [[nodiscard]] constexpr pattern_spec signature() const noexcept {
        const rule_content& c = pattern();
        return {c.view(), sid, c.nocase};
    }
};

/// Parse outcome: error, the offending option name (for unsupported_option) and its column.
struct rule_result {
    rule_error error = rule_error::ok;
    std::string_view option{};
    std::size_t column = 0;
};

namespace detail {

[[nodiscard]] constexpr bool is_ws(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

[[nodiscard]] constexpr std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
    return s;
}

// Next whitespace-separated token of s (a bracketed list may contain spaces: "[80, 443]").
[[nodiscard]] constexpr std::string_view next_token(std::string_view& s) noexcept {
    s = trim(s);
    std::size_t i = 0;
    int depth = 0;
    while (i < s.size() && (depth > 0 || !is_ws(s[i]))) {
        if (s[i] == '[') ++depth;
        if (s[i] == ']') --depth;
        ++i;
    }
    const std::string_view t = s.substr(0, i);
    s.remove_prefix(i);
    return t;
}

[[nodiscard]] constexpr bool parse_u32(std::string_view s, std::uint32_t& v) noexcept {
    s = trim(s);
    if (s.empty() || s.size() > 10) return false;
    std::uint64_t x = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        x = x * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (x > 0xFFFFFFFFu) return false;
    v = static_cast<std::uint32_t>(x);
    return true;
}

[[nodiscard]] constexpr bool parse_port(std::string_view s, std::uint16_t& v) noexcept {
    std::uint32_t x = 0;
    if (!parse_u32(s, x) || x > 65535) return false;
    v = static_cast<std::uint16_t>(x);
    return true;
}

[[nodiscard]] constexpr bool parse_ports(std::string_view s, port_spec& out) noexcept {
    out = port_spec{};
    if (s == "any") return true;
    out.any = false;
    if (!s.empty() && s.front() == '!') {
        out.negated = true;
        s.remove_prefix(1);
    }
    if (!s.empty() && s.front() == '[') {
        if (s.size() < 2 || s.back() != ']') return false;
        s = s.substr(1, s.size() - 2);
    }
    while (true) {
        const std::size_t comma = s.find(',');
        const std::string_view item = trim(s.substr(0, comma));
        if (out.count >= max_rule_ports) return false;
        port_spec::range r{0, 65535};
        const std::size_t colon = item.find(':');
        if (colon == std::string_view::npos) {
            if (!parse_port(item, r.lo)) return false;
            r.hi = r.lo;
        } else {
            const auto a = item.substr(0, colon), b = item.substr(colon + 1);
            if (a.empty() && b.empty()) return false;
            if (!a.empty() && !parse_port(a, r.lo)) return false;
            if (!b.empty() && !parse_port(b, r.hi)) return false;
            if (r.lo > r.hi) return false;
        }
        out.ranges[out.count++] = r;
        if (comma == std::string_view::npos) return true;
        s.remove_prefix(comma + 1);
    }
}

[[nodiscard]] constexpr int hexval(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Decodes a content value (between the quotes, escapes still in): text, \x escapes of
// " ; \ : and |hex hex ...| byte blocks.
[[nodiscard]] constexpr rule_error decode_content(std::string_view v, rule_content& c) noexcept {
    std::size_t n = 0;
    auto put = [&](std::uint8_t b) {
        if (n >= max_pattern_length) return false;
        c.bytes[n++] = static_cast<char>(b);
        return true;
    };
    for (std::size_t i = 0; i < v.size(); ++i) {
        const char ch = v[i];
        if (ch == '\\') {
            if (i + 1 >= v.size()) return rule_error::bad_content;
            if (!put(static_cast<std::uint8_t>(v[++i]))) return rule_error::content_too_long;
        } else if (ch == '|') {
            int hi = -1;
            for (++i; i < v.size() && v[i] != '|'; ++i) {
                if (v[i] == ' ') continue;
                const int h = hexval(v[i]);
                if (h < 0) return rule_error::bad_content;
                if (hi < 0) {
                    hi = h;
                } else {
                    if (!put(static_cast<std::uint8_t>(hi * 16 + h))) return rule_error::content_too_long;
                    hi = -1;
                }
            }
            if (i >= v.size() || hi >= 0) return rule_error::bad_content;  // unterminated or odd digits
        } else {
            if (!put(static_cast<std::uint8_t>(ch))) return rule_error::content_too_long;
        }
    }
    if (n == 0) return rule_error::bad_content;
    c.len = static_cast<std::uint8_t>(n);
    return rule_error::ok;
}

}  // namespace detail

/// Parses one line. `blank` for empty/comment lines; on error `out` is unspecified.
[[nodiscard]] constexpr rule_result parse_rule(std::string_view line, rule& out) noexcept {
    out = rule{};
    const std::string_view all = line;
    auto col = [&](std::string_view at) { return static_cast<std::size_t>(at.data() - all.data()); };
    line = detail::trim(line);
    if (line.empty() || line.front() == '#') return {rule_error::blank, {}, 0};

    std::string_view rest = line;
    const std::string_view act = detail::next_token(rest);
    if (act == "alert") out.action = rule::action_kind::alert;
    else if (act == "drop") out.action = rule::action_kind::drop;
    else return {rule_error::bad_action, act, col(act)};

    const std::size_t open = rest.find('(');
    if (open == std::string_view::npos) return {rule_error::missing_options, {}, col(rest)};
    std::string_view header = rest.substr(0, open);
    std::string_view fields[6];
    for (auto& f : fields) f = detail::next_token(header);
    if (fields[5].empty() || !detail::trim(header).empty() || (fields[3] != "->" && fields[3] != "<>"))
        return {rule_error::bad_header, {}, col(rest)};
    out.proto = fields[0];
    out.src = fields[1];
    out.dst = fields[4];
    if (!detail::parse_ports(fields[2], out.sport)) return {rule_error::bad_port, fields[2], col(fields[2])};
    if (!detail::parse_ports(fields[5], out.dport)) return {rule_error::bad_port, fields[5], col(fields[5])};

    std::string_view opts = rest.substr(open + 1);
    bool have_sid = false, closed = false;
    while (true) {
        opts = detail::trim(opts);
        if (opts.empty()) break;
        if (opts.front() == ')') {
            closed = detail::trim(opts.substr(1)).empty();
            if (!closed) return {rule_error::bad_option_syntax, {}, col(opts)};
            break;
        }
        // name [":" value] ";"   - a quoted value may contain ';' and escaped quotes.
        std::size_t i = 0;
        while (i < opts.size() && opts[i] != ':' && opts[i] != ';' && opts[i] != ')') ++i;
        const std::string_view name = detail::trim(opts.substr(0, i));
        std::string_view value{};
        bool quoted = false;
        if (i < opts.size() && opts[i] == ':') {
            std::size_t j = i + 1;
            while (j < opts.size() && detail::is_ws(opts[j])) ++j;
            if (j < opts.size() && opts[j] == '"') {
                const std::size_t start = j + 1;
                for (j = start; j < opts.size() && opts[j] != '"'; ++j)
                    if (opts[j] == '\\') ++j;
                if (j >= opts.size()) return {rule_error::bad_option_syntax, name, col(name)};
                value = opts.substr(start, j - start);
                quoted = true;
                ++j;
                while (j < opts.size() && detail::is_ws(opts[j])) ++j;
                i = j;
            } else {
                const std::size_t start = j;
                while (j < opts.size() && opts[j] != ';') ++j;
                value = detail::trim(opts.substr(start, j - start));
                i = j;
            }
        }
        if (i >= opts.size() || opts[i] != ';') return {rule_error::bad_option_syntax, name, col(name)};
        opts.remove_prefix(i + 1);

        if (name == "msg") {
            out.msg = value;
        } else if (name == "content") {
            if (!quoted) return {rule_error::bad_content, name, col(name)};  // also catches content:!"x"
            if (out.ncontents >= max_rule_contents) return {rule_error::too_many_contents, name, col(name)};
            if (const rule_error e = detail::decode_content(value, out.contents[out.ncontents]); e != rule_error::ok)
                return {e, name, col(name)};
            ++out.ncontents;
        } else if (name == "nocase" || name == "fast_pattern") {
            if (out.ncontents == 0) return {rule_error::modifier_without_content, name, col(name)};
            if (!value.empty()) return {rule_error::unsupported_option, name, col(name)};  // fast_pattern:only etc.
            auto& c = out.contents[out.ncontents - 1u];
            (name == "nocase" ? c.nocase : c.fast_pattern) = true;
        } else if (name == "sid") {
            if (!detail::parse_u32(value, out.sid)) return {rule_error::bad_number, name, col(name)};
            have_sid = true;
        } else if (name == "rev") {
            if (!detail::parse_u32(value, out.rev)) return {rule_error::bad_number, name, col(name)};
        } else if (name == "classtype") {
            out.classtype = value;
        } else if (name == "reference" || name == "metadata" || name == "priority") {
            // informational only
        } else {
            return {rule_error::unsupported_option, name, col(name)};
        }
    }
    if (!closed) return {rule_error::bad_option_syntax, {}, col(opts)};
    if (!have_sid) return {rule_error::missing_sid, {}, 0};
    if (out.ncontents == 0) return {rule_error::no_content, {}, 0};
    return {};
}

}  // namespace secengine::dpi
