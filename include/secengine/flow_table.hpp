#pragma once
/// \file Connection tracking: open addressing over a bounded probe window of 16-byte entries.
///
/// A flow's home slot is `fingerprint & (Capacity - 1)`; it may live in any of the ProbeWindow
/// slots from there (wrapping). Lookup, insert and eviction look at that window only, so their
/// cost is O(ProbeWindow) whatever the fill: per-packet cost does not grow with the number of
/// flows. When the window has no free or expired slot, the oldest idle unconfirmed entry
/// (new/syn_sent/fin_wait/closed) is evicted, then the oldest established entry idle for at least
/// `min_idle_to_evict`; when none qualifies the caller's full-table policy decides (fail-open:
/// the packet goes on untracked; fail-closed: it is dropped). Like a set-associative cache, the
/// eviction is of the oldest in the window, not the global oldest: a global order would need a
/// list (8 more bytes per entry) or an O(Capacity) scan (docs/flow_table.md).
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/flow_entry.hpp>

namespace secengine {

/// Idle timeouts per state, in coarse time units (see pipeline: ticks >> flow_clock_shift).
using flow_timeouts = std::array<std::uint32_t, static_cast<std::size_t>(flow_state::count_)>;

/// Outcome of `flow_table_base::track`.
struct flow_lookup {
    flow_entry* entry = nullptr;   ///< null when no slot could be had
    bool created = false;          ///< a new entry (fresh state) was set up
    bool evicted = false;          ///< a live entry was evicted to make room
    std::uint64_t evicted_fingerprint = 0;
};

/// Capacity-free algorithms over a span of entries (ETL "ivector" pattern: one copy of the code
/// for every table size).
class flow_table_base {
public:
    flow_table_base(const flow_table_base&) = delete;
    flow_table_base& operator=(const flow_table_base&) = delete;

    /// Finds the live entry for `fp` or makes one. `now` is the coarse clock.
    constexpr flow_lookup track(std::uint64_t fp, std::uint32_t now, const flow_timeouts& timeouts,
                                std::uint32_t min_idle_to_evict) noexcept {
        const std::size_t home = static_cast<std::size_t>(fp) & mask_;
        // Fast path (every packet of a known flow): compare fingerprints only.
        for (std::size_t i = 0; i < window_; ++i) {
            flow_entry& e = slots_[(home + i) & mask_];
            if (e.fingerprint != fp) continue;
            if (now - e.last_seen <= timeouts[static_cast<std::size_t>(e.state())]) {
                e.last_seen = now;
                return {&e, false, false, 0};
            }
            ++expired_;
            reset(e, fp, now);
            return {&e, true, false, 0};
        }
        // New flow: the first free or expired slot in the window (the scan stops there), else
        // the eviction victim (the idlest non-established entry, else the idlest established
        // one idle for at least min_idle_to_evict).
        flow_entry* free_slot = nullptr;
        flow_entry* victim = nullptr;
        std::uint64_t victim_rank = 0;
        for (std::size_t i = 0; i < window_; ++i) {
            flow_entry& e = slots_[(home + i) & mask_];
            if (e.fingerprint == 0) {
                free_slot = &e;
                break;
            }
            const std::uint32_t idle = now - e.last_seen;
            if (idle > timeouts[static_cast<std::size_t>(e.state())]) {
                free_slot = &e;
                break;
            }
            const bool established = e.state() == flow_state::established;
            if (established && idle < min_idle_to_evict) continue;
            // One rank: any non-established entry above any established one, then idler first
            // (idle times, not raw stamps: wrap-safe); the first of equal ranks wins.
            const std::uint64_t rank = (std::uint64_t{!established} << 32) | idle;
            if (!victim || rank > victim_rank) {
                victim = &e;
                victim_rank = rank;
            }
        }
        if (free_slot) {
            if (free_slot->fingerprint == 0) ++size_;
            else ++expired_;
            reset(*free_slot, fp, now);
            return {free_slot, true, false, 0};
        }
        if (!victim) {
            ++refused_;
            return {};
        }
        const std::uint64_t old = victim->fingerprint;
        ++evictions_;
        reset(*victim, fp, now);
        return {victim, true, true, old};
    }

    /// The live entry for `fp`, or null. Does not refresh `last_seen`.
    [[nodiscard]] constexpr flow_entry* find(std::uint64_t fp, std::uint32_t now, const flow_timeouts& timeouts) noexcept {
        const std::size_t home = static_cast<std::size_t>(fp) & mask_;
        for (std::size_t i = 0; i < window_; ++i) {
            flow_entry& e = slots_[(home + i) & mask_];
            if (e.fingerprint == fp)
                return now - e.last_seen > timeouts[static_cast<std::size_t>(e.state())] ? nullptr : &e;
        }
        return nullptr;
    }

    constexpr bool erase(std::uint64_t fp) noexcept {
        const std::size_t home = static_cast<std::size_t>(fp) & mask_;
        for (std::size_t i = 0; i < window_; ++i) {
            flow_entry& e = slots_[(home + i) & mask_];
            if (e.fingerprint == fp) {
                e = flow_entry{};
                --size_;
                return true;
            }
        }
        return false;
    }

    /// Frees up to `count` expired entries, continuing where the last call stopped; the
    /// pipeline calls it with a small count per packet so `size()` tracks live flows.
    constexpr std::size_t sweep(std::uint32_t now, const flow_timeouts& timeouts, std::size_t count) noexcept {
        std::size_t freed = 0;
        for (std::size_t n = 0; n < count; ++n) {
            flow_entry& e = slots_[sweep_pos_];
            sweep_pos_ = (sweep_pos_ + 1) & mask_;
            if (e.fingerprint != 0 && now - e.last_seen > timeouts[static_cast<std::size_t>(e.state())]) {
                e = flow_entry{};
                --size_;
                ++expired_;
                ++freed;
            }
        }
        return freed;
    }

    /// Applies `fn(flow_entry&)` to every occupied slot (e.g. to invalidate cached verdicts).
    template <class Fn>
    constexpr void for_each(Fn&& fn) noexcept {
        for (std::size_t i = 0; i <= mask_; ++i)
            if (slots_[i].fingerprint != 0) fn(slots_[i]);
    }

    constexpr void clear() noexcept {
        for (std::size_t i = 0; i <= mask_; ++i) slots_[i] = flow_entry{};
        size_ = 0;
    }

    [[nodiscard]] constexpr std::size_t size() const noexcept { return size_; }
    [[nodiscard]] constexpr std::size_t capacity() const noexcept { return mask_ + 1; }
    [[nodiscard]] constexpr std::uint64_t evictions() const noexcept { return evictions_; }
    [[nodiscard]] constexpr std::uint64_t refused() const noexcept { return refused_; }
    [[nodiscard]] constexpr std::uint64_t expired() const noexcept { return expired_; }

protected:
    constexpr flow_table_base(flow_entry* slots, std::size_t capacity, std::size_t window) noexcept
        : slots_(slots), mask_(capacity - 1), window_(window) {}
    ~flow_table_base() = default;

private:
    static constexpr void reset(flow_entry& e, std::uint64_t fp, std::uint32_t now) noexcept {
        e = flow_entry{};
        e.fingerprint = fp;
        e.last_seen = now;
        e.set_state(flow_state::new_flow);
    }

    flow_entry* slots_;
    std::size_t mask_;
    std::size_t window_;
    std::size_t size_ = 0;
    std::size_t sweep_pos_ = 0;
    std::uint64_t evictions_ = 0, refused_ = 0, expired_ = 0;
};

namespace detail {
/// Storage first, as a base, so it is constructed before flow_table_base points into it.
template <std::size_t Capacity>
struct flow_storage {
    std::array<flow_entry, Capacity> storage_{};
};
}  // namespace detail

/// A flow table that owns `Capacity` entries (16 bytes each).
template <std::size_t Capacity, std::size_t ProbeWindow = 8>
class flow_table : private detail::flow_storage<Capacity>, public flow_table_base {
    static_assert(std::has_single_bit(Capacity), "Capacity must be a power of two (slot = hash & mask)");
    static_assert(ProbeWindow >= 1 && ProbeWindow <= Capacity, "the probe window lies inside the table");
    static_assert(ProbeWindow <= 64, "a window is scanned linearly on every new flow");

public:
    static constexpr std::size_t capacity_v = Capacity;
    static constexpr std::size_t probe_window = ProbeWindow;
    static constexpr std::size_t bytes = Capacity * sizeof(flow_entry);

    constexpr flow_table() noexcept : flow_table_base(this->storage_.data(), Capacity, ProbeWindow) {}
};

}  // namespace secengine
