#pragma once
/// \file Replies an IPv4 endpoint owes its neighbours, built in place over the request's
/// buffer (zero-copy: the unikernel transmits the same buffer it received into).
///
///  - ARP (RFC 826, "Packet Reception"): a request whose target protocol address is ours is
///    answered with op = reply, our hardware address as sender, the requester as target.
///  - ICMP echo (RFC 792; RFC 1122 section 3.2.2.6): an echo request to our address is returned
///    with type 0, the addresses swapped and the identifier, sequence number and data unchanged.
///
/// Both keep up to one 802.1Q tag and pad to the 60-byte Ethernet minimum (IEEE 802.3 clause
/// 4.2.3.3, FCS excluded). They return the reply's length, or 0 when the frame does not ask for
/// a reply (then the frame is untouched).
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/detail/bytes.hpp>
#include <secengine/net/builder.hpp>
#include <secengine/net/checksum.hpp>
#include <secengine/net/packet.hpp>
#include <secengine/net/protocol.hpp>

namespace secengine::net {

/// Smallest Ethernet frame without FCS.
inline constexpr std::size_t min_frame_size = 60;
/// TTL of the replies we originate (RFC 1700 default; Linux uses 64 too).
inline constexpr std::uint8_t reply_ttl = 64;

namespace detail_reply {
[[nodiscard]] constexpr std::size_t pad(std::span<std::byte> frame, std::size_t n) noexcept {
    if (n == 0) return 0;
    for (; n < min_frame_size && n < frame.size(); ++n) frame[n] = std::byte{0};
    return n;
}
[[nodiscard]] constexpr mac_address mac_at(const std::byte* p) noexcept {
    mac_address m{};
    for (std::size_t i = 0; i < 6; ++i) m[i] = static_cast<std::uint8_t>(p[i]);
    return m;
}
}  // namespace detail_reply

/// True when `req` is an ARP request for `our_ip` (untagged or one VLAN tag).
[[nodiscard]] constexpr bool is_arp_request_for(const packet_view& req, std::uint32_t our_ip) noexcept {
    return req.l3 == l3_kind::arp && req.arp_op == 1 && req.arp_target_ip == our_ip && req.vlan_count <= 1;
}

/// Rewrites the ARP request in `frame` (parsed as `req`) into our reply. `frame` must be the
/// writable buffer `req` was parsed from, at least 60 bytes long for the padding.
[[nodiscard]] constexpr std::size_t arp_reply_in_place(std::span<std::byte> frame, const packet_view& req,
                                                       const mac_address& our_mac, std::uint32_t our_ip) noexcept {
    if (!is_arp_request_for(req, our_ip) || req.frame.data() != frame.data()) return 0;
    // The builder overwrites the buffer from the start: keep the requester's addresses first.
    const mac_address sha = detail_reply::mac_at(frame.data() + req.l3_offset + 8);
    const std::uint32_t spa = req.arp_sender_ip;
    const std::uint16_t vid = req.vlan_id;
    const bool tagged = req.vlan_count == 1;
    const std::uint16_t tpid = tagged ? detail::load_be16(frame.data() + 12) : ethertype::vlan;
    frame_builder b{frame};
    b.ethernet(sha, our_mac, ethertype::arp);
    if (tagged) b.vlan(vid, tpid);
    b.arp(2, our_mac, our_ip, sha, spa);
    return detail_reply::pad(frame, b.finish());
}

/// True when `req` is an unfragmented ICMP echo request to `our_ip` with a valid checksum.
[[nodiscard]] constexpr bool is_echo_request_for(const packet_view& req, std::uint32_t our_ip) noexcept {
    if (req.l3 != l3_kind::ipv4 || req.ip_proto != ipproto::icmp || !req.has_l4 || req.fragment ||
        req.icmp_type != 8 || req.icmp_code != 0 || req.dst4 != our_ip || req.vlan_count > 1)
        return false;
    const std::size_t icmp_len = req.l3_offset + std::size_t{req.l3_length} - req.l4_offset;
    // A message whose checksum fails is discarded, not answered (RFC 1122 section 3.2.2).
    return internet_checksum(req.frame.subspan(req.l4_offset, icmp_len)) == 0;
}

/// Rewrites the echo request in `frame` (parsed as `req`) into the echo reply. IP options are
/// kept as received; the data is returned unchanged (RFC 1122 section 3.2.2.6).
[[nodiscard]] constexpr std::size_t icmp_echo_reply_in_place(std::span<std::byte> frame, const packet_view& req,
                                                             const mac_address& our_mac, std::uint32_t our_ip) noexcept {
    if (!is_echo_request_for(req, our_ip) || req.frame.data() != frame.data()) return 0;
    std::byte* p = frame.data();
    for (std::size_t i = 0; i < 6; ++i) {  // Ethernet: back to the sender, from us
        p[i] = p[6 + i];
        p[6 + i] = static_cast<std::byte>(our_mac[i]);
    }
    std::byte* ip = p + req.l3_offset;
    const std::size_t ihl = (static_cast<std::size_t>(ip[0]) & 0x0fu) * 4;
    ip[8] = static_cast<std::byte>(reply_ttl);
    detail::store_be32(ip + 12, our_ip);
    detail::store_be32(ip + 16, req.src4);
    detail::store_be16(ip + 10, 0);
    detail::store_be16(ip + 10, internet_checksum({ip, ihl}));
    std::byte* icmp = p + req.l4_offset;
    const std::size_t icmp_len = req.l3_offset + std::size_t{req.l3_length} - req.l4_offset;
    icmp[0] = std::byte{0};  // echo reply
    detail::store_be16(icmp + 2, 0);
    detail::store_be16(icmp + 2, internet_checksum({icmp, icmp_len}));
    // Anything after the datagram (Ethernet padding) is left as it was.
    return detail_reply::pad(frame, req.l3_offset + std::size_t{req.l3_length});
}

}  // namespace secengine::net
