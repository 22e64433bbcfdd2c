#pragma once
/// \file Numbers from the IANA registries that the parser and builders share.
#include <cstdint>

namespace secengine::net {

/// EtherType values (IEEE 802 numbers registry).
namespace ethertype {
inline constexpr std::uint16_t ipv4 = 0x0800;
inline constexpr std::uint16_t arp = 0x0806;
inline constexpr std::uint16_t vlan = 0x8100;   ///< IEEE 802.1Q C-tag
inline constexpr std::uint16_t qinq = 0x88a8;   ///< IEEE 802.1ad S-tag
inline constexpr std::uint16_t ipv6 = 0x86dd;
}  // namespace ethertype

/// IP protocol numbers (IANA "Assigned Internet Protocol Numbers").
namespace ipproto {
inline constexpr std::uint8_t hopopts = 0;
inline constexpr std::uint8_t icmp = 1;
inline constexpr std::uint8_t tcp = 6;
inline constexpr std::uint8_t udp = 17;
inline constexpr std::uint8_t routing = 43;
inline constexpr std::uint8_t fragment = 44;
inline constexpr std::uint8_t esp = 50;
inline constexpr std::uint8_t ah = 51;
inline constexpr std::uint8_t icmpv6 = 58;
inline constexpr std::uint8_t nonext = 59;
inline constexpr std::uint8_t dstopts = 60;
}  // namespace ipproto

/// TCP header flag bits (RFC 9293 section 3.1; CWR/ECE from RFC 3168).
namespace tcpflag {
inline constexpr std::uint8_t fin = 0x01;
inline constexpr std::uint8_t syn = 0x02;
inline constexpr std::uint8_t rst = 0x04;
inline constexpr std::uint8_t psh = 0x08;
inline constexpr std::uint8_t ack = 0x10;
inline constexpr std::uint8_t urg = 0x20;
inline constexpr std::uint8_t ece = 0x40;
inline constexpr std::uint8_t cwr = 0x80;
}  // namespace tcpflag

inline constexpr std::size_t ethernet_header_size = 14;
inline constexpr std::size_t vlan_tag_size = 4;
inline constexpr std::size_t ipv4_min_header_size = 20;
inline constexpr std::size_t ipv6_header_size = 40;
inline constexpr std::size_t tcp_min_header_size = 20;
inline constexpr std::size_t udp_header_size = 8;
inline constexpr std::size_t icmp_header_size = 8;
inline constexpr std::size_t arp_ipv4_size = 28;
/// 1500-byte MTU + 14-byte header + two VLAN tags (no FCS: NICs strip it).
inline constexpr std::size_t max_frame_size = 1522;

}  // namespace secengine::net
