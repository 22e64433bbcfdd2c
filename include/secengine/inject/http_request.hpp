#pragma once
/// \file The injection detector over one HTTP request's inspection buffers (http/buffer.hpp):
/// every place a client puts input - the query's parameters, the path, the Cookie's pairs,
/// User-Agent / Referer / X-Forwarded-For, and the body's fields (form-urlencoded pairs or
/// multipart/form-data parts) - classified by syntax (detector.hpp), first attack wins.
///
/// Raw buffers are used (`http.uri.raw`, not the normalised `http.uri`): the detector does its
/// own decoding (percent, double percent, overlong UTF-8, entities), and the normalised URI
/// would have decoded a `%26` into a parameter separator.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include <secengine/http/buffer.hpp>
#include <secengine/inject/detector.hpp>
#include <secengine/inject/params.hpp>

namespace secengine::inject {

/// An attack found in a request: what, where, and under which name.
struct request_finding {
    detection what{};
    param_source where = param_source::query;
    std::string_view name{};  ///< the parameter / header name (points into the buffers)
};

/// Which parts of a request to look at.
enum class request_part : std::uint8_t { head = 1, body = 2, all = 3 };

namespace detail {

[[nodiscard]] inline std::string_view text(const http::buffer_set& b, http::buffer id) noexcept {
    const auto s = b.get(id);
    return {reinterpret_cast<const char*>(s.data()), s.size()};
}

[[nodiscard]] constexpr bool starts_with_nocase(std::string_view s, std::string_view prefix) noexcept {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char a = s[i];
        if (a >= 'A' && a <= 'Z') a = static_cast<char>(a + 32);
        if (a != prefix[i]) return false;
    }
    return true;
}

// First attack among the pairs of `text` from `source`: values, then names (names are input too).
[[nodiscard]] constexpr request_finding scan_pairs(std::string_view txt, param_source source, std::span<char> scratch) noexcept {
    pair_iterator it = pair_iterator::for_source(txt, source);
    param p;
    while (it.next(p)) {
        detection d = classify(p.value, source, scratch);
        if (!d.attack() && !p.name.empty()) d = classify(p.name, source, scratch);
        if (d.attack()) return {d, source, p.name};
    }
    return {};
}

// The value of header `name` ("x-forwarded-for") in an http.header buffer ("Name: value\r\n"...).
[[nodiscard]] constexpr std::string_view header_value(std::string_view headers, std::string_view lower_name) noexcept {
    std::size_t at = 0;
    while (at < headers.size()) {
        std::size_t end = headers.find('\n', at);
        if (end == std::string_view::npos) end = headers.size();
        std::string_view line = slice(headers, at, end - at);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.size() > lower_name.size() + 1 && starts_with_nocase(line, lower_name) && line[lower_name.size()] == ':') {
            std::string_view v = slice(line, lower_name.size() + 1);
            while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
            return v;
        }
        at = end + 1;
    }
    return {};
}

}  // namespace detail

/// Classifies the request in `b`; `scratch` is the decoding buffer (detector.hpp: values longer
/// than it are inspected over their first scratch.size() bytes and marked truncated).
[[nodiscard]] inline request_finding inspect_request(const http::buffer_set& b, request_part part, std::span<char> scratch) noexcept {
    using detail::text;
    if ((static_cast<unsigned>(part) & static_cast<unsigned>(request_part::head)) != 0) {
        const std::string_view target = text(b, http::buffer::raw_uri);
        const std::size_t q = target.find('?');
        const std::string_view path = q == std::string_view::npos ? target : slice(target, 0, q);
        if (q != std::string_view::npos) {
            if (auto f = detail::scan_pairs(slice(target, q + 1), param_source::query, scratch); f.what.attack()) return f;
        }
        if (path.size() > 1) {
            const detection d = classify(path, param_source::path, scratch);
            if (d.attack()) return {d, param_source::path, {}};
        }
        if (b.has(http::buffer::cookie)) {
            if (auto f = detail::scan_pairs(text(b, http::buffer::cookie), param_source::cookie, scratch); f.what.attack()) return f;
        }
        struct header_source {
            http::buffer id;
            std::string_view name;
        };
        constexpr header_source headers[] = {{http::buffer::user_agent, "User-Agent"}, {http::buffer::referer, "Referer"}};
        for (const auto& h : headers) {
            if (!b.has(h.id)) continue;
            const detection d = classify(text(b, h.id), param_source::header, scratch);
            if (d.attack()) return {d, param_source::header, h.name};
        }
        if (const std::string_view xff = detail::header_value(text(b, http::buffer::header), "x-forwarded-for"); !xff.empty()) {
            const detection d = classify(xff, param_source::header, scratch);
            if (d.attack()) return {d, param_source::header, "X-Forwarded-For"};
        }
    }
    if ((static_cast<unsigned>(part) & static_cast<unsigned>(request_part::body)) != 0 && b.has(http::buffer::request_body)) {
        const std::string_view body = text(b, http::buffer::request_body);
        const std::string_view type = text(b, http::buffer::content_type);
        if (detail::starts_with_nocase(type, "multipart/form-data")) {
            multipart_iterator it(body, multipart_boundary(type));
            param p;
            while (it.next(p)) {
                const detection d = classify(p.value, param_source::multipart, scratch);
                if (d.attack()) return {d, param_source::multipart, p.name};
            }
        } else if (type.empty() || detail::starts_with_nocase(type, "application/x-www-form-urlencoded")) {
            if (auto f = detail::scan_pairs(body, param_source::body, scratch); f.what.attack()) return f;
        }
    }
    return {};
}

}  // namespace secengine::inject
