#pragma once
/// \file Stateless sealing and opening of one datagram: header + payload + SipHash-2-4 tag.
///
/// `seal_datagram` writes the header, the encoded payload and the tag over both.
/// `open_datagram` checks, in this order, and stops at the first failure:
///   size >= 32 (truncated), magic (bad_magic), version (unsupported_version), length <= 1440
///   (too_large), size == 32 + length (truncated if short, length_mismatch if long), the tag
///   (bad_mac), reserved flag bits (bad_flags), a known type (unknown_type).
/// Only what follows authentication is trusted: a wrong flag or type is reported after the MAC
/// so that an attacker learns nothing but "bad_mac" from a forged datagram. Directions, boot id,
/// sequence numbers and the payload's layout are the session's job (session.hpp).
#include <cstddef>
#include <cstdint>
#include <span>

#include "error.hpp"
#include "header.hpp"
#include "message.hpp"
#include "siphash.hpp"

namespace secengine::wire {

/// A received datagram whose header and tag are valid; `payload` points into the input.
/// On failure `hdr` holds what was parsed: authentic only for errors found after the tag check
/// (bad_flags, unknown_type and every session error), which is what an error_reply may echo.
struct opened {
    wire_error error = wire_error::none;
    header hdr{};
    std::span<const std::byte> payload;
    bool new_boot = false;  ///< set by client sessions when this reply taught them a new boot id
    bool versioned = false;  ///< a command with flag::config_version: `config_version` is its prefix
    std::uint32_t config_version = 0;  ///< the version the change was made against (config_version.hpp)

    [[nodiscard]] constexpr bool ok() const noexcept { return error == wire_error::none; }
};

namespace detail {
constexpr void put_le(std::byte* p, std::uint64_t v, std::size_t width) noexcept {
    for (std::size_t i = 0; i < width; ++i) p[i] = static_cast<std::byte>(v >> (8 * i));
}
[[nodiscard]] constexpr std::uint64_t get_le(const std::byte* p, std::size_t width) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = width; i-- > 0;) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
    return v;
}
}  // namespace detail

/// Writes header `h` (its type and length are set from `m`), the payload and the tag into `out`.
/// Returns the datagram size.
template <message M>
[[nodiscard]] constexpr encoded seal_datagram(const siphash_key& key, header h, const M& m,
                                              std::span<std::byte> out) noexcept {
    if (out.size() < header_size + tag_size) return {wire_error::buffer_too_small, 0};
    if ((h.flags & ~flag::defined) != 0) return {wire_error::bad_flags, 0};
    const encoded p = encode_payload(m, out.subspan(header_size, out.size() - header_size - tag_size));
    if (p.error != wire_error::none) return p;
    h.type = M::type;
    h.length = static_cast<std::uint16_t>(p.size);
    std::byte* b = out.data();
    detail::put_le(b + 0, magic, 2);
    detail::put_le(b + 2, h.version, 1);
    detail::put_le(b + 3, static_cast<std::uint8_t>(h.type), 1);
    detail::put_le(b + 4, h.flags, 1);
    detail::put_le(b + 5, h.channel, 1);
    detail::put_le(b + 6, h.length, 2);
    detail::put_le(b + 8, h.boot_id, 8);
    detail::put_le(b + 16, h.seq, 8);
    const std::size_t body = header_size + p.size;
    detail::put_le(b + body, siphash(key, out.first(body)), tag_size);
    return {wire_error::none, body + tag_size};
}

/// Authenticates `d` and parses its header (see the file comment for the order of checks).
[[nodiscard]] constexpr opened open_datagram(const siphash_key& key, std::span<const std::byte> d) noexcept {
    opened r;
    const auto fail = [&r](wire_error e) {
        r.error = e;
        r.payload = {};
        return r;
    };
    if (d.size() < header_size + tag_size) return fail(wire_error::truncated);
    const std::byte* b = d.data();
    if (detail::get_le(b, 2) != magic) return fail(wire_error::bad_magic);
    r.hdr.version = static_cast<std::uint8_t>(detail::get_le(b + 2, 1));
    if (r.hdr.version != protocol_version) return fail(wire_error::unsupported_version);
    r.hdr.type = static_cast<msg_type>(detail::get_le(b + 3, 1));
    r.hdr.flags = static_cast<std::uint8_t>(detail::get_le(b + 4, 1));
    r.hdr.channel = static_cast<std::uint8_t>(detail::get_le(b + 5, 1));
    r.hdr.length = static_cast<std::uint16_t>(detail::get_le(b + 6, 2));
    r.hdr.boot_id = detail::get_le(b + 8, 8);
    r.hdr.seq = detail::get_le(b + 16, 8);
    if (r.hdr.length > max_payload) return fail(wire_error::too_large);
    const std::size_t body = header_size + r.hdr.length;
    if (d.size() < body + tag_size) return fail(wire_error::truncated);
    if (d.size() > body + tag_size) return fail(wire_error::length_mismatch);
    // A 64-bit compare of the whole tag: no early exit per byte that timing could reveal.
    if (detail::get_le(b + body, tag_size) != siphash(key, d.first(body))) return fail(wire_error::bad_mac);
    if ((r.hdr.flags & ~flag::defined) != 0) return fail(wire_error::bad_flags);
    if (!is_valid(r.hdr.type)) return fail(wire_error::unknown_type);
    r.payload = d.subspan(header_size, r.hdr.length);
    return r;
}

/// The request_seq that opens every reply payload (0 if absent).
[[nodiscard]] constexpr std::uint64_t request_seq_of(const opened& o) noexcept {
    return is_reply(o.hdr.type) && o.payload.size() >= 8 ? detail::get_le(o.payload.data(), 8) : 0;
}

}  // namespace secengine::wire
