#pragma once
/// \file Zero-copy parse of one Ethernet frame into a `packet_view`.
///
/// The view stores offsets into the caller's frame, never a copy. Every load is preceded by a
/// length check against the bytes that the enclosing header says are there (IPv4 total length,
/// IPv6 payload length, UDP length), so trailing Ethernet padding is ignored and nothing past
/// the frame is ever read. Layers: Ethernet II (RFC 894) with up to two 802.1Q/802.1ad tags,
/// ARP (RFC 826), IPv4 (RFC 791, options skipped by IHL, fragments per RFC 791 section 3.2),
/// IPv6 (RFC 8200: fixed header, then hop-by-hop, routing, destination options, fragment and
/// AH headers are walked), TCP (RFC 9293), UDP (RFC 768), ICMP (RFC 792), ICMPv6 (RFC 4443).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/detail/bytes.hpp>
#include <secengine/net/parse_error.hpp>
#include <secengine/net/protocol.hpp>

namespace secengine::net {

/// What sits above Ethernet.
enum class l3_kind : std::uint8_t { other, arp, ipv4, ipv6 };

/// A parsed frame: offsets and decoded fields; the bytes stay in `frame`.
struct packet_view {
    std::span<const std::byte> frame{};
    std::uint16_t ethertype = 0;     ///< after any VLAN tags
    std::uint16_t vlan_id = 0;       ///< innermost tag's VID, 0 when untagged
    std::uint8_t vlan_count = 0;
    l3_kind l3 = l3_kind::other;
    std::uint16_t l3_offset = 0;
    std::uint16_t l3_length = 0;     ///< bytes of the IP datagram (header + payload), not padding

    // IPv4 / IPv6
    std::uint8_t ip_proto = 0;       ///< upper-layer protocol after IPv6 extension headers
    std::uint8_t ttl = 0;            ///< TTL or hop limit
    bool fragment = false;           ///< any fragment (first or later)
    bool later_fragment = false;     ///< offset != 0: no L4 header in this frame
    std::uint32_t src4 = 0, dst4 = 0;

    // ARP (Ethernet/IPv4 form only)
    std::uint16_t arp_op = 0;
    std::uint32_t arp_sender_ip = 0, arp_target_ip = 0;

    // L4
    bool has_l4 = false;             ///< TCP, UDP, ICMP or ICMPv6 header parsed
    std::uint16_t l4_offset = 0;
    std::uint16_t sport = 0, dport = 0;   ///< ICMP: 0 / 0 except echo, where sport = identifier
    std::uint8_t tcp_flags = 0;
    std::uint8_t tcp_data_offset = 0;     ///< in 32-bit words
    std::uint8_t icmp_type = 0, icmp_code = 0;
    std::uint16_t payload_offset = 0, payload_length = 0;

    [[nodiscard]] constexpr bool is_ip() const noexcept { return l3 == l3_kind::ipv4 || l3 == l3_kind::ipv6; }
    [[nodiscard]] constexpr bool is_tcp() const noexcept { return has_l4 && ip_proto == ipproto::tcp; }
    [[nodiscard]] constexpr bool is_udp() const noexcept { return has_l4 && ip_proto == ipproto::udp; }
    [[nodiscard]] constexpr std::span<const std::byte> payload() const noexcept {
        return frame.subspan(payload_offset, payload_length);
    }
    /// TCP sequence and acknowledgment numbers (only meaningful when is_tcp()).
    [[nodiscard]] constexpr std::uint32_t tcp_seq() const noexcept { return secengine::detail::load_be32(frame.data() + l4_offset + 4); }
    [[nodiscard]] constexpr std::uint32_t tcp_ack() const noexcept { return secengine::detail::load_be32(frame.data() + l4_offset + 8); }
    /// IPv6 source and destination (16 bytes each); only meaningful when l3 == ipv6.
    [[nodiscard]] constexpr std::span<const std::byte, 16> src6() const noexcept {
        return frame.subspan(l3_offset + 8u).first<16>();
    }
    [[nodiscard]] constexpr std::span<const std::byte, 16> dst6() const noexcept {
        return frame.subspan(l3_offset + 24u).first<16>();
    }
    [[nodiscard]] constexpr std::span<const std::byte, 6> eth_dst() const noexcept { return frame.first<6>(); }
    [[nodiscard]] constexpr std::span<const std::byte, 6> eth_src() const noexcept { return frame.subspan<6, 6>(); }
};

namespace detail_parse {
using secengine::detail::load_be16;
using secengine::detail::load_be32;
using secengine::detail::u8;

/// L4 header at `off`, `len` bytes of the IP payload available (already bounded by IP lengths).
[[nodiscard]] constexpr parse_error parse_l4(packet_view& v, std::size_t off, std::size_t len) noexcept {
    const std::byte* p = v.frame.data() + off;
    v.l4_offset = static_cast<std::uint16_t>(off);
    switch (v.ip_proto) {
    case ipproto::tcp: {
        if (len < tcp_min_header_size) return parse_error::tcp_truncated;
        const std::size_t doff = u8(p + 12) >> 4;
        if (doff < 5 || doff * 4 > len) return parse_error::tcp_bad_data_offset;
        v.sport = load_be16(p);
        v.dport = load_be16(p + 2);
        v.tcp_flags = u8(p + 13);
        v.tcp_data_offset = static_cast<std::uint8_t>(doff);
        v.payload_offset = static_cast<std::uint16_t>(off + doff * 4);
        v.payload_length = static_cast<std::uint16_t>(len - doff * 4);
        break;
    }
    case ipproto::udp: {
        if (len < udp_header_size) return parse_error::udp_truncated;
        const std::size_t ulen = load_be16(p + 4);
        // A first fragment carries less than the UDP length says; only whole datagrams are checked.
        if (ulen < udp_header_size || (!v.fragment && ulen > len)) return parse_error::udp_bad_length;
        const std::size_t body = (ulen < len ? ulen : len) - udp_header_size;
        v.sport = load_be16(p);
        v.dport = load_be16(p + 2);
        v.payload_offset = static_cast<std::uint16_t>(off + udp_header_size);
        v.payload_length = static_cast<std::uint16_t>(body);
        break;
    }
    case ipproto::icmp:
    case ipproto::icmpv6: {
        if (len < icmp_header_size) return parse_error::icmp_truncated;
        v.icmp_type = u8(p);
        v.icmp_code = u8(p + 1);
        // Echo request/reply (ICMP 8/0, ICMPv6 128/129): the identifier keys the flow.
        const bool echo = v.ip_proto == ipproto::icmp ? (v.icmp_type == 8 || v.icmp_type == 0)
                                                      : (v.icmp_type == 128 || v.icmp_type == 129);
        if (echo) v.sport = v.dport = load_be16(p + 4);
        v.payload_offset = static_cast<std::uint16_t>(off + icmp_header_size);
        v.payload_length = static_cast<std::uint16_t>(len - icmp_header_size);
        break;
    }
    default:  // other protocols: no L4 header we understand; the payload is the IP payload
        v.payload_offset = static_cast<std::uint16_t>(off);
        v.payload_length = static_cast<std::uint16_t>(len);
        return parse_error::none;
    }
    v.has_l4 = true;
    return parse_error::none;
}

[[nodiscard]] constexpr parse_error parse_ipv4(packet_view& v, std::size_t off) noexcept {
    const std::size_t avail = v.frame.size() - off;
    if (avail < ipv4_min_header_size) return parse_error::ipv4_truncated;
    const std::byte* p = v.frame.data() + off;
    if ((u8(p) >> 4) != 4) return parse_error::ipv4_bad_version;
    const std::size_t ihl = std::size_t{u8(p) & 0x0fu} * 4;
    const std::size_t total = load_be16(p + 2);
    if (ihl < ipv4_min_header_size || ihl > avail) return parse_error::ipv4_bad_ihl;
    if (total > avail || total < ihl) return parse_error::ipv4_bad_total_length;
    const std::uint16_t frag = load_be16(p + 6);  // flags(3) | fragment offset(13)
    v.l3 = l3_kind::ipv4;
    v.l3_offset = static_cast<std::uint16_t>(off);
    v.l3_length = static_cast<std::uint16_t>(total);
    v.ttl = u8(p + 8);
    v.ip_proto = u8(p + 9);
    v.src4 = load_be32(p + 12);
    v.dst4 = load_be32(p + 16);
    v.later_fragment = (frag & 0x1fffu) != 0;
    v.fragment = v.later_fragment || (frag & 0x2000u) != 0;  // MF
    if (v.later_fragment) {
        v.payload_offset = static_cast<std::uint16_t>(off + ihl);
        v.payload_length = static_cast<std::uint16_t>(total - ihl);
        return parse_error::none;
    }
    return parse_l4(v, off + ihl, total - ihl);
}

/// Extension headers walked before giving up (RFC 8200 section 4.1 recommends an order in
/// which each appears at most once or twice; eight is generous).
inline constexpr int max_ipv6_extensions = 8;

[[nodiscard]] constexpr parse_error parse_ipv6(packet_view& v, std::size_t off) noexcept {
    const std::size_t avail = v.frame.size() - off;
    if (avail < ipv6_header_size) return parse_error::ipv6_truncated;
    const std::byte* p = v.frame.data() + off;
    if ((u8(p) >> 4) != 6) return parse_error::ipv6_bad_version;
    const std::size_t plen = load_be16(p + 4);
    if (plen == 0 || plen + ipv6_header_size > avail) return parse_error::ipv6_bad_payload_length;
    v.l3 = l3_kind::ipv6;
    v.l3_offset = static_cast<std::uint16_t>(off);
    v.l3_length = static_cast<std::uint16_t>(plen + ipv6_header_size);
    v.ttl = u8(p + 7);
    std::uint8_t next = u8(p + 6);
    std::size_t pos = off + ipv6_header_size;
    const std::size_t end = pos + plen;
    for (int n = 0;; ++n) {
        const bool extension = next == ipproto::hopopts || next == ipproto::routing ||
                               next == ipproto::dstopts || next == ipproto::fragment || next == ipproto::ah;
        if (!extension) break;
        if (n == max_ipv6_extensions) return parse_error::ipv6_too_many_ext;
        if (end - pos < 8) return parse_error::ipv6_ext_truncated;
        const std::byte* h = v.frame.data() + pos;
        std::size_t hlen = 0;
        if (next == ipproto::fragment) {
            hlen = 8;
            const std::uint16_t fo = load_be16(h + 2);  // offset(13) | res(2) | M(1)
            v.fragment = true;
            v.later_fragment = v.later_fragment || (fo & 0xfff8u) != 0;
        } else if (next == ipproto::ah) {
            hlen = (std::size_t{u8(h + 1)} + 2) * 4;  // RFC 4302: length in 32-bit words minus 2
        } else {
            hlen = (std::size_t{u8(h + 1)} + 1) * 8;  // RFC 8200: 8-octet units, not counting the first
        }
        if (hlen > end - pos) return parse_error::ipv6_ext_truncated;
        next = u8(h);
        pos += hlen;
    }
    v.ip_proto = next;
    if (v.later_fragment || next == ipproto::nonext) {
        v.payload_offset = static_cast<std::uint16_t>(pos);
        v.payload_length = static_cast<std::uint16_t>(end - pos);
        return parse_error::none;
    }
    return parse_l4(v, pos, end - pos);
}

[[nodiscard]] constexpr parse_error parse_arp(packet_view& v, std::size_t off) noexcept {
    if (v.frame.size() - off < arp_ipv4_size) return parse_error::arp_truncated;
    const std::byte* p = v.frame.data() + off;
    // RFC 826 fields: htype 1 (Ethernet), ptype 0x0800, hlen 6, plen 4.
    if (load_be16(p) != 1 || load_be16(p + 2) != ethertype::ipv4 || u8(p + 4) != 6 || u8(p + 5) != 4)
        return parse_error::arp_unsupported;
    v.l3 = l3_kind::arp;
    v.l3_offset = static_cast<std::uint16_t>(off);
    v.l3_length = static_cast<std::uint16_t>(arp_ipv4_size);
    v.arp_op = load_be16(p + 6);
    v.arp_sender_ip = load_be32(p + 14);
    v.arp_target_ip = load_be32(p + 24);
    return parse_error::none;
}
}  // namespace detail_parse

/// Parses `frame` into `out` (which is reset first). Never reads outside `frame`.
[[nodiscard]] constexpr parse_error parse(std::span<const std::byte> frame, packet_view& out,
                                          std::size_t max_frame = max_frame_size) noexcept {
    using detail_parse::load_be16;
    out = packet_view{};
    out.frame = frame;
    if (frame.size() < ethernet_header_size) return parse_error::frame_too_short;
    if (frame.size() > max_frame || frame.size() > 0xffff) return parse_error::frame_too_long;
    std::size_t off = 12;
    std::uint16_t type = load_be16(frame.data() + off);
    while (type == ethertype::vlan || type == ethertype::qinq) {
        if (out.vlan_count == 2) return parse_error::too_many_vlan_tags;
        if (frame.size() - off < 2 + vlan_tag_size) return parse_error::vlan_truncated;
        out.vlan_id = load_be16(frame.data() + off + 2) & 0x0fffu;
        ++out.vlan_count;
        off += vlan_tag_size;
        type = load_be16(frame.data() + off);
    }
    off += 2;
    out.ethertype = type;
    switch (type) {
    case ethertype::ipv4: return detail_parse::parse_ipv4(out, off);
    case ethertype::ipv6: return detail_parse::parse_ipv6(out, off);
    case ethertype::arp: return detail_parse::parse_arp(out, off);
    default:
        out.payload_offset = static_cast<std::uint16_t>(off);
        out.payload_length = static_cast<std::uint16_t>(frame.size() - off);
        return parse_error::none;
    }
}

}  // namespace secengine::net
