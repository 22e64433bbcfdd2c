#pragma once
/// \file Splitting request text into the name=value pairs the detector classifies.
///
/// Views only: a parameter is two string_views into the caller's text (still encoded; the
/// detector decodes the value). Formats: query strings and application/x-www-form-urlencoded
/// bodies (WHATWG URL standard, "application/x-www-form-urlencoded parsing": split on '&',
/// then on the first '='), Cookie headers (RFC 6265 section 5.4: "name=value" pairs separated
/// by "; "), and multipart/form-data bodies (RFC 7578: parts between "--boundary" lines, the
/// field name in Content-Disposition's name parameter).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "secengine/inject/decode.hpp"

namespace secengine::inject {

/// Where a value came from: reported in alerts, and selects how it is decoded ('+' is a space
/// only in query strings and form bodies).
enum class param_source : std::uint8_t { query, body, cookie, multipart, path, header, count_ };

inline constexpr std::string_view param_source_names[] = {"query", "body", "cookie", "multipart", "path", "header"};
static_assert(std::size(param_source_names) == static_cast<std::size_t>(param_source::count_));

[[nodiscard]] constexpr std::string_view name(param_source s) noexcept {
    const auto i = static_cast<std::size_t>(s);
    return i < std::size(param_source_names) ? param_source_names[i] : std::string_view{"unknown"};
}

/// Whether '+' means a space in values from `s` (form encoding only).
[[nodiscard]] constexpr bool plus_is_space(param_source s) noexcept {
    return s == param_source::query || s == param_source::body;
}

/// One parameter: views into the iterated text, not decoded.
struct param {
    std::string_view name;
    std::string_view value;
};

/// Iterates "a=1&b=2" (separator '&') or "a=1; b=2" (separator ';', leading spaces trimmed).
/// A pair without '=' has an empty value; empty pairs ("a=1&&b=2") are skipped.
class pair_iterator {
public:
    constexpr pair_iterator(std::string_view text, char separator) noexcept : text_(text), sep_(separator) {}

    /// For a source: query and body split on '&', cookie on ';'.
    [[nodiscard]] static constexpr pair_iterator for_source(std::string_view text, param_source s) noexcept {
        return pair_iterator(text, s == param_source::cookie ? ';' : '&');
    }

    /// Stores the next pair in `out`; false at the end.
    constexpr bool next(param& out) noexcept {
        while (pos_ < text_.size()) {
            std::size_t end = text_.find(sep_, pos_);
            if (end == std::string_view::npos) end = text_.size();
            std::string_view pair = slice(text_, pos_, end - pos_);
            pos_ = end + 1;
            if (sep_ == ';')
                while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
            if (pair.empty()) continue;
            const std::size_t eq = pair.find('=');
            if (eq == std::string_view::npos) {
                out = {pair, {}};
            } else {
                out = {slice(pair, 0, eq), slice(pair, eq + 1)};
            }
            return true;
        }
        return false;
    }

private:
    std::string_view text_;
    char sep_;
    std::size_t pos_ = 0;
};

/// The boundary parameter of a multipart Content-Type ("multipart/form-data; boundary=xyz",
/// quotes removed); empty when there is none (RFC 2046 section 5.1.1: 1..70 characters).
[[nodiscard]] constexpr std::string_view multipart_boundary(std::string_view content_type) noexcept {
    for (std::size_t i = 0; i + 9 <= content_type.size(); ++i) {
        bool hit = true;
        constexpr std::string_view key = "boundary=";
        for (std::size_t k = 0; k < key.size() && hit; ++k) hit = ascii_lower(content_type[i + k]) == key[k];
        if (!hit) continue;
        std::string_view b = slice(content_type, i + key.size());
        if (!b.empty() && b.front() == '"') {
            b.remove_prefix(1);
            const std::size_t q = b.find('"');
            b = slice(b, 0, q);
        } else {
            std::size_t e = 0;
            while (e < b.size() && b[e] != ';' && b[e] != ' ' && b[e] != '\t') ++e;
            b = slice(b, 0, e);
        }
        return b.size() <= 70 ? b : std::string_view{};
    }
    return {};
}

/// Iterates the fields of a multipart/form-data body: name from the part's
/// Content-Disposition `name="..."`, value = the part's content (before the CRLF that precedes
/// the next delimiter). A truncated body yields the fields that are complete plus the last
/// part's content up to the end of the text (a detector must see a payload even if the
/// closing delimiter never comes).
class multipart_iterator {
public:
    constexpr multipart_iterator(std::string_view body, std::string_view boundary) noexcept
        : body_(body), boundary_(boundary) {
        pos_ = boundary_.empty() ? body_.size() : find_delimiter(0);
    }

    constexpr bool next(param& out) noexcept {
        while (pos_ < body_.size()) {
            // pos_ is at "--boundary"; skip it and the rest of its line.
            std::size_t p = pos_ + 2 + boundary_.size();
            if (slice(body_, p, 2) == "--") {
                pos_ = body_.size();  // the close delimiter
                return false;
            }
            const std::size_t eol = body_.find('\n', p);
            if (eol == std::string_view::npos) { pos_ = body_.size(); return false; }
            p = eol + 1;
            // Part headers up to an empty line.
            std::string_view field;
            for (;;) {
                std::size_t e = body_.find('\n', p);
                if (e == std::string_view::npos) { pos_ = body_.size(); return false; }
                std::string_view line = slice(body_, p, e - p);
                if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
                p = e + 1;
                if (line.empty()) break;
                const std::string_view n = name_param(line);
                if (!n.empty()) field = n;
            }
            const std::size_t next_delim = find_delimiter(p);
            std::size_t end = next_delim;
            if (end < body_.size()) {
                // The CRLF before the delimiter belongs to the delimiter (RFC 2046 5.1.1).
                if (end >= p + 1 && body_[end - 1] == '\n') --end;
                if (end >= p + 1 && body_[end - 1] == '\r') --end;
            }
            pos_ = next_delim;
            out = {field, slice(body_, p, end - p)};
            return true;
        }
        return false;
    }

private:
    /// The next "--boundary" at a line start, at or after `from`; body size if none.
    [[nodiscard]] constexpr std::size_t find_delimiter(std::size_t from) const noexcept {
        for (std::size_t i = from; i + 2 + boundary_.size() <= body_.size(); ++i) {
            if ((i == 0 || body_[i - 1] == '\n') && body_[i] == '-' && body_[i + 1] == '-' &&
                slice(body_, i + 2, boundary_.size()) == boundary_)
                return i;
        }
        return body_.size();
    }

    /// name="x" of a Content-Disposition line (case-insensitive header name); empty otherwise.
    [[nodiscard]] static constexpr std::string_view name_param(std::string_view line) noexcept {
        constexpr std::string_view cd = "content-disposition:";
        if (line.size() < cd.size()) return {};
        for (std::size_t k = 0; k < cd.size(); ++k)
            if (ascii_lower(line[k]) != cd[k]) return {};
        for (std::size_t i = cd.size(); i + 6 <= line.size(); ++i) {
            // " name=" and ";name=" but not "filename=".
            if (slice(line, i, 5) == "name=" && (line[i - 1] == ' ' || line[i - 1] == ';')) {
                std::string_view v = slice(line, i + 5);
                if (!v.empty() && v.front() == '"') {
                    v.remove_prefix(1);
                    return slice(v, 0, v.find('"'));
                }
                std::size_t e = 0;
                while (e < v.size() && v[e] != ';') ++e;
                return slice(v, 0, e);
            }
        }
        return {};
    }

    std::string_view body_;
    std::string_view boundary_;
    std::size_t pos_ = 0;
};

}  // namespace secengine::inject
