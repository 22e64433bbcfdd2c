#pragma once
/// \file Whether a connection's first client bytes start an HTTP/1.x request - the test that
/// finds HTTP by content on any port (as Suricata's protocol detection does), not by port.
///
/// A request starts with a method and a space (RFC 9112 section 3); the methods are RFC 9110
/// section 9's, PATCH (RFC 5789) and WebDAV's PROPFIND (RFC 4918). Segments can be a few bytes
/// long, so a strict prefix of "METHOD " is `undecided`: the caller keeps those bytes (at most
/// `max_request_start - 1`) and asks again with more.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace secengine::http {

inline constexpr std::array<std::string_view, 10> request_methods{"GET ",     "POST ",  "HEAD ",  "PUT ",     "DELETE ",
                                                                  "OPTIONS ", "PATCH ", "TRACE ", "CONNECT ", "PROPFIND "};

/// The longest method and its space: more bytes than this always decide.
inline constexpr std::size_t max_request_start = [] {
    std::size_t n = 0;
    for (auto m : request_methods) n = m.size() > n ? m.size() : n;
    return n;
}();

enum class request_start : std::uint8_t { http, other, undecided };

/// Classifies the first bytes a client sent.
[[nodiscard]] constexpr request_start classify_request_start(std::span<const std::byte> first) noexcept {
    bool prefix = false;
    for (auto m : request_methods) {
        const std::size_t upto = first.size() < m.size() ? first.size() : m.size();
        bool same = true;
        for (std::size_t k = 0; k < upto && same; ++k) same = static_cast<std::uint8_t>(first[k]) == static_cast<std::uint8_t>(m[k]);
        if (!same) continue;
        if (first.size() >= m.size()) return request_start::http;
        prefix = true;
    }
    return prefix ? request_start::undecided : request_start::other;
}

}  // namespace secengine::http
