#pragma once
/// \file One connection-tracking entry: 16 bytes, keyed by a 64-bit fingerprint of the 5-tuple.
///
/// The 13-byte IPv4 5-tuple (37 bytes for IPv6) does not leave room for timestamps, TCP state
/// and the DPI stream state in 16 bytes, so the entry stores a keyed 64-bit hash of the
/// direction-independent tuple instead (docs/flow_table.md: collision odds).
#include <cstdint>

namespace secengine {

/// TCP connection state (driven by flags only, no sequence tracking); UDP/ICMP/other flows
/// use `new_flow` until the responder answers, then `established`.
enum class flow_state : std::uint8_t { empty, new_flow, syn_sent, established, fin_wait, closed, count_ };

/// Packed flow-table entry. `fingerprint == 0` marks a free slot.
struct flow_entry {
    std::uint64_t fingerprint = 0;
    std::uint32_t last_seen = 0;   ///< coarse clock (pipeline ticks >> flow_clock_shift)
    std::uint16_t dpi_scan = 0;    ///< DPI automaton state of the initiator's byte stream
    std::uint8_t dpi_norm = 0;     ///< DPI normaliser state of that stream
    std::uint8_t bits = 0;         ///< state (3 bits) | initiator_is_low (1) | fw_checked (1) | fw_allowed (1) | spare (2)

    static constexpr std::uint8_t state_mask = 0x07;
    static constexpr std::uint8_t initiator_low_bit = 0x08;
    static constexpr std::uint8_t fw_checked_bit = 0x10;
    static constexpr std::uint8_t fw_allowed_bit = 0x20;
    static constexpr std::uint8_t user_bit0 = 0x40;  ///< free for stages 5/6 (e.g. "DPI done")
    static constexpr std::uint8_t user_bit1 = 0x80;

    [[nodiscard]] constexpr flow_state state() const noexcept { return static_cast<flow_state>(bits & state_mask); }
    constexpr void set_state(flow_state s) noexcept {
        bits = static_cast<std::uint8_t>((bits & ~state_mask) | static_cast<std::uint8_t>(s));
    }
    [[nodiscard]] constexpr bool has(std::uint8_t bit) const noexcept { return (bits & bit) != 0; }
    constexpr void set(std::uint8_t bit, bool on) noexcept {
        bits = static_cast<std::uint8_t>(on ? (bits | bit) : (bits & ~bit));
    }
};

static_assert(sizeof(flow_entry) == 16, "docs/memory.md: a flow costs at most 16 bytes");
static_assert(alignof(flow_entry) == 8);
static_assert(static_cast<int>(flow_state::count_) <= 8, "state fits in 3 bits");

}  // namespace secengine
