#pragma once
/// \file The frames the control plane sends: Ethernet + IPv4 (no options, DF) + UDP around a
/// datagram that was sealed in place at `datagram_offset`, built with the library's
/// net::frame_builder, padded to the Ethernet minimum. One function for replies (in the
/// command's buffer) and telemetry (in a spare buffer).
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/control/port.hpp>
#include <secengine/net/builder.hpp>
#include <secengine/net/protocol.hpp>

namespace secengine::control {

/// Where the datagram starts in a frame: untagged Ethernet (14) + IPv4 without options (20) +
/// UDP (8). Replies are sealed straight into the buffer there.
inline constexpr std::size_t datagram_offset =
    net::ethernet_header_size + net::ipv4_min_header_size + net::udp_header_size;
static_assert(datagram_offset == 42);

/// Ethernet's minimum frame without FCS (IEEE 802.3 clause 4.2.3.3: 64 bytes with the FCS).
inline constexpr std::size_t min_frame = 60;

/// IPv4 flags/fragment word: DF. The control plane never fragments (docs/protocol.md "Size limits").
inline constexpr std::uint16_t ipv4_dont_fragment = 0x4000;

/// Writes the headers in front of the `n`-byte datagram already at `f[datagram_offset..]`,
/// from `self` (leaving on `to.nic`) to `to`, with IPv4 id `ip_id`; returns the frame length,
/// or 0 if `f` cannot hold it.
[[nodiscard]] constexpr std::size_t build_reply_frame(std::span<std::byte> f, const local_address& self,
                                                      const peer& to, std::uint16_t ip_id, std::size_t n) noexcept {
    net::frame_builder b{f};
    b.ethernet(to.mac, self.macs[to.nic])
        .ipv4(self.ip, to.ip, net::ipproto::udp, 64, ip_id, ipv4_dont_fragment)
        .udp(self.udp_port, to.udp_port)
        .payload_in_place(n);
    std::size_t len = b.finish();
    if (len == 0) return 0;
    for (; len < min_frame && len < f.size(); ++len) f[len] = std::byte{0};
    return len;
}

}  // namespace secengine::control
