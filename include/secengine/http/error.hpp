#pragma once
/// \file Anomalies the streaming HTTP/1.x parser reports. None of them stops the parser: each is
/// counted by the caller, and the parser either goes on (a lenient reading that a server also
/// accepts) or resynchronises at the next line that starts a message (docs/http.md).
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace secengine::http {

enum class anomaly : std::uint8_t {
    none,
    bad_request_line,    ///< not `method SP target SP HTTP/x.y` (RFC 9112 section 3): resynchronised
    bad_status_line,     ///< not `HTTP/x.y SP 3DIGIT [SP reason]` (RFC 9112 section 4): resynchronised
    bad_version,         ///< a version other than HTTP/<digit>.<digit> (kept, message parsed on)
    bad_header_line,     ///< a header line without ':' or with whitespace before it (line skipped)
    bad_content_length,  ///< not digits, too large, or a second different value (first kept)
    bad_chunk_size,      ///< chunk-size line not hex digits (RFC 9112 section 7.1): resynchronised
    bad_chunk_end,       ///< chunk data not followed by CRLF (taken as if it were)
    length_and_chunked,  ///< both Content-Length and chunked: chunked wins (RFC 9112 section 6.3)
    bare_lf,             ///< a line ended by LF alone (accepted, as servers do)
    obs_fold,            ///< a header continued on the next line (RFC 9112 section 5.2; joined with SP)
    count_
};

inline constexpr std::string_view anomaly_names[] = {
    "none",          "bad_request_line", "bad_status_line", "bad_version", "bad_header_line", "bad_content_length",
    "bad_chunk_size", "bad_chunk_end",   "length_and_chunked", "bare_lf",  "obs_fold",
};
static_assert(std::size(anomaly_names) == static_cast<std::size_t>(anomaly::count_));
inline constexpr std::size_t anomaly_count = static_cast<std::size_t>(anomaly::count_);

[[nodiscard]] constexpr std::string_view name(anomaly a) noexcept {
    const auto i = static_cast<std::size_t>(a);
    return i < std::size(anomaly_names) ? anomaly_names[i] : std::string_view{"unknown"};
}

}  // namespace secengine::http
