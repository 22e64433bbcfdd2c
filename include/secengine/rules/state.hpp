#pragma once
/// \file Run-time state of the rule evaluator that the caller owns: per-flow flowbits and the
/// threshold / detection_filter counters, both fixed-capacity tables with time passed in.
///
/// Threshold semantics follow Suricata 7's detect-engine-threshold.c (ThresholdHandlePacket):
///  - limit N: the first N matches of each `seconds` window alert;
///  - threshold N: every N-th match within the window alerts;
///  - both N: the N-th match of the window alerts, once;
///  - detection_filter N: every match after the N-th within the window alerts.
/// A window starts at the first match of a (rule, tracked address) pair and restarts at the
/// first match after it expired.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/rules/format.hpp>

namespace secengine::rules {

/// Per-flow flowbits: a bit set per flow keyed by a 64-bit flow id, Flows entries, Bits bits each.
/// A full table replaces the least recently used entry of the probed window (that flow forgets
/// its bits - the same as a flow that expired).
template <std::size_t Flows, std::size_t Bits>
class flowbit_table {
    static_assert(Flows >= 1 && (Flows & (Flows - 1)) == 0, "power of two: the index is a mask");
    static_assert(Bits >= 1, "at least one flowbit");

public:
    static constexpr std::size_t words = (Bits + 63) / 64;
    static constexpr std::size_t probes = Flows < 8 ? Flows : 8;

    /// The bit words of flow `id` (created empty if absent); `now` orders replacement.
    [[nodiscard]] constexpr std::span<std::uint64_t, words> bits(std::uint64_t id, std::uint64_t now) noexcept {
        const std::size_t h = static_cast<std::size_t>((id * 0x9E3779B97F4A7C15ull) >> 32);
        std::size_t victim = h & (Flows - 1);
        for (std::size_t k = 0; k < probes; ++k) {
            entry& e = slots_[(h + k) & (Flows - 1)];
            if (e.used && e.id == id) {
                e.seen = now;
                return e.bits;
            }
            if (!e.used) {
                victim = (h + k) & (Flows - 1);
                break;
            }
            if (e.seen < slots_[victim].seen) victim = (h + k) & (Flows - 1);
        }
        entry& e = slots_[victim];
        e = entry{};
        e.used = true;
        e.id = id;
        e.seen = now;
        return e.bits;
    }
    /// Forgets a flow (when the flow table evicts it).
    constexpr void erase(std::uint64_t id) noexcept {
        for (auto& e : slots_)
            if (e.used && e.id == id) e = entry{};
    }

private:
    struct entry {
        std::uint64_t id = 0, seen = 0;
        std::array<std::uint64_t, words> bits{};
        bool used = false;
    };
    std::array<entry, Flows> slots_{};
};

/// Threshold counters, capacity-free interface (the evaluator takes this base by reference).
class threshold_table_base {
public:
    /// Forgets every counter (a new rule set: slots name other rules).
    constexpr void clear() noexcept {
        for (auto& e : slots_) e = entry{};
    }
    /// Counts one match of threshold slot `slot` for `addr` at `now_ms`; true when it alerts.
    [[nodiscard]] constexpr bool hit(std::uint32_t slot, const std::array<std::uint8_t, 16>& addr, threshold_type type,
                                     std::uint32_t count, std::uint32_t seconds, std::uint64_t now_ms) noexcept {
        entry* e = find(slot, addr, now_ms);
        const std::uint64_t window = std::uint64_t{seconds} * 1000u;
        if (e->used && now_ms - e->first_ms < window) {
            ++e->count;
            switch (type) {
            case threshold_type::limit: return e->count <= count;
            case threshold_type::threshold:
                if (e->count >= count) {
                    e->count = 0;
                    return true;
                }
                return false;
            case threshold_type::both: return e->count == count;
            case threshold_type::detection_filter: return e->count > count;
            default: return true;
            }
        }
        e->used = true;
        e->slot = slot;
        e->addr = addr;
        e->first_ms = now_ms;
        e->count = 1;
        switch (type) {
        case threshold_type::limit: return count >= 1;
        case threshold_type::threshold:
            if (count <= 1) {
                e->count = 0;
                return true;
            }
            return false;
        case threshold_type::both: return count <= 1;
        case threshold_type::detection_filter: return count == 0;
        default: return true;
        }
    }

protected:
    struct entry {
        std::array<std::uint8_t, 16> addr{};
        std::uint64_t first_ms = 0;
        std::uint32_t slot = 0, count = 0;
        bool used = false;
    };
    constexpr explicit threshold_table_base(std::span<entry> slots) noexcept : slots_(slots) {}

private:
    // Open addressing over a short probe window; a full window replaces its oldest entry
    // (that pair starts a new window: it may alert early, never crash or grow).
    [[nodiscard]] constexpr entry* find(std::uint32_t slot, const std::array<std::uint8_t, 16>& addr, std::uint64_t now) noexcept {
        std::uint64_t h = 0xcbf29ce484222325ull ^ slot;
        for (auto b : addr) h = (h ^ b) * 0x100000001b3ull;
        const std::size_t n = slots_.size();
        const std::size_t probes = n < 8 ? n : 8;
        std::size_t victim = static_cast<std::size_t>(h % n);
        for (std::size_t k = 0; k < probes; ++k) {
            entry& e = slots_[static_cast<std::size_t>((h + k) % n)];
            if (!e.used) return &e;
            if (e.slot == slot && e.addr == addr) return &e;
            if (e.first_ms < slots_[victim].first_ms) victim = static_cast<std::size_t>((h + k) % n);
        }
        (void)now;
        slots_[victim].used = false;
        return &slots_[victim];
    }
    std::span<entry> slots_;
};

/// Threshold counters for Capacity (rule, address) pairs.
template <std::size_t Capacity>
class threshold_table : public threshold_table_base {
    static_assert(Capacity >= 1, "at least one entry");

public:
    constexpr threshold_table() noexcept : threshold_table_base(std::span<entry>(storage_)) {}
    threshold_table(const threshold_table&) = delete;
    threshold_table& operator=(const threshold_table&) = delete;

private:
    std::array<entry, Capacity> storage_{};
};

}  // namespace secengine::rules
