#pragma once
/// \file What the control plane needs from the board: a `port` moves whole Ethernet frames in
/// buffers the board owns. Three operations (docs/control.md "Port"):
///
///     std::span<std::byte> frame(buffer_id)                      the buffer's memory (a spare
///                                                                 TX buffer the plane writes)
///     void transmit(std::uint8_t nic, buffer_id, std::uint16_t)   send `len` bytes of it
///     void release(buffer_id)                                     give it back unsent
///
/// The unikernel's port is VirtIO (apps/unikernel/control.hpp); the host tests' port is a pool
/// of arrays that records what was sent (tests/control). The control plane never allocates a
/// buffer: it keeps a few that the kernel is done with (`control_plane::recycle`) for telemetry,
/// and answers a command in the command's own buffer. The split follows uBPF's library / host
/// division (iovisor/ubpf: vm/ is a library the tools and tests link; the host supplies I/O).
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

namespace secengine::control {

/// A board's frame I/O, as the control plane uses it.
template <class P>
concept port = requires(P& p, typename P::buffer_id b, std::uint8_t nic, std::uint16_t len) {
    { p.frame(b) } -> std::same_as<std::span<std::byte>>;
    p.transmit(nic, b, len);
    p.release(b);
};

/// Where a client's commands came from: its replies and its telemetry go back there.
struct peer {
    std::uint32_t ip = 0;
    std::uint16_t udp_port = 0;
    std::uint8_t nic = 0;  ///< the appliance port the command arrived on
    std::array<std::uint8_t, 6> mac{};
};

/// The appliance's own addressing on the management network: one IPv4 address and UDP port,
/// and each NIC's MAC (a reply leaves from the NIC its command came in on).
struct local_address {
    std::uint32_t ip = 0;
    std::uint16_t udp_port = 0;
    const std::array<std::uint8_t, 6>* macs = nullptr;  ///< indexed by `peer::nic`; outlives the plane
};

}  // namespace secengine::control
