#pragma once
/// \file Streaming HTTP/1.x message parser: bytes in any segmentation, events out, 12 bytes of
/// state per direction, no copy of the input.
///
/// The parser walks RFC 9112 message syntax - start line (request line, section 3, or status
/// line, section 4), header fields (section 5, obs-fold joined with SP), message body framed by
/// Content-Length or chunked transfer coding (sections 6-7; chunked wins over Content-Length,
/// section 6.3) or, for responses, by the close of the connection - and tells a sink what it
/// found as spans of the input: `data(part, header, bytes)` may come in several pieces (one per
/// segment or chunk), `end(part, header)` closes the part. It never buffers, so its state is the
/// same whatever the segmentation; `http::transaction` (transaction.hpp) is the sink that
/// assembles Suricata's inspection buffers from these events.
///
/// Lenient where servers are (bare LF, empty lines before a request, obs-fold, a bad version):
/// counted as an anomaly, parsed on. Unrecoverable framing (a bad start line, a bad chunk size)
/// is counted and the parser resynchronises at the next line that starts a message, so one
/// malformed request never hides the flow's later ones (docs/http.md).
///
/// Request/response pairing only matters for one thing: a response to HEAD has no body
/// (RFC 9110 section 9.3.2). Both directions of a connection share a `pairing` that remembers,
/// in order, which of up to 8 outstanding requests were HEAD.
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/http/error.hpp>
#include <secengine/http/header_id.hpp>

namespace secengine::http {

/// The parts of a message a sink receives.
enum class part : std::uint8_t {
    method, target, version, status_code, reason, header_name, header_value, body,
    header_block,  ///< the header section exactly as sent, separators and final empty line included
    count_
};

/// What a parser reports to; every call is optional to act on, none may fail.
template <class S>
concept message_sink = requires(S& s, part p, header_id h, std::span<const std::byte> b, anomaly a) {
    s.message_begin();
    s.data(p, h, b);
    s.end(p, h);
    s.headers_complete();
    s.message_complete();
    s.report(a);
};

/// Which outstanding requests were HEAD, oldest first (bit 0); shared by both directions.
struct pairing {
    std::uint8_t head_bits = 0;
    std::uint8_t count = 0;
    static constexpr std::uint8_t depth = 8;

    constexpr void push(bool head) noexcept {
        if (count == depth) return;  // deeper pipelining: the extra requests count as non-HEAD
        if (head) head_bits = static_cast<std::uint8_t>(head_bits | (1u << count));
        ++count;
    }
    [[nodiscard]] constexpr bool front_is_head() const noexcept { return count != 0 && (head_bits & 1u) != 0; }
    constexpr void pop() noexcept {
        if (count == 0) return;
        head_bits = static_cast<std::uint8_t>(head_bits >> 1);
        --count;
    }
};

/// One direction's parser state (12 bytes; lives in the caller, per flow and direction).
struct parser_state {
    enum class phase : std::uint8_t {
        line_start, method, target, request_version, response_version, status_code, reason, start_line_lf,
        header_start, header_name, header_ows, header_value, header_lf, headers_end_lf,
        body_length, chunk_size, chunk_ext, chunk_size_lf, chunk_data, chunk_data_cr, chunk_data_lf,
        trailer_start, trailer_line, body_until_close, skip_line,
    };
    std::uint32_t length = 0;      ///< Content-Length, then bytes left in the body or the chunk
    std::uint16_t candidates = 0;  ///< header_matcher mask while a name streams
    phase ph = phase::line_start;
    std::uint8_t sub = 0;          ///< position in a name / progress through a fixed token
    header_id header = header_id::other;
    std::uint8_t flags = 0;
    std::uint8_t flags2 = 0;
    std::uint8_t spare = 0;

    // flags
    static constexpr std::uint8_t response = 0x01;      ///< this direction carries responses
    static constexpr std::uint8_t chunked = 0x02;
    static constexpr std::uint8_t has_length = 0x04;
    static constexpr std::uint8_t head = 0x08;          ///< request: method is HEAD; response: answers a HEAD
    static constexpr std::uint8_t value_open = 0x10;    ///< a header value's end is pending (obs-fold check)
    static constexpr std::uint8_t resync = 0x20;        ///< skipping to a start line; anomalies not repeated
    static constexpr std::uint8_t no_body = 0x40;       ///< status 1xx, 204 or 304
    static constexpr std::uint8_t interim = 0x80;       ///< status 1xx: the request is still outstanding
    // flags2
    static constexpr std::uint8_t message_open = 0x01;  ///< message_begin sent, message_complete not yet
    static constexpr std::uint8_t length_bad = 0x02;    ///< this Content-Length value stopped parsing
    static constexpr std::uint8_t in_headers = 0x04;    ///< skip_line is skipping a bad header line
    static constexpr std::uint8_t length_invalid = 0x08; ///< a Content-Length value was not a number

    /// A parser for the direction that carries requests (client to server) or responses.
    [[nodiscard]] static constexpr parser_state for_requests() noexcept { return {}; }
    [[nodiscard]] static constexpr parser_state for_responses() noexcept {
        parser_state s;
        s.flags = response;
        return s;
    }
    [[nodiscard]] constexpr bool is_response() const noexcept { return (flags & response) != 0; }
    /// True between a message's first byte and its end.
    [[nodiscard]] constexpr bool in_message() const noexcept { return (flags2 & message_open) != 0; }
};
static_assert(sizeof(parser_state) == 12, "per-flow HTTP state budget (docs/memory.md)");

namespace detail {

/// RFC 9110 section 5.6.2 tchar.
[[nodiscard]] constexpr bool is_tchar(std::uint8_t c) noexcept {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    switch (c) {
        case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
        case '^': case '_': case '`': case '|': case '~': return true;
        default: return false;
    }
}
[[nodiscard]] constexpr int hex_value(std::uint8_t c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
[[nodiscard]] constexpr std::uint8_t fold(std::uint8_t c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<std::uint8_t>(c + 32) : c; }

inline constexpr char http_slash[] = "HTTP/";
inline constexpr char chunked_token[] = "chunked";
inline constexpr std::uint8_t token_mismatch = 0xFF;

}  // namespace detail

/// Feeds `bytes` of one direction. `pair` is the connection's shared pairing state.
template <message_sink Sink>
constexpr void feed(parser_state& s, pairing& pair, std::span<const std::byte> bytes, Sink& sink) noexcept {
    using ph = parser_state::phase;
    using ps = parser_state;
    const std::size_t n = bytes.size();
    std::size_t i = 0;
    // The header section is also reported whole (part::header_block), separators included, for
    // the raw-header buffer: every byte consumed in a header-section phase, in order.
    constexpr std::size_t none = ~std::size_t{0};
    std::size_t block_from = none;
    auto flush_block = [&](std::size_t to) {
        if (block_from != none && to > block_from) sink.data(part::header_block, header_id::other, bytes.subspan(block_from, to - block_from));
        block_from = none;
    };
    auto at = [&](std::size_t k) { return static_cast<std::uint8_t>(bytes[k]); };
    // Emits bytes[from, to) as a piece of part p when non-empty.
    auto piece = [&](part p, std::size_t from, std::size_t to) {
        if (to > from) sink.data(p, s.header, bytes.subspan(from, to - from));
    };
    auto anomaly_once = [&](anomaly a) {
        if ((s.flags & ps::resync) == 0) sink.report(a);
    };
    auto fail_start_line = [&](anomaly a) {
        anomaly_once(a);
        s.flags = static_cast<std::uint8_t>((s.flags & ps::response) | ps::resync);
        s.flags2 = 0;
        s.ph = ph::skip_line;
    };
    auto complete = [&] {
        const bool interim = (s.flags & ps::interim) != 0;
        if (!s.is_response()) pair.push((s.flags & ps::head) != 0);
        else if (!interim) pair.pop();
        s.flags = static_cast<std::uint8_t>(s.flags & ps::response);
        s.flags2 = 0;
        s.length = 0;
        s.header = header_id::other;
        s.ph = ph::line_start;
        sink.message_complete();
    };
    auto begin_message = [&] {
        s.flags2 = ps::message_open;
        s.length = 0;
        s.sub = 0;
        s.header = header_id::other;
        if (s.is_response() && pair.front_is_head()) s.flags = static_cast<std::uint8_t>(s.flags | ps::head);
        sink.message_begin();
    };
    // The end of a header line (not folded): apply Content-Length / Transfer-Encoding.
    auto finish_header = [&] {
        s.flags = static_cast<std::uint8_t>(s.flags & ~ps::value_open);
        if (s.header == header_id::transfer_encoding) {
            if (s.sub == sizeof detail::chunked_token - 1) s.flags = static_cast<std::uint8_t>(s.flags | ps::chunked);
            else s.flags = static_cast<std::uint8_t>(s.flags & ~ps::chunked);  // the final coding decides
        }
        sink.end(part::header_value, s.header);
        s.header = header_id::other;
    };
    auto headers_done = [&] {
        flush_block(i);  // the whole section, final empty line included, before anyone reads it
        if ((s.flags2 & ps::length_invalid) != 0) {
            // An unusable Content-Length: a server answers 400 (RFC 9112 section 6.3 (5)); read no body.
            s.flags = static_cast<std::uint8_t>(s.flags & ~ps::has_length);
            s.length = 0;
        }
        sink.headers_complete();
        s.header = header_id::other;
        const bool chunked = (s.flags & ps::chunked) != 0;
        if (chunked && (s.flags & ps::has_length) != 0) sink.report(anomaly::length_and_chunked);
        if (s.is_response() && (s.flags & (ps::head | ps::no_body)) != 0) return complete();
        if (chunked) {
            s.length = 0;
            s.sub = 0;
            s.ph = ph::chunk_size;
        } else if ((s.flags & ps::has_length) != 0) {
            if (s.length == 0) {
                sink.end(part::body, header_id::other);
                return complete();
            }
            s.ph = ph::body_length;
        } else if (s.is_response()) {
            s.ph = ph::body_until_close;
        } else {
            return complete();  // a request without framing has no body (RFC 9112 section 6.3 (7))
        }
    };
    auto end_start_line = [&](std::uint8_t c) {
        if (c == '\n') {
            sink.report(anomaly::bare_lf);
            s.ph = ph::header_start;
        } else {
            s.ph = ph::start_line_lf;
        }
        s.flags = static_cast<std::uint8_t>(s.flags & ~ps::resync);  // a start line parsed: in sync again
    };

    auto header_section = [](ph p) { return p >= ph::header_start && p <= ph::headers_end_lf; };
    while (i < n) {
        if (block_from == none && header_section(s.ph)) block_from = i;
        const std::uint8_t c = at(i);
        switch (s.ph) {
            case ph::line_start:
                if (c == '\r' || c == '\n') { ++i; break; }  // empty lines before a message (RFC 9112 section 2.2)
                if (s.is_response()) {
                    begin_message();
                    s.ph = ph::response_version;
                } else if (detail::is_tchar(c)) {
                    begin_message();
                    s.ph = ph::method;
                } else {
                    fail_start_line(anomaly::bad_request_line);
                }
                break;
            case ph::method: {
                std::size_t j = i;
                while (j < n && detail::is_tchar(at(j))) {
                    // "HEAD" is the one method whose name changes the framing of the answer.
                    if (s.sub != detail::token_mismatch) {
                        s.sub = (s.sub < 4 && at(j) == static_cast<std::uint8_t>("HEAD"[s.sub])) ? static_cast<std::uint8_t>(s.sub + 1)
                                                                                                  : detail::token_mismatch;
                    }
                    ++j;
                }
                piece(part::method, i, j);
                i = j;
                if (i == n) break;
                if (at(i) == ' ') {
                    if (s.sub == 4) s.flags = static_cast<std::uint8_t>(s.flags | ps::head);
                    sink.end(part::method, header_id::other);
                    s.sub = 0;
                    s.ph = ph::target;
                    ++i;
                } else {
                    fail_start_line(anomaly::bad_request_line);
                }
                break;
            }
            case ph::target: {
                if (s.sub == 0 && c == ' ') { ++i; break; }  // extra spaces before the target
                std::size_t j = i;
                while (j < n && at(j) != ' ' && at(j) != '\r' && at(j) != '\n') ++j;
                if (j > i) s.sub = 1;
                piece(part::target, i, j);
                i = j;
                if (i == n) break;
                if (s.sub == 0) {  // "GET \r\n": no target at all
                    fail_start_line(anomaly::bad_request_line);
                    break;
                }
                sink.end(part::target, header_id::other);
                if (at(i) == ' ') {
                    s.sub = 0;
                    s.ph = ph::request_version;
                    ++i;
                } else {
                    // HTTP/0.9 simple request: no version, no header section, no body.
                    if (at(i) == '\r') ++i;
                    if (i < n && at(i) == '\n') ++i;
                    s.flags = static_cast<std::uint8_t>(s.flags & ~ps::resync);
                    complete();
                }
                break;
            }
            case ph::request_version:
            case ph::response_version: {
                const bool request = s.ph == ph::request_version;
                if (request && s.sub == 0 && c == ' ') { ++i; break; }
                std::size_t j = i;
                const std::uint8_t stop = request ? '\r' : ' ';
                while (j < n && at(j) != stop && at(j) != '\n' && (request || at(j) != '\r')) {
                    // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 section 2.3)
                    const std::uint8_t v = at(j);
                    std::uint8_t& k = s.sub;
                    if (k < 5) k = v == static_cast<std::uint8_t>(detail::http_slash[k]) ? static_cast<std::uint8_t>(k + 1) : detail::token_mismatch;
                    else if (k == 5 || k == 7) k = (v >= '0' && v <= '9') ? static_cast<std::uint8_t>(k + 1) : detail::token_mismatch;
                    else if (k == 6) k = v == '.' ? 7 : detail::token_mismatch;
                    else k = detail::token_mismatch;
                    if (!request && k == detail::token_mismatch) break;
                    ++j;
                }
                piece(part::version, i, j);
                i = j;
                if (i == n) break;
                if (!request) {
                    if (s.sub != 8 || at(i) != ' ') {
                        fail_start_line(anomaly::bad_status_line);
                        break;
                    }
                    sink.end(part::version, header_id::other);
                    s.sub = 0;
                    s.ph = ph::status_code;
                    ++i;
                    break;
                }
                if (s.sub != 8) sink.report(anomaly::bad_version);
                sink.end(part::version, header_id::other);
                end_start_line(at(i));
                ++i;
                break;
            }
            case ph::status_code:
                if (s.sub < 3) {
                    if (c < '0' || c > '9') {
                        fail_start_line(anomaly::bad_status_line);
                        break;
                    }
                    if (s.sub == 0) {
                        if (c == '1') s.flags = static_cast<std::uint8_t>(s.flags | ps::no_body | ps::interim);
                        s.length = static_cast<std::uint32_t>(c - '0');
                    } else {
                        s.length = s.length * 10 + static_cast<std::uint32_t>(c - '0');
                    }
                    piece(part::status_code, i, i + 1);
                    ++s.sub;
                    ++i;
                    break;
                }
                if (s.length == 204 || s.length == 304) s.flags = static_cast<std::uint8_t>(s.flags | ps::no_body);
                s.length = 0;
                sink.end(part::status_code, header_id::other);
                if (c == ' ') {
                    s.ph = ph::reason;
                    ++i;
                } else if (c == '\r' || c == '\n') {
                    sink.end(part::reason, header_id::other);
                    end_start_line(c);
                    ++i;
                } else {
                    fail_start_line(anomaly::bad_status_line);
                }
                break;
            case ph::reason: {
                std::size_t j = i;
                while (j < n && at(j) != '\r' && at(j) != '\n') ++j;
                piece(part::reason, i, j);
                i = j;
                if (i == n) break;
                sink.end(part::reason, header_id::other);
                end_start_line(at(i));
                ++i;
                break;
            }
            case ph::start_line_lf:
            case ph::header_lf:
            case ph::headers_end_lf:
            case ph::chunk_size_lf: {
                // After a CR: the LF that ends the line (a CR alone is taken as the line end too).
                const ph was = s.ph;
                if (c == '\n') ++i;
                if (was == ph::start_line_lf) s.ph = ph::header_start;
                else if (was == ph::header_lf) s.ph = ph::header_start;
                else if (was == ph::headers_end_lf) headers_done();
                else s.ph = s.length == 0 ? ph::trailer_start : ph::chunk_data;
                break;
            }
            case ph::header_start:
                if ((s.flags & ps::value_open) != 0) {
                    if (c == ' ' || c == '\t') {  // obs-fold: the value goes on; the first blank stands for the fold
                        sink.report(anomaly::obs_fold);
                        piece(part::header_value, i, i + 1);
                        ++i;
                        s.ph = ph::header_ows;
                        break;
                    }
                    finish_header();
                }
                if (c == '\r') {
                    s.ph = ph::headers_end_lf;
                    ++i;
                } else if (c == '\n') {
                    sink.report(anomaly::bare_lf);
                    ++i;
                    headers_done();
                } else {
                    s.candidates = header_matcher::all;
                    s.sub = 0;
                    s.header = header_id::other;
                    s.ph = ph::header_name;
                }
                break;
            case ph::header_name: {
                std::size_t j = i;
                while (j < n && detail::is_tchar(at(j))) {
                    s.candidates = s.sub == 0xFF ? 0 : header_matcher::step(s.candidates, s.sub, at(j));
                    if (s.sub != 0xFF) ++s.sub;
                    ++j;
                }
                piece(part::header_name, i, j);
                i = j;
                if (i == n) break;
                if (at(i) != ':' || s.sub == 0) {
                    // No colon, an empty name, or whitespace/CTL inside the name (RFC 9112 section 5.1):
                    // the line is not a field; skip it.
                    sink.report(anomaly::bad_header_line);
                    sink.end(part::header_name, header_id::other);
                    s.ph = ph::skip_line;
                    s.flags2 = static_cast<std::uint8_t>(s.flags2 | ps::in_headers);
                    break;
                }
                s.header = header_matcher::finish(s.candidates, s.sub);
                sink.end(part::header_name, s.header);
                s.sub = 0;
                s.flags2 = static_cast<std::uint8_t>(s.flags2 & ~ps::length_bad);
                if (s.header == header_id::content_length) {
                    if ((s.flags & ps::has_length) != 0) {
                        sink.report(anomaly::bad_content_length);  // a second one: the first stays
                        s.flags2 = static_cast<std::uint8_t>(s.flags2 | ps::length_bad);
                    } else {
                        s.flags = static_cast<std::uint8_t>(s.flags | ps::has_length);
                        s.length = 0;
                    }
                }
                s.flags = static_cast<std::uint8_t>(s.flags | ps::value_open);
                s.ph = ph::header_ows;
                ++i;
                break;
            }
            case ph::header_ows:
                if (c == ' ' || c == '\t') { ++i; break; }
                s.ph = ph::header_value;
                break;
            case ph::header_value: {
                std::size_t j = i;
                while (j < n && at(j) != '\r' && at(j) != '\n') {
                    const std::uint8_t v = at(j);
                    if (s.header == header_id::content_length && (s.flags2 & ps::length_bad) == 0) {
                        if (v >= '0' && v <= '9') {
                            const std::uint64_t next = std::uint64_t{s.length} * 10 + (v - '0');
                            if (next > 0xFFFFFFFFu) {
                                sink.report(anomaly::bad_content_length);
                                s.flags2 = static_cast<std::uint8_t>(s.flags2 | ps::length_bad | ps::length_invalid);
                            } else {
                                s.length = static_cast<std::uint32_t>(next);
                            }
                        } else if (v != ' ' && v != '\t') {
                            sink.report(anomaly::bad_content_length);
                            s.flags2 = static_cast<std::uint8_t>(s.flags2 | ps::length_bad | ps::length_invalid);
                        }
                    } else if (s.header == header_id::transfer_encoding) {
                        // Track whether the last coding of the list is "chunked" (RFC 9112 section 6.1).
                        std::uint8_t& k = s.sub;
                        if (v == ',') k = 0;
                        else if (v == ' ' || v == '\t') { if (k != 0 && k != sizeof detail::chunked_token - 1) k = detail::token_mismatch; }
                        else if (k < sizeof detail::chunked_token - 1 && detail::fold(v) == static_cast<std::uint8_t>(detail::chunked_token[k])) ++k;
                        else k = detail::token_mismatch;
                    }
                    ++j;
                }
                piece(part::header_value, i, j);
                i = j;
                if (i == n) break;
                if (at(i) == '\n') {
                    sink.report(anomaly::bare_lf);
                    s.ph = ph::header_start;
                } else {
                    s.ph = ph::header_lf;
                }
                ++i;
                break;
            }
            case ph::body_length: {
                const std::size_t take = (n - i) < s.length ? (n - i) : s.length;
                piece(part::body, i, i + take);
                i += take;
                s.length -= static_cast<std::uint32_t>(take);
                if (s.length == 0) {
                    sink.end(part::body, header_id::other);
                    complete();
                }
                break;
            }
            case ph::chunk_size: {
                const int h = detail::hex_value(c);
                if (h >= 0) {
                    if (s.length > 0x0FFFFFFFu) {  // more than 256 MiB in one chunk: not a framing we follow
                        fail_start_line(anomaly::bad_chunk_size);
                        break;
                    }
                    s.length = s.length * 16 + static_cast<std::uint32_t>(h);
                    s.sub = 1;
                    ++i;
                } else if (s.sub == 1 && (c == ';' || c == ' ' || c == '\t')) {
                    s.ph = ph::chunk_ext;  // chunk extensions (RFC 9112 section 7.1.1) are skipped
                } else if (s.sub == 1 && (c == '\r' || c == '\n')) {
                    s.ph = ph::chunk_size_lf;
                    if (c == '\r') ++i;
                } else {
                    fail_start_line(anomaly::bad_chunk_size);
                }
                break;
            }
            case ph::chunk_ext:
                if (c == '\r' || c == '\n') {
                    s.ph = ph::chunk_size_lf;
                    if (c == '\r') ++i;
                } else {
                    ++i;
                }
                break;
            case ph::chunk_data: {
                const std::size_t take = (n - i) < s.length ? (n - i) : s.length;
                piece(part::body, i, i + take);
                i += take;
                s.length -= static_cast<std::uint32_t>(take);
                if (s.length == 0) s.ph = ph::chunk_data_cr;
                break;
            }
            case ph::chunk_data_cr:
                if (c == '\r') {
                    s.ph = ph::chunk_data_lf;
                    ++i;
                } else {
                    if (c != '\n') sink.report(anomaly::bad_chunk_end);
                    else ++i;
                    s.sub = 0;
                    s.ph = ph::chunk_size;
                }
                break;
            case ph::chunk_data_lf:
                if (c == '\n') ++i;
                else sink.report(anomaly::bad_chunk_end);
                s.sub = 0;
                s.length = 0;
                s.ph = ph::chunk_size;
                break;
            case ph::trailer_start:
                // Trailer fields (RFC 9112 section 7.1.2) are skipped; an empty line ends the message.
                if (c == '\r') {
                    ++i;
                } else if (c == '\n') {
                    ++i;
                    sink.end(part::body, header_id::other);
                    complete();
                } else {
                    s.ph = ph::trailer_line;
                }
                break;
            case ph::trailer_line: {
                std::size_t j = i;
                while (j < n && at(j) != '\n') ++j;
                i = j;
                if (i < n) {
                    ++i;
                    s.ph = ph::trailer_start;
                }
                break;
            }
            case ph::body_until_close:
                piece(part::body, i, n);
                i = n;
                break;
            case ph::skip_line: {
                std::size_t j = i;
                while (j < n && at(j) != '\n') ++j;
                i = j;
                if (i < n) {
                    ++i;
                    if ((s.flags2 & ps::in_headers) != 0) {  // a bad header line: back to the header section
                        s.flags2 = static_cast<std::uint8_t>(s.flags2 & ~ps::in_headers);
                        s.ph = ph::header_start;
                    } else {
                        s.flags2 = 0;  // an abandoned message gets no message_complete
                        s.ph = ph::line_start;
                    }
                }
                break;
            }
        }
        if (block_from != none && !header_section(s.ph)) flush_block(i);
    }
    flush_block(n);
}

/// The connection closed (FIN or RST): a response framed by the close is complete now.
template <message_sink Sink>
constexpr void finish(parser_state& s, pairing& pair, Sink& sink) noexcept {
    if (s.ph == parser_state::phase::body_until_close) {
        sink.end(part::body, header_id::other);
        if (s.is_response()) pair.pop();
        sink.message_complete();
    }
    s = s.is_response() ? parser_state::for_responses() : parser_state::for_requests();
}

}  // namespace secengine::http
