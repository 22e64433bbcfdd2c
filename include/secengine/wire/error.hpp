#pragma once
/// \file Why a datagram or a message was refused. Every decode and seal path returns one of these;
/// the appliance counts them per value (telemetry `stats.rejected`) and answers some with an
/// `error_reply` (docs/protocol.md, "Errors").
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace secengine::wire {

/// Outcome of encoding, decoding, sealing or opening; `none` means success.
/// The order of the checks in `open_datagram` is the order of the first values below.
enum class wire_error : std::uint8_t {
    none,
    truncated,            ///< shorter than the header + tag, or than the header's payload length says
    bad_magic,            ///< the first two bytes are not "SE"
    unsupported_version,  ///< a protocol version this side does not speak
    too_large,            ///< payload length above max_payload (or a field above its protocol cap)
    length_mismatch,      ///< bytes after the tag, or a payload that does not fit the type's layout
    bad_mac,              ///< the SipHash-2-4 tag does not match (forged, corrupted or wrong key)
    bad_flags,            ///< a reserved header flag bit is set
    unknown_type,         ///< authentic, but a message type this side does not know
    wrong_direction,      ///< a reply sent to the appliance, a command sent to a client, a reflected datagram
    wrong_channel,        ///< authentic, but a reply addressed to another client (shared segment)
    wrong_boot,           ///< authentic, but for another boot of the appliance
    replayed,             ///< the sequence number was already accepted (inside the window)
    too_old,              ///< the sequence number is left of the anti-replay window (or zero)
    out_of_range,         ///< an enum, count, channel or field value outside its valid set
    buffer_too_small,     ///< the output span cannot hold the encoded datagram
    count_
};

inline constexpr std::size_t wire_error_count = static_cast<std::size_t>(wire_error::count_);

inline constexpr std::string_view wire_error_names[] = {
    "none",       "truncated", "bad_magic",     "unsupported_version", "too_large",
    "length_mismatch", "bad_mac", "bad_flags",  "unknown_type",        "wrong_direction",
    "wrong_channel", "wrong_boot", "replayed",  "too_old",       "out_of_range",        "buffer_too_small",
};
static_assert(std::size(wire_error_names) == wire_error_count);

[[nodiscard]] constexpr bool is_valid(wire_error e) noexcept { return e < wire_error::count_; }

[[nodiscard]] constexpr std::string_view name(wire_error e) noexcept {
    const auto i = static_cast<std::size_t>(e);
    return i < wire_error_count ? wire_error_names[i] : std::string_view{"unknown"};
}

}  // namespace secengine::wire
