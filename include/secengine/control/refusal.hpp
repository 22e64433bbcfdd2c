#pragma once
/// \file The refusal policy: which refused datagrams the appliance answers with an
/// `error_reply`, and what that reply says (docs/control.md "Refusals", docs/protocol.md
/// "Errors").
///
/// Only a sender that proved the key learns why it was refused; a forged, truncated, replayed or
/// misdirected datagram gets no answer at all, so the appliance is neither an oracle for the tag
/// nor a reflector. The one exception is `unsupported_version`: a newer client cannot be
/// authenticated under rules this side does not know, and must still learn which version to
/// speak. Every answer is rate limited by the caller (an event_limiter), so even that exception
/// cannot be turned into a flood.
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/wire/datagram.hpp>
#include <secengine/wire/error.hpp>
#include <secengine/wire/header.hpp>
#include <secengine/wire/replies.hpp>

namespace secengine::control {

/// How a refusal reason is treated.
enum class refusal_answer : std::uint8_t {
    never,           ///< no answer: the sender did not prove the key (or replays, or misdirects)
    always,          ///< answered: authenticated by the session before it refused, or another version
    if_authentic,    ///< answered only when the tag verifies (the reason can come before or after it)
};

/// The policy per `wire_error` (the order of checks is in wire/datagram.hpp and session.hpp).
[[nodiscard]] constexpr refusal_answer answer_for(wire::wire_error e) noexcept {
    using wire::wire_error;
    switch (e) {
    case wire_error::unsupported_version:
    case wire_error::bad_flags:     // checked after the tag
    case wire_error::unknown_type:  // checked after the tag
    case wire_error::wrong_boot: return refusal_answer::always;
    case wire_error::length_mismatch:
    case wire_error::too_large:
    case wire_error::out_of_range:  // header checks (before the tag) or payload / channel checks (after)
        return refusal_answer::if_authentic;
    default: return refusal_answer::never;  // truncated, bad_magic, bad_mac, wrong_direction, replayed, too_old
    }
}

/// Whether refused datagram `d` (refused with `o.error`) deserves an answer under `key`.
[[nodiscard]] constexpr bool should_answer(const wire::siphash_key& key, const wire::opened& o,
                                           std::span<const std::byte> d) noexcept {
    switch (answer_for(o.error)) {
    case refusal_answer::always: return true;
    case refusal_answer::if_authentic: return wire::open_datagram(key, d).ok();
    default: return false;
    }
}

/// Whether an answered refusal goes to the strangers' trickle rather than the error budget:
/// `unsupported_version` (nothing about the sender is known) and `wrong_boot` for a nonzero boot
/// id (a command made for a previous boot: a recording replayed looks exactly like it). A fresh
/// client asks with boot id 0 (wire/session.hpp) and a current client's refusals are found after
/// the tag under the current boot, so neither competes with a flood of these.
[[nodiscard]] constexpr bool is_stranger(const wire::opened& o) noexcept {
    return o.error == wire::wire_error::unsupported_version ||
           (o.error == wire::wire_error::wrong_boot && o.hdr.boot_id != 0);
}

/// Header offsets that every protocol version keeps (wire/header.hpp): what an
/// `unsupported_version` answer may read from a datagram it cannot otherwise parse.
namespace stable_offset {
inline constexpr std::size_t type = 3;
inline constexpr std::size_t channel = 5;
inline constexpr std::size_t seq = 16;
}  // namespace stable_offset

/// The error_reply for refused datagram `d`, and the channel it goes to.
struct refusal {
    wire::error_reply reply{};
    std::uint8_t channel = 0;
};

[[nodiscard]] constexpr refusal make_refusal(const wire::opened& o, std::span<const std::byte> d) noexcept {
    refusal r;
    r.reply.error = o.error;
    if (o.error == wire::wire_error::unsupported_version) {
        // Only magic and version are known to be laid out as we think; the rest is read where
        // version 1 keeps it, when the datagram is long enough to hold it.
        using namespace stable_offset;
        r.reply.request_seq = d.size() >= seq + 8 ? wire::detail::get_le(d.data() + seq, 8) : 0;
        r.reply.request_type = d.size() > type ? static_cast<std::uint8_t>(d[type]) : 0;
        r.channel = d.size() > channel ? static_cast<std::uint8_t>(d[channel]) : 0;
    } else {
        r.reply.request_seq = o.hdr.seq;
        r.reply.request_type = static_cast<std::uint8_t>(o.hdr.type);
        r.channel = o.hdr.channel;
    }
    return r;
}

}  // namespace secengine::control
