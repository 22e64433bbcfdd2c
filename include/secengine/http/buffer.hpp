#pragma once
/// \file The inspection buffers a rule or detector can look at: Suricata 7's names, one id each.
///
/// The HTTP parser (secengine/http/) fills them per transaction; the rule evaluator and the
/// injection detector read them through a `buffer_set`. Suricata accepts two spellings for most
/// HTTP buffers - the content modifier (`content:"x"; http_uri;`) and the sticky buffer
/// (`http.uri; content:"x";`) - both map to the same id here.
/// Keyword reference: https://docs.suricata.io/en/latest/rules/http-keywords.html
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace secengine::http {

/// Inspection buffers. `payload` is the packet's (or reassembled stream's) raw bytes.
enum class buffer : std::uint8_t {
    payload,          ///< the raw payload (no buffer keyword)
    uri,              ///< http_uri / http.uri: the normalised request URI (percent-decoded, dot segments removed)
    raw_uri,          ///< http_raw_uri / http.uri.raw: the request target as sent
    method,           ///< http_method / http.method
    protocol,         ///< http.protocol: "HTTP/1.1"
    request_line,     ///< http.request_line: the whole first line without CRLF
    header,           ///< http_header / http.header: "Name: value\r\n" per header, Cookie excluded
    raw_header,       ///< http_raw_header / http.header.raw: the header block as sent
    header_names,     ///< http_header_names / http.header_names: "\r\nName\r\nName...\r\n\r\n"
    cookie,           ///< http_cookie / http.cookie: the Cookie (request) or Set-Cookie (response) value
    user_agent,       ///< http_user_agent / http.user_agent
    host,             ///< http_host / http.host: the Host header value, lower-cased, port kept
    raw_host,         ///< http_raw_host / http.host.raw
    content_type,     ///< http_content_type / http.content_type
    referer,          ///< http.referer
    request_body,     ///< http_client_body / http.request_body: de-chunked request body
    stat_code,        ///< http_stat_code / http.stat_code: "200"
    stat_msg,         ///< http_stat_msg / http.stat_msg: "OK"
    response_line,    ///< http.response_line
    response_body,    ///< file_data / http.response_body in responses: de-chunked response body
    dns_query,        ///< dns_query / dns.query: the query name, dotted, as sent
    count_
};

inline constexpr std::size_t buffer_count = static_cast<std::size_t>(buffer::count_);

/// The canonical (sticky-buffer) spelling of each buffer, for reports.
inline constexpr std::array<std::string_view, buffer_count> buffer_names{
    "payload",       "http.uri",         "http.uri.raw", "http.method",        "http.protocol",
    "http.request_line", "http.header",  "http.header.raw", "http.header_names", "http.cookie",
    "http.user_agent", "http.host",      "http.host.raw", "http.content_type", "http.referer",
    "http.request_body", "http.stat_code", "http.stat_msg", "http.response_line", "http.response_body",
    "dns.query",
};

[[nodiscard]] constexpr std::string_view name(buffer b) noexcept {
    const auto i = static_cast<std::size_t>(b);
    return i < buffer_count ? buffer_names[i] : std::string_view{"unknown"};
}

/// Views of the buffers of one inspection unit (a packet, or a transaction's request or
/// response). An absent buffer is an empty span with `present` false: a rule on a buffer that
/// does not exist does not match, while an empty-but-present buffer (e.g. "GET /" with no
/// query) still can (isdataat, negated content).
struct buffer_set {
    std::array<std::span<const std::byte>, buffer_count> data{};
    std::array<bool, buffer_count> present{};

    constexpr void set(buffer b, std::span<const std::byte> bytes) noexcept {
        data[static_cast<std::size_t>(b)] = bytes;
        present[static_cast<std::size_t>(b)] = true;
    }
    [[nodiscard]] constexpr std::span<const std::byte> get(buffer b) const noexcept {
        return data[static_cast<std::size_t>(b)];
    }
    [[nodiscard]] constexpr bool has(buffer b) const noexcept { return present[static_cast<std::size_t>(b)]; }
};

}  // namespace secengine::http
