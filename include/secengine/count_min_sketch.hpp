#pragma once
/// \file Count-Min Sketch (Cormode & Muthukrishnan, "An improved data stream summary: the
/// count-min sketch and its applications", J. Algorithms 55(1), 2005) with conservative update
/// (Estan & Varghese, SIGCOMM 2002), saturating counters, windows that reset or halve, merging,
/// and a bounded list of heavy-hitter candidates for telemetry.
///
/// Guarantee (plain update, N = total count in the window): estimate(x) >= true(x) always, and
/// estimate(x) <= true(x) + e*N/Width with probability >= 1 - e^-Depth. Conservative update only
/// lowers estimates, so the same bounds hold. Memory: Width * Depth * sizeof(Counter) bytes plus
/// TopN * 16 bytes (docs/count_min_sketch.md).
#include <algorithm>
#include <array>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>

#include <secengine/detail/hash.hpp>

namespace secengine {

/// How `add` raises counters.
enum class cms_update : std::uint8_t {
    conservative,  ///< raise each row only up to the new minimum (tighter; not mergeable exactly)
    plain,         ///< add to every row (merge of two sketches == sketch of both streams)
};

/// What happens at a window boundary.
enum class cms_window : std::uint8_t { reset, halve };

/// One heavy-hitter candidate: the key and its estimate when last seen.
template <class Counter>
struct cms_candidate {
    std::uint64_t key = 0;
    Counter estimate = 0;
};

template <std::size_t Width, std::size_t Depth, std::unsigned_integral Counter = std::uint16_t, std::size_t TopN = 8>
class count_min_sketch {
    static_assert(std::has_single_bit(Width), "Width must be a power of two (index = hash & mask)");
    static_assert(Width >= 16 && Width <= (std::size_t{1} << 16), "row index comes from 16 hash bits or fewer");
    static_assert(Depth >= 1 && Depth <= 8, "Depth rows share two 64-bit hashes");
    static_assert(TopN >= 1 && TopN <= 64, "the candidate list is scanned linearly");

public:
    using counter_type = Counter;
    using candidate = cms_candidate<Counter>;
    static constexpr std::size_t width = Width;
    static constexpr std::size_t depth = Depth;
    static constexpr std::size_t top_n = TopN;
    static constexpr Counter counter_max = std::numeric_limits<Counter>::max();
    /// Candidate estimates are refreshed every this many counts of a key (see note_candidate).
    static constexpr Counter candidate_stride = 16;

    constexpr explicit count_min_sketch(std::uint64_t seed = 0, cms_update mode = cms_update::conservative) noexcept
        : seed_(seed), mode_(mode) {}

    /// Counts `n` occurrences of `key`; returns the new estimate (saturates at counter_max).
    constexpr Counter add(std::uint64_t key, Counter n = 1) noexcept {
        std::array<std::size_t, Depth> idx;
        columns(key, idx);
        Counter est = counter_max;
        if (mode_ == cms_update::conservative) {
            for (std::size_t r = 0; r < Depth; ++r) est = std::min(est, rows_[idx[r]]);
            est = sat_add(est, n);
            for (std::size_t r = 0; r < Depth; ++r) rows_[idx[r]] = std::max(rows_[idx[r]], est);
        } else {
            for (std::size_t r = 0; r < Depth; ++r) {
                rows_[idx[r]] = sat_add(rows_[idx[r]], n);
                est = std::min(est, rows_[idx[r]]);
            }
        }
        total_ += n;
        note_candidate(key, est);
        return est;
    }

    [[nodiscard]] constexpr Counter estimate(std::uint64_t key) const noexcept {
        std::array<std::size_t, Depth> idx;
        columns(key, idx);
        Counter est = counter_max;
        for (std::size_t r = 0; r < Depth; ++r) est = std::min(est, rows_[idx[r]]);
        return est;
    }

    [[nodiscard]] constexpr bool heavy(std::uint64_t key, Counter threshold) const noexcept {
        return estimate(key) >= threshold;
    }

    /// Starts a new window: old counts vanish (reset) or fade by half (halve).
    constexpr void new_window(cms_window policy) noexcept {
        if (policy == cms_window::reset) {
            rows_.fill(0);
            total_ = 0;
            candidates_used_ = 0;
            candidates_min_ = 0;
            return;
        }
        for (auto& c : rows_) c = static_cast<Counter>(c >> 1);
        total_ >>= 1;
        std::size_t kept = 0;
        for (std::size_t i = 0; i < candidates_used_; ++i)
            if (candidates_[i].estimate > 1) candidates_[kept++] = {candidates_[i].key, static_cast<Counter>(candidates_[i].estimate >> 1)};
        candidates_used_ = kept;
        refresh_min();
    }

    /// Adds another sketch of the same shape and seed counter by counter (saturating).
    /// Returns false (and changes nothing) when the seeds differ: the rows would not line up.
    constexpr bool merge(const count_min_sketch& other) noexcept {
        if (other.seed_ != seed_) return false;
        for (std::size_t i = 0; i < rows_.size(); ++i) rows_[i] = sat_add(rows_[i], other.rows_[i]);
        total_ += other.total_;
        for (std::size_t i = 0; i < other.candidates_used_; ++i)
            note_candidate(other.candidates_[i].key, estimate(other.candidates_[i].key), true);
        return true;
    }

    /// Heavy-hitter candidates, highest estimate first is not guaranteed; at most TopN.
    [[nodiscard]] constexpr std::span<const candidate> candidates() const noexcept {
        return {candidates_.data(), candidates_used_};
    }
    [[nodiscard]] constexpr std::uint64_t total() const noexcept { return total_; }
    [[nodiscard]] constexpr std::uint64_t seed() const noexcept { return seed_; }
    [[nodiscard]] constexpr cms_update mode() const noexcept { return mode_; }
    [[nodiscard]] constexpr std::span<const Counter> counters() const noexcept { return rows_; }

private:
    static constexpr unsigned bits_per_row = static_cast<unsigned>(std::countr_zero(Width));

    [[nodiscard]] static constexpr Counter sat_add(Counter a, Counter b) noexcept {
        return static_cast<Counter>(a > counter_max - b ? counter_max : a + b);
    }

    /// Row r's column comes from its own slice of hash bits (two mixed words give 128 bits,
    /// enough for 8 rows of up to 16 bits), so rows are as independent as the mixer is.
    constexpr void columns(std::uint64_t key, std::array<std::size_t, Depth>& idx) const noexcept {
        std::uint64_t h = detail::mix64(key ^ seed_ ^ 0x6a09e667f3bcc909ULL);
        unsigned used = 0;
        for (std::size_t r = 0; r < Depth; ++r) {
            if (used + bits_per_row > 64) {
                h = detail::mix64(h ^ 0xbb67ae8584caa73bULL);
                used = 0;
            }
            idx[r] = r * Width + static_cast<std::size_t>((h >> used) & (Width - 1));
            used += bits_per_row;
        }
    }

    /// Keeps the TopN largest estimates seen. O(TopN), but only when the key can enter the list
    /// and, once the list is full, only at every candidate_stride-th count of a key (a key's
    /// estimate passes through every value as it grows): the list's estimates may lag by less
    /// than the stride; `estimate(key)` gives the current value.
    constexpr void note_candidate(std::uint64_t key, Counter est, bool every_count = false) noexcept {
        if (candidates_used_ == TopN && (est <= candidates_min_ || (!every_count && (est % candidate_stride) != 0))) return;
        std::size_t min_i = 0;
        for (std::size_t i = 0; i < candidates_used_; ++i) {
            if (candidates_[i].key == key) {
                candidates_[i].estimate = est;
                refresh_min();
                return;
            }
            if (candidates_[i].estimate < candidates_[min_i].estimate) min_i = i;
        }
        if (candidates_used_ < TopN) candidates_[candidates_used_++] = {key, est};
        else candidates_[min_i] = {key, est};
        refresh_min();
    }

    constexpr void refresh_min() noexcept {
        candidates_min_ = candidates_used_ ? candidates_[0].estimate : Counter{0};
        for (std::size_t i = 1; i < candidates_used_; ++i) candidates_min_ = std::min(candidates_min_, candidates_[i].estimate);
    }

    // Scalars before the rows: within a 12-bit offset of the object on RV64 (see pipeline.hpp).
    std::uint64_t seed_;
    std::uint64_t total_ = 0;
    std::size_t candidates_used_ = 0;
    Counter candidates_min_ = 0;
    cms_update mode_;
    std::array<candidate, TopN> candidates_{};
    std::array<Counter, Width * Depth> rows_{};
};

}  // namespace secengine
