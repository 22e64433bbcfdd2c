#pragma once
/// \file The direction-independent flow fingerprint: a keyed 64-bit hash of the 5-tuple.
///
/// Both directions of a connection map to one entry: the two endpoints (address, port) are put
/// in a canonical order first, and `src_is_low` remembers which side this packet came from.
/// The VLAN id is part of the key (overlapping address plans on different VLANs stay apart).
/// IPv6 addresses are folded to 64 bits by the same keyed mixer before ordering.
///
/// Collision odds (docs/flow_table.md): a lookup compares against at most ProbeWindow entries,
/// so a false match needs one of them to share all 64 bits: p <= W / 2^64 per lookup
/// (~4e-19 for W = 8); over a day at 1 Mpps that is < 1e-7.
#include <cstdint>

#include <secengine/detail/bytes.hpp>
#include <secengine/detail/hash.hpp>
#include <secengine/net/packet.hpp>

namespace secengine {

/// A flow's fingerprint (never 0: 0 marks a free slot) and this packet's side.
struct flow_key {
    std::uint64_t fingerprint = 0;
    bool src_is_low = true;
};

namespace detail {
[[nodiscard]] constexpr std::uint64_t load_be64(std::span<const std::byte, 16> a, std::size_t at) noexcept {
    return (std::uint64_t{load_be32(a.data() + at)} << 32) | load_be32(a.data() + at + 4);
}
/// 64-bit fold of a 16-byte address, keyed so that folds cannot be precomputed.
[[nodiscard]] constexpr std::uint64_t fold_ipv6(std::span<const std::byte, 16> a, std::uint64_t seed) noexcept {
    return hash2(load_be64(a, 0), load_be64(a, 8), seed ^ 0x510e527fade682d1ULL);
}
}  // namespace detail

/// Source address as a 64-bit key (IPv4: the address itself; IPv6: the keyed fold, tagged so
/// it cannot equal an IPv4 key). Used by the sketch and the penalty box.
[[nodiscard]] constexpr std::uint64_t source_key(const net::packet_view& p, std::uint64_t seed) noexcept {
    if (p.l3 == net::l3_kind::ipv4) return p.src4;
    return detail::fold_ipv6(p.src6(), seed) | (std::uint64_t{1} << 63);
}

/// Fingerprint of an IP packet's flow. Call only when `p.is_ip()`.
[[nodiscard]] constexpr flow_key make_flow_key(const net::packet_view& p, std::uint64_t seed) noexcept {
    std::uint64_t a = 0, b = 0;  // endpoint words: address (32 or folded 48 bits) << 16 | port
    if (p.l3 == net::l3_kind::ipv4) {
        a = (std::uint64_t{p.src4} << 16) | p.sport;
        b = (std::uint64_t{p.dst4} << 16) | p.dport;
    } else {
        a = ((detail::fold_ipv6(p.src6(), seed) & 0xffff'ffff'ffffULL) << 16) | p.sport;
        b = ((detail::fold_ipv6(p.dst6(), seed) & 0xffff'ffff'ffffULL) << 16) | p.dport;
    }
    const bool src_low = a <= b;
    // The endpoint words use 48 bits; protocol + address family and the VLAN id fill the top 16
    // of each, so the whole key goes through one keyed hash2.
    const std::uint64_t lo = (src_low ? a : b) | (std::uint64_t{p.ip_proto} << 48) | (p.l3 == net::l3_kind::ipv6 ? std::uint64_t{1} << 56 : 0);
    const std::uint64_t hi = (src_low ? b : a) | (std::uint64_t{p.vlan_id} << 48);
    std::uint64_t fp = detail::hash2(lo, hi, seed);
    return {fp == 0 ? 1 : fp, src_low};
}

}  // namespace secengine
