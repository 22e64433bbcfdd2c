#pragma once
/// \file The answer a `reject` rule sends (Suricata's `reject`, which is `rejectsrc`: to the
/// sender of the matching packet), built into a separate buffer from the parsed offending frame:
///
///  - TCP: a reset from the other endpoint. RFC 9293 section 3.10.7.1 (reset generation, as in
///    RFC 793): if the segment carries ACK, the reset is <SEQ=SEG.ACK><CTL=RST>; otherwise
///    <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, SEG.LEN counting SYN and FIN. Never for a RST.
///  - Anything else over IPv4: ICMP destination unreachable (RFC 792), code 3 (port
///    unreachable) for UDP, code 2 (protocol unreachable) otherwise, quoting the offending IP
///    header and the first 8 bytes of its data, sent from the offending packet's destination.
///  - Over IPv6: ICMPv6 destination unreachable (RFC 4443 section 3.1), code 4 (port
///    unreachable), quoting as much of the offending packet as keeps the reply within the IPv6
///    minimum MTU of 1280 bytes (RFC 4443 section 2.4 (c)).
///
/// No ICMP error answers an ICMP error, a non-initial fragment, or a packet to a broadcast or
/// multicast address or from an address that names no single host (RFC 1122 section 3.2.2,
/// RFC 4443 section 2.4 (e)): an attacker must not turn the appliance into a reflector.
/// The Ethernet addresses are swapped and one 802.1Q tag is kept: inline, the answer leaves on
/// the port the offending frame came in on, as from the host it was meant for.
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/detail/bytes.hpp>
#include <secengine/net/builder.hpp>
#include <secengine/net/packet.hpp>
#include <secengine/net/protocol.hpp>
#include <secengine/net/reply.hpp>

namespace secengine::net {

/// Largest frame build_reject writes: Ethernet + one tag + the 1280-byte IPv6 minimum MTU.
inline constexpr std::size_t max_reject_frame = 14 + 4 + 1280;

namespace detail_reject {
inline constexpr std::uint8_t tcp_fin = 0x01, tcp_syn = 0x02, tcp_rst = 0x04, tcp_ack = 0x10;
inline constexpr std::uint8_t icmp4_unreachable = 3, icmp4_port = 3, icmp4_protocol = 2;
inline constexpr std::uint8_t icmp6_unreachable = 1, icmp6_port = 4;
inline constexpr std::size_t ipv6_min_mtu = 1280;

/// ICMP types that are error messages (RFC 792 / RFC 1122 section 3.2.2: not 0, 8 and the
/// other queries); ICMPv6 errors are types 0-127 (RFC 4443 section 2.1).
[[nodiscard]] constexpr bool icmp_error(const packet_view& p) noexcept {
    if (p.ip_proto == ipproto::icmpv6) return p.icmp_type < 128;
    if (p.ip_proto != ipproto::icmp) return false;
    const std::uint8_t t = p.icmp_type;
    return t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
}
/// An IPv4 address that names one host: not 0/8, not 127/8, not 224/4 (multicast) or above.
[[nodiscard]] constexpr bool unicast4(std::uint32_t a) noexcept {
    const std::uint32_t top = a >> 24;
    return top != 0 && top != 127 && top < 224;
}
[[nodiscard]] constexpr bool unicast6(std::span<const std::byte, 16> a) noexcept {
    if (a[0] == std::byte{0xFF}) return false;  // multicast
    bool zero = true, loopback = true;
    for (std::size_t i = 0; i < 16; ++i) {
        zero = zero && a[i] == std::byte{0};
        loopback = loopback && a[i] == std::byte{i == 15 ? std::uint8_t{1} : std::uint8_t{0}};
    }
    return !zero && !loopback;
}
[[nodiscard]] constexpr ipv6_address ip6(std::span<const std::byte, 16> a) noexcept {
    ipv6_address v{};
    for (std::size_t i = 0; i < 16; ++i) v[i] = static_cast<std::uint8_t>(a[i]);
    return v;
}
}  // namespace detail_reject

/// Writes the reject answer to `offending` (parsed from its frame) into `out`; returns its
/// length, or 0 when none is owed (see the file comment) or `out` is too small.
[[nodiscard]] constexpr std::size_t build_reject(const packet_view& offending, std::span<std::byte> out) noexcept {
    using namespace detail_reject;
    const packet_view& p = offending;
    if (!p.is_ip() || p.vlan_count > 1 || p.frame.size() < 14 || p.later_fragment) return 0;
    const std::byte* f = p.frame.data();
    if ((static_cast<std::uint8_t>(f[0]) & 1u) != 0) return 0;  // to a link-layer group address (broadcast, multicast)
    const bool v4 = p.l3 == l3_kind::ipv4;
    if (v4 ? !unicast4(p.src4) || !unicast4(p.dst4) || p.dst4 == 0xFFFFFFFFu : !unicast6(p.src6()) || !unicast6(p.dst6()))
        return 0;
    frame_builder b{out};
    b.ethernet(detail_reply::mac_at(f + 6), detail_reply::mac_at(f));
    if (p.vlan_count == 1) b.vlan(p.vlan_id, detail::load_be16(f + 12));
    const bool tcp = p.is_tcp();
    const std::uint8_t proto = tcp ? ipproto::tcp : (v4 ? ipproto::icmp : ipproto::icmpv6);
    if (v4) b.ipv4(p.dst4, p.src4, proto, reply_ttl);
    else b.ipv6(ip6(p.dst6()), ip6(p.src6()), proto, reply_ttl);
    if (tcp) {
        if ((p.tcp_flags & tcp_rst) != 0) return 0;
        const std::byte* t = f + p.l4_offset;
        const std::uint32_t seq = detail::load_be32(t + 4), ack = detail::load_be32(t + 8);
        if ((p.tcp_flags & tcp_ack) != 0) {
            b.tcp(p.dport, p.sport, tcp_rst, ack, 0, 0);
        } else {
            const std::uint32_t len = p.payload_length + ((p.tcp_flags & tcp_syn) != 0 ? 1u : 0u) +
                                      ((p.tcp_flags & tcp_fin) != 0 ? 1u : 0u);
            b.tcp(p.dport, p.sport, tcp_rst | tcp_ack, 0, seq + len, 0);
        }
        return detail_reply::pad(out, b.finish());
    }
    if (p.has_l4 && icmp_error(p)) return 0;
    // The quoted part of the offending datagram (RFC 792: IP header + 8 bytes; RFC 4443: all
    // that fits in 1280 bytes).
    const std::size_t datagram = p.l3_length;
    std::size_t quote = datagram;
    if (v4) {
        const std::size_t ihl = static_cast<std::size_t>(static_cast<std::uint8_t>(f[p.l3_offset]) & 0x0Fu) * 4;
        quote = ihl + 8 < datagram ? ihl + 8 : datagram;
        b.icmp(icmp4_unreachable, p.is_udp() ? icmp4_port : icmp4_protocol);
    } else {
        const std::size_t room = ipv6_min_mtu - ipv6_header_size - icmp_header_size;
        quote = datagram < room ? datagram : room;
        b.icmp(icmp6_unreachable, icmp6_port);
    }
    if (p.l3_offset + quote > p.frame.size()) return 0;
    b.payload(p.frame.subspan(p.l3_offset, quote));
    return detail_reply::pad(out, b.finish());
}

}  // namespace secengine::net
