#pragma once
/// \file Anti-replay sliding window over 64-bit sequence numbers (RFC 4303 section 3.4.3, and
/// the bitmap algorithm of RFC 2401 appendix C / RFC 6479's simple form).
///
/// The window covers the highest sequence number accepted so far (`top`) and the 63 below it.
/// A number is accepted once: above `top` (the window slides), or inside the window and not yet
/// seen. Below the window it is `too_old`, even if never seen: the receiver cannot remember it.
/// Zero is never valid (senders start at 1), so a fresh window rejects nothing but 0.
/// As RFC 4303 requires, callers `check` before and `update` only after the datagram was
/// authenticated and parsed, so forged datagrams cannot move the window.
#include <cstdint>

#include "error.hpp"

namespace secengine::wire {

/// 64-entry anti-replay window for one sender's sequence numbers (16 bytes).
class replay_window {
public:
    static constexpr std::uint64_t size = 64;

    /// none, replayed (seen inside the window) or too_old (zero, or left of the window).
    [[nodiscard]] constexpr wire_error check(std::uint64_t seq) const noexcept {
        if (seq == 0) return wire_error::too_old;
        if (seq > top_) return wire_error::none;
        const std::uint64_t back = top_ - seq;
        if (back >= size) return wire_error::too_old;
        return ((seen_ >> back) & 1) != 0 ? wire_error::replayed : wire_error::none;
    }

    /// Marks `seq` as seen; requires check(seq) == none.
    constexpr void update(std::uint64_t seq) noexcept {
        if (seq > top_) {
            const std::uint64_t shift = seq - top_;
            seen_ = shift >= size ? 0 : seen_ << shift;
            seen_ |= 1;
            top_ = seq;
        } else {
            seen_ |= std::uint64_t{1} << (top_ - seq);
        }
    }

    /// check + update in one step.
    constexpr wire_error accept(std::uint64_t seq) noexcept {
        const wire_error e = check(seq);
        if (e == wire_error::none) update(seq);
        return e;
    }

    /// Forget everything (a new boot: the peer's numbers start again at 1).
    constexpr void reset() noexcept { *this = replay_window{}; }

    [[nodiscard]] constexpr std::uint64_t top() const noexcept { return top_; }

private:
    std::uint64_t top_ = 0;   ///< highest accepted sequence number (0: none yet)
    std::uint64_t seen_ = 0;  ///< bit i set: top_ - i was accepted
};

static_assert(sizeof(replay_window) == 16);

}  // namespace secengine::wire
