#pragma once
/// \file Deferred Count-Min Sketch updates for sources far below the ban threshold.
///
/// Stage 1 counts every packet's source in the sketch (a 64-bit mix, Depth rows read and raised,
/// top-N bookkeeping) only to learn whether the source crossed the per-source threshold. For a
/// source whose count is far below it, that answer is known without the sketch: a small
/// direct-mapped table keeps, per source, the estimate the sketch returned at its last update
/// and the packets counted since (`pending`). While `estimate + pending` stays below `far_below`
/// and `pending` below `Batch`, a packet only raises `pending`; otherwise the pending packets and
/// this one enter the sketch in one update of weight pending + 1. The idea is the sample-and-hold
/// / batched-update family of flow counters (Estan & Varghese, "New directions in traffic
/// measurement and accounting", SIGCOMM 2002, section 3.1; docs/count_min_sketch.md) reduced to
/// what a threshold test needs.
///
/// Bound (no heavy hitter is missed or detected later): a slot is handed to another source only
/// when its pending count is 0, so every packet of a source that is not yet in the sketch is in
/// the pending count of the one slot holding that source. Since the sketch never underestimates
/// (Cormode & Muthukrishnan 2005; conservative update keeps this), the value `count()` returns is
/// always >= the source's true count in the window; a deferred packet returns less than
/// `far_below`, so its source's true count is below it too. A source whose true count exceeds
/// the threshold T >= far_below therefore gets an estimate > T on that same packet, as without
/// deferral. A caller may also update the sketch directly for some packets (the pipeline does
/// for TCP openings, resets and probes, so floods pay nothing here): then a source is flagged
/// at most Batch - 1 of its packets after its true count passes T (a direct update misses at
/// most the source's pending packets; a deferred packet's held estimate misses the direct
/// updates since the source's last flush, and at most Batch - 1 packets defer before the next
/// flush). What changes: estimates of far-below sources lag in the sketch by less than Batch
/// (their top-N telemetry entries refresh later), and colliding sources' pending packets are
/// missing from a row, which can only lower false-positive estimates. tests/core/test_sketch_deferral.cpp
/// checks the bound on random streams.
#include <array>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>

#include <secengine/count_min_sketch.hpp>

namespace secengine {

/// Per-source deferral of sketch updates; Slots = 0 turns it off (every packet updates the sketch).
template <std::size_t Slots, std::unsigned_integral Counter = std::uint16_t, std::uint32_t Batch = 32>
class sketch_deferral {
    static_assert(Slots == 0 || (std::has_single_bit(Slots) && Slots <= 4096), "a power of two, at most 4096 slots");
    static_assert(Batch >= 1 && Batch <= 0xffff, "pending counts fit 16 bits");

public:
    static constexpr std::size_t slots = Slots;
    static constexpr std::uint32_t batch = Batch;

    /// `seed` picks the slot hash (an odd multiplier), so which sources share a slot is not
    /// predictable from outside; a shared slot only costs speed, never a count.
    constexpr explicit sketch_deferral(std::uint64_t seed = 0) noexcept : mul_((seed * 0x9e3779b97f4a7c15ULL) | 1) {}

    /// Counts one packet of `key`; returns an upper bound of the key's true count in the window
    /// (the sketch's estimate, or the held estimate plus pending packets while below far_below).
    /// `far_below` must not exceed the sketch's counter_max (so a deferred value fits a Counter).
    template <class Sketch>
    constexpr Counter count(std::uint64_t key, Sketch& sketch, std::uint32_t far_below) noexcept {
        if constexpr (Slots == 0) {
            (void)far_below;
            return sketch.add(key);
        } else {
            const std::size_t i = index(key);
            if (keys_[i] == key) {
                const std::uint64_t next = std::uint64_t{estimate_[i]} + pending_[i] + 1;
                if (pending_[i] + 1u < Batch && next < far_below) {
                    ++pending_[i];
                    return static_cast<Counter>(next);
                }
                const auto n = static_cast<Counter>(pending_[i] + 1u);
                pending_[i] = 0;
                estimate_[i] = sketch.add(key, n);
                return estimate_[i];
            }
            const Counter e = sketch.add(key);
            if (pending_[i] == 0) {  // a slot with pending packets keeps its source (the bound)
                keys_[i] = key;
                estimate_[i] = e;
            }
            return e;
        }
    }

    /// The window boundary, in place of `sketch.new_window(policy)`: with `halve` the pending
    /// packets enter the sketch first (they belong to the closing window, half of which
    /// carries over); with `reset` they vanish with the window.
    template <class Sketch>
    constexpr void new_window(Sketch& sketch, cms_window policy) noexcept {
        if constexpr (Slots != 0) {
            if (policy == cms_window::halve)
                for (std::size_t i = 0; i < Slots; ++i)
                    if (pending_[i] != 0) (void)sketch.add(keys_[i], static_cast<Counter>(pending_[i]));
        }
        sketch.new_window(policy);
        if constexpr (Slots != 0) {
            for (std::size_t i = 0; i < Slots; ++i) {
                pending_[i] = 0;
                estimate_[i] = policy == cms_window::reset ? Counter{0} : sketch.estimate(keys_[i]);
            }
        }
    }

    /// Packets counted but not yet in the sketch (sum of pending counts; < Slots * Batch).
    [[nodiscard]] constexpr std::uint64_t pending() const noexcept {
        std::uint64_t n = 0;
        for (auto p : pending_) n += p;
        return n;
    }
    /// Bytes of RAM (docs/memory.md): per slot a key, a held estimate and a pending count.
    static constexpr std::size_t slot_bytes = sizeof(std::uint64_t) + sizeof(Counter) + sizeof(std::uint16_t);

private:
    static constexpr unsigned shift = Slots <= 1 ? 63u : 64u - static_cast<unsigned>(std::countr_zero(Slots));
    [[nodiscard]] constexpr std::size_t index(std::uint64_t key) const noexcept {
        if constexpr (Slots <= 1) return 0;
        else return static_cast<std::size_t>((key * mul_) >> shift);  // multiplicative hashing (Knuth 6.4)
    }

    // Structure of arrays: 12 bytes per slot with 16-bit counters instead of a padded 16.
    std::array<std::uint64_t, Slots> keys_{};
    std::array<Counter, Slots> estimate_{};
    std::array<std::uint16_t, Slots> pending_{};
    std::uint64_t mul_;
};

}  // namespace secengine
