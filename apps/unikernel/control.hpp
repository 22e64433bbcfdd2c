#pragma once
// The kernel's side of the control plane: the library's board-free control_plane
// (include/secengine/control/, docs/control.md) over VirtIO buffers, and the boot id from
// QEMU virt's RTC. Everything the plane does - command semantics, refusal policy, telemetry
// scheduling, frame building - is in the library, where host tests and the fuzzer reach it.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/control/control_plane.hpp>
#include <secengine/control/persist.hpp>
#include <secengine/store/db_slots.hpp>
#include <secengine/store/state_store.hpp>
#include <secengine/detail/hash.hpp>
#include <secengine/wire/siphash.hpp>

#include "state_bank.hpp"
#include "virtio.hpp"

namespace kernel {

/// A boot id that differs between boots (docs/protocol.md "Boot id"). The kernel has no
/// storage for a counter, so it takes the wall clock from QEMU virt's Goldfish RTC (MMIO
/// 0x101000, nanoseconds since the epoch: TIME_LOW latches TIME_HIGH, read low first), which
/// moves between boots even under -icount, and mixes in `seed` (boot ticks and the key).
/// Call before PMP lockdown.
inline std::uint64_t make_boot_id(std::uint64_t seed) noexcept {
    volatile const std::uint32_t* rtc = reinterpret_cast<volatile const std::uint32_t*>(0x101000);
    const std::uint64_t lo = rtc[0];
    const std::uint64_t hi = rtc[1];
    std::uint64_t id = secengine::detail::mix64(((hi << 32) | lo) ^ secengine::detail::mix64(seed));
    return id == 0 ? 1 : id;
}

/// The control plane's port (secengine::control::port): VirtIO buffers by index. A sent
/// buffer comes back through virtio::reclaim, which hands it to control_plane::recycle.
struct virtio_port {
    using buffer_id = std::uint16_t;
    std::span<std::byte> frame(buffer_id b) const noexcept { return {board::virtio::frame(b), board::virtio::max_frame}; }
    void transmit(std::uint8_t nic, buffer_id b, std::uint16_t len) const noexcept { board::virtio::transmit(nic, b, len); }
    void release(buffer_id b) const noexcept { board::virtio::release(b); }
};

/// The state store on bank 1 (flash boot); the -kernel boot passes no store (nothing kept).
using state_store = secengine::store::state_store<state_bank>;
/// The rule-database slots on bank 1 (both boots: the -kernel boot's bank 1 has no drive, so
/// an upload lives in QEMU's memory until QEMU exits, as the RAM upload areas did before).
using db_slots = secengine::store::db_slots<state_bank>;
using persistence = secengine::control::store_persistence<state_bank>;

template <class Engine>
using control_plane = secengine::control::control_plane<Engine, virtio_port, persistence>;

}  // namespace kernel
