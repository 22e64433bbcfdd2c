#pragma once
/// \file A list with a fixed capacity and a count: how messages carry repeated items without a heap.
/// On the wire it is a little-endian u16 count followed by `count` items; a decoded count above the
/// capacity is `out_of_range`, never a write past the array.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace secengine::wire {

/// Up to N items of T; items [0, count) are meaningful, the rest stay value-initialised.
template <class T, std::size_t N>
struct bounded {
    static_assert(N > 0 && N <= 0xffff, "the wire count is a u16");
    using value_type = T;
    static constexpr std::size_t capacity = N;

    std::uint16_t count = 0;
    std::array<T, N> items{};

    [[nodiscard]] constexpr std::span<const T> view() const noexcept { return {items.data(), count}; }
    [[nodiscard]] constexpr bool full() const noexcept { return count == N; }
    /// Equal when the meaningful items are (what the wire carries; the unused tail is not compared).
    friend constexpr bool operator==(const bounded& a, const bounded& b) noexcept {
        if (a.count != b.count) return false;
        for (std::size_t i = 0; i < a.count && i < N; ++i)
            if (!(a.items[i] == b.items[i])) return false;
        return true;
    }
    /// Appends `v`; false (and nothing changes) when full.
    constexpr bool push(const T& v) noexcept {
        if (full()) return false;
        items[count++] = v;
        return true;
    }
};

template <class T>
inline constexpr bool is_bounded_v = false;
template <class T, std::size_t N>
inline constexpr bool is_bounded_v<bounded<T, N>> = true;

}  // namespace secengine::wire
