#pragma once
/// \file Does a packet carry correct IPv4 header and TCP / UDP / ICMP checksums? An inline
/// appliance must not inspect what the host will discard: a segment with a bad checksum is
/// dropped by the host's TCP (RFC 9293 section 3.10.7.4, first check) but would be read by an
/// inspector that does not check, and "inserted" bytes are the oldest IDS evasion (Ptacek and
/// Newsham 1998, section 4.2). Sums per RFC 1071 with the pseudo headers of RFC 9293 section
/// 3.1 (IPv4), RFC 8200 section 8.1 (IPv6) and RFC 4443 section 2.3 (ICMPv6). A UDP checksum
/// of zero means "none" over IPv4 (RFC 768) and is invalid over IPv6 (RFC 8200 section 8.1).
/// Fragments are checked only for their IPv4 header (the L4 sum covers the whole datagram).
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/detail/bytes.hpp>
#include <secengine/net/checksum.hpp>
#include <secengine/net/packet.hpp>
#include <secengine/net/protocol.hpp>

namespace secengine::net {

/// What was wrong, if anything.
enum class checksum_status : std::uint8_t { ok, bad_ip_header, bad_l4, unchecked };

/// Verifies `p`'s checksums (p as parsed from its frame). `unchecked` for frames with nothing
/// to verify (not IP, or a protocol without a checksum here).
[[nodiscard]] constexpr checksum_status verify_checksums(const packet_view& p) noexcept {
    if (!p.is_ip()) return checksum_status::unchecked;
    const std::byte* f = p.frame.data();
    const bool v4 = p.l3 == l3_kind::ipv4;
    if (v4) {
        const std::size_t ihl = static_cast<std::size_t>(static_cast<std::uint8_t>(f[p.l3_offset]) & 0x0Fu) * 4;
        if (internet_checksum(p.frame.subspan(p.l3_offset, ihl)) != 0) return checksum_status::bad_ip_header;
    }
    if (!p.has_l4 || p.fragment) return checksum_status::unchecked;
    const std::uint8_t proto = p.ip_proto;
    if (proto != ipproto::tcp && proto != ipproto::udp && proto != ipproto::icmp && proto != ipproto::icmpv6)
        return checksum_status::unchecked;
    const std::size_t end = std::size_t{p.l3_offset} + p.l3_length;
    if (end > p.frame.size() || p.l4_offset > end) return checksum_status::bad_l4;
    const std::size_t l4_len = end - p.l4_offset;
    if (proto == ipproto::udp && l4_len >= 8 && detail::load_be16(f + p.l4_offset + 6) == 0)
        return v4 ? checksum_status::ok : checksum_status::bad_l4;
    const bool sum_ok = l4_sum(f + p.l3_offset, v4, proto, p.frame.subspan(p.l4_offset, l4_len)).fold() == 0;
    return sum_ok ? checksum_status::ok : checksum_status::bad_l4;
}

}  // namespace secengine::net
