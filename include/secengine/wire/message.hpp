#pragma once
/// \file Typed payload encode/decode and dispatch by message type.
///
/// `encode_payload(m, out)` and `decode_payload(bytes, m)` run a message's field list through
/// the checked writer/reader (detail/wire_codec.hpp); both validate every enum, count and
/// cross-field rule, so neither side can produce or accept an invalid message.
/// `visit_payload(list, type, bytes, f)` decodes into the type named by the header and calls
/// `f(message)`; the list bounds which types a receiver accepts (the appliance only commands).
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

#include "../detail/wire_codec.hpp"
#include "commands.hpp"
#include "error.hpp"
#include "header.hpp"
#include "replies.hpp"
#include "signature_page.hpp"
#include "telemetry.hpp"

namespace secengine::wire {

/// A message payload type: names its msg_type and lists its fields.
template <class M>
concept message = requires(M& m, detail::reader& r) {
    { M::type } -> std::convertible_to<msg_type>;
    M::fields(m, r);
};

/// A set of message types, as the first argument of visit_payload / validate_payload.
template <message... Ms>
struct type_list {};

/// Everything a client sends.
using command_types = type_list<ping, read_config, subscribe, unsubscribe, block_port, unblock_port, add_signature,
                                remove_signature, ebpf_chunk, ebpf_commit, ebpf_unload, set_limits, penalty_list,
                                penalty_flush, penalty_unban, map_read, rules_chunk, rules_commit, rules_list, store_status,
                                factory_reset, signature_list>;
/// Everything the appliance sends: replies and telemetry.
using appliance_types =
    type_list<ack, error_reply, config, penalty_page, map_page, rules_page, store_report, signature_page, stats, dpi_hits,
              map_counters, alert>;

/// Result of an encode: bytes written, or why nothing usable was.
struct encoded {
    wire_error error = wire_error::none;
    std::size_t size = 0;
};

template <message M>
[[nodiscard]] constexpr encoded encode_payload(const M& m, std::span<std::byte> out) noexcept {
    detail::writer w{out};
    w.field(m);
    if (w.error == wire_error::none && w.pos > max_payload) w.error = wire_error::too_large;
    return {w.error, w.error == wire_error::none ? w.pos : 0};
}

/// Decodes exactly `payload` into `m` (no byte left over, else length_mismatch).
template <message M>
[[nodiscard]] constexpr wire_error decode_payload(std::span<const std::byte> payload, M& m) noexcept {
    detail::reader r{payload};
    r.field(m);
    if (r.error == wire_error::none && r.pos != payload.size()) r.error = wire_error::length_mismatch;
    return r.error;
}

/// The largest payload of M with every list full (tails not counted).
template <message M>
inline constexpr std::size_t max_payload_of = detail::max_encoded_size<M>();

namespace detail {
template <class M, class F>
constexpr wire_error decode_and_call(std::span<const std::byte> payload, F& f) noexcept {
    M m{};
    const wire_error e = decode_payload(payload, m);
    if (e == wire_error::none) f(static_cast<const M&>(m));
    return e;
}
}  // namespace detail

/// Decodes `payload` as the type in `Ms` whose number is `t` and calls `f(const M&)` on success.
/// unknown_type if no type in the list has that number.
template <class F, message... Ms>
constexpr wire_error visit_payload(type_list<Ms...>, msg_type t, std::span<const std::byte> payload, F&& f) noexcept {
    wire_error e = wire_error::unknown_type;
    (void)((Ms::type == t ? (e = detail::decode_and_call<Ms>(payload, f), true) : false) || ...);
    return e;
}

/// Whether `payload` is a valid message of type `t` from the list.
template <message... Ms>
[[nodiscard]] constexpr wire_error validate_payload(type_list<Ms...> l, msg_type t,
                                                    std::span<const std::byte> payload) noexcept {
    return visit_payload(l, t, payload, [](const auto&) {});
}

template <message... Ms>
[[nodiscard]] constexpr bool contains(type_list<Ms...>, msg_type t) noexcept {
    return ((Ms::type == t) || ...);
}

}  // namespace secengine::wire
