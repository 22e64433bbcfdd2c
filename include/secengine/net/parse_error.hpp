#pragma once
/// \file Why a frame could not be parsed. The pipeline turns every error into a drop with
/// reason `malformed`; the error itself is kept in the alert event for diagnosis.
#include <cstdint>
#include <string_view>

namespace secengine::net {

/// Parse outcome; `none` means the view is valid.
enum class parse_error : std::uint8_t {
    none,
    frame_too_short,         ///< fewer than 14 bytes of Ethernet header
    frame_too_long,          ///< longer than the configured maximum frame
    vlan_truncated,          ///< an 802.1Q/802.1ad tag runs past the end
    too_many_vlan_tags,      ///< more than two stacked tags
    arp_truncated,           ///< ARP shorter than the 28-byte Ethernet/IPv4 form
    arp_unsupported,         ///< ARP for another hardware or protocol type
    ipv4_truncated,          ///< fewer than 20 bytes after the Ethernet header
    ipv4_bad_version,        ///< version field is not 4
    ipv4_bad_ihl,            ///< IHL < 5, or the header runs past the datagram
    ipv4_bad_total_length,   ///< total length beyond the frame or below the header
    ipv6_truncated,          ///< fewer than 40 bytes
    ipv6_bad_version,        ///< version field is not 6
    ipv6_bad_payload_length, ///< payload length beyond the frame (or a jumbogram)
    ipv6_ext_truncated,      ///< an extension header runs past the payload
    ipv6_too_many_ext,       ///< more extension headers than we are willing to walk
    tcp_truncated,           ///< fewer than 20 bytes of TCP header (also tiny first fragments)
    tcp_bad_data_offset,     ///< data offset < 5 or beyond the segment
    udp_truncated,           ///< fewer than 8 bytes of UDP header
    udp_bad_length,          ///< UDP length < 8 or beyond the datagram
    icmp_truncated,          ///< fewer than 8 bytes of ICMP/ICMPv6 header
    count_
};

inline constexpr std::string_view parse_error_names[] = {
    "none",           "frame_too_short",    "frame_too_long",       "vlan_truncated",
    "too_many_vlan_tags", "arp_truncated",  "arp_unsupported",      "ipv4_truncated",
    "ipv4_bad_version", "ipv4_bad_ihl",     "ipv4_bad_total_length", "ipv6_truncated",
    "ipv6_bad_version", "ipv6_bad_payload_length", "ipv6_ext_truncated", "ipv6_too_many_ext",
    "tcp_truncated",  "tcp_bad_data_offset", "udp_truncated",       "udp_bad_length",
    "icmp_truncated",
};
static_assert(std::size(parse_error_names) == static_cast<std::size_t>(parse_error::count_));

[[nodiscard]] constexpr std::string_view name(parse_error e) noexcept {
    auto i = static_cast<std::size_t>(e);
    return i < std::size(parse_error_names) ? parse_error_names[i] : std::string_view{"unknown"};
}

}  // namespace secengine::net
