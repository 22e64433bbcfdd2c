#pragma once
/// \file Penalty box: sources banned until a deadline, in a small bounded-probe hash table.
///
/// `banned(key, now)` is on every packet's path, so it is O(ProbeWindow) and free when the box
/// is empty. A ban covers [start, start + duration): at `expires` the source is free again,
/// exactly. When a key's window is full of live bans, the full-table policy decides: replace
/// the ban that expires soonest (`evict_soonest`, counted) or refuse the new ban (`refuse`,
/// counted) - either way the caller learns it from the result.
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/detail/hash.hpp>

namespace secengine {

/// One ban: the source key (see flow_key.hpp's source_key) and when it ends (ticks).
struct ban_entry {
    std::uint64_t key = 0;
    std::uint64_t expires = 0;  ///< 0 marks a free slot
};

enum class penalty_full_policy : std::uint8_t { evict_soonest, refuse };

enum class ban_result : std::uint8_t { added, extended, evicted_other, refused };

template <std::size_t Capacity, std::size_t ProbeWindow = 8>
class penalty_box {
    static_assert(std::has_single_bit(Capacity), "Capacity must be a power of two");
    static_assert(ProbeWindow >= 1 && ProbeWindow <= Capacity);

public:
    static constexpr std::size_t capacity_v = Capacity;

    constexpr explicit penalty_box(penalty_full_policy policy = penalty_full_policy::evict_soonest, std::uint64_t seed = 0) noexcept
        : policy_(policy), seed_(seed) {}

    /// Bans `key` until `now + duration` (a longer existing ban is kept).
    constexpr ban_result ban(std::uint64_t key, std::uint64_t now, std::uint64_t duration) noexcept {
        const std::uint64_t until = now + (duration ? duration : 1);
        const std::size_t h = home(key);
        ban_entry* free_slot = nullptr;
        ban_entry* soonest = nullptr;
        for (std::size_t i = 0; i < ProbeWindow; ++i) {
            ban_entry& e = slot(h, i);
            const bool live = e.expires > now;
            if (live && e.key == key) {
                if (until > e.expires) e.expires = until;
                return ban_result::extended;
            }
            if (!live) {
                // Reuse this key's own stale slot first, so a key never holds two slots.
                if (!free_slot || (e.key == key && e.expires != 0)) free_slot = &e;
            } else if (!soonest || e.expires < soonest->expires) {
                soonest = &e;
            }
        }
        if (free_slot) {
            if (free_slot->expires == 0) ++used_;
            *free_slot = {key, until};
            ++bans_;
            return ban_result::added;
        }
        if (policy_ == penalty_full_policy::refuse || !soonest) {
            ++refused_;
            return ban_result::refused;
        }
        *soonest = {key, until};
        ++evicted_;
        ++bans_;
        return ban_result::evicted_other;
    }

    /// True while `key` serves a ban at `now`.
    [[nodiscard]] constexpr bool banned(std::uint64_t key, std::uint64_t now) const noexcept {
        if (used_ == 0) return false;
        const std::size_t h = home(key);
        for (std::size_t i = 0; i < ProbeWindow; ++i) {
            const ban_entry& e = slot(h, i);
            if (e.key == key && e.expires > now) return true;
        }
        return false;
    }

    /// Lifts the ban on `key`; true if there was a live one.
    constexpr bool unban(std::uint64_t key, std::uint64_t now) noexcept {
        bool was_live = false;
        const std::size_t h = home(key);
        for (std::size_t i = 0; i < ProbeWindow; ++i) {
            ban_entry& e = slot(h, i);
            if (e.key == key && e.expires != 0) {
                was_live = was_live || e.expires > now;
                e = {};
                --used_;
            }
        }
        return was_live;
    }

    constexpr void flush() noexcept {
        slots_.fill({});
        used_ = 0;
    }

    /// Copies live bans into `out` (up to its size); returns how many were written.
    constexpr std::size_t list(std::uint64_t now, std::span<ban_entry> out) const noexcept {
        std::size_t n = 0;
        for (const auto& e : slots_)
            if (e.expires > now && n < out.size()) out[n++] = e;
        return n;
    }

    /// Calls f(const ban_entry&) for every live ban at `now`, in slot order (the control
    /// plane's paged listing; stable between calls while the box does not change).
    template <class F>
    constexpr void for_each(std::uint64_t now, F&& f) const {
        for (const auto& e : slots_)
            if (e.expires > now) f(e);
    }

    /// Live bans at `now` (O(Capacity); for telemetry, not the packet path). Also frees
    /// expired slots so that `banned()` keeps its empty fast path.
    constexpr std::size_t size(std::uint64_t now) noexcept {
        std::size_t live = 0;
        for (auto& e : slots_) {
            if (e.expires > now) ++live;
            else if (e.expires != 0) {
                e = {};
                --used_;
            }
        }
        return live;
    }

    [[nodiscard]] constexpr std::uint64_t total_bans() const noexcept { return bans_; }
    [[nodiscard]] constexpr std::uint64_t refused() const noexcept { return refused_; }
    [[nodiscard]] constexpr std::uint64_t evicted() const noexcept { return evicted_; }
    constexpr void set_policy(penalty_full_policy p) noexcept { policy_ = p; }

private:
    [[nodiscard]] constexpr std::size_t home(std::uint64_t key) const noexcept {
        return static_cast<std::size_t>(detail::mix64(key ^ seed_ ^ 0x3c6ef372fe94f82bULL));
    }
    /// The i-th slot of the window that starts at `h` (= home(key), hashed once per call).
    constexpr ban_entry& slot(std::size_t h, std::size_t i) noexcept { return slots_[(h + i) & (Capacity - 1)]; }
    constexpr const ban_entry& slot(std::size_t h, std::size_t i) const noexcept { return slots_[(h + i) & (Capacity - 1)]; }

    std::array<ban_entry, Capacity> slots_{};
    std::size_t used_ = 0;  ///< occupied slots (live or expired-not-yet-freed)
    std::uint64_t bans_ = 0, refused_ = 0, evicted_ = 0;
    penalty_full_policy policy_;
    std::uint64_t seed_;
};

}  // namespace secengine
