#pragma once
/// \file Integer token bucket that rate-limits events (the appliance's alert datagrams), with a
/// count of the events it suppressed so the next alert sent can report them.
///
/// Tokens are kept in units of 1/ticks_per_second event, so refilling `elapsed` ticks at `rate`
/// events per second adds exactly `elapsed * rate` units and nothing is lost to rounding: over
/// any span of T ticks at most burst + floor(rate * T / ticks_per_second) events pass.
/// Time is a parameter; a clock that goes backwards refills nothing.
#include <cstdint>

namespace secengine::wire {

/// Token bucket: `rate` events per second on average, bursts of up to `burst`.
class event_limiter {
public:
    constexpr event_limiter(std::uint32_t rate_per_second, std::uint32_t burst, std::uint64_t ticks_per_second,
                            std::uint64_t now) noexcept
        : rate_(rate_per_second),
          unit_(ticks_per_second == 0 ? 1 : ticks_per_second),
          capacity_(std::uint64_t{burst} * unit_),
          tokens_(capacity_),
          last_(now) {}

    /// Whether an event at `now` may be sent; if not, it is counted as suppressed.
    constexpr bool allow(std::uint64_t now) noexcept {
        refill(now);
        if (tokens_ >= unit_) {
            tokens_ -= unit_;
            return true;
        }
        ++pending_suppressed_;
        ++total_suppressed_;
        return false;
    }

    /// Events suppressed since the last call (what the next alert's `suppressed` field says).
    constexpr std::uint32_t take_suppressed() noexcept {
        const std::uint32_t n = pending_suppressed_;
        pending_suppressed_ = 0;
        return n;
    }

    [[nodiscard]] constexpr std::uint64_t total_suppressed() const noexcept { return total_suppressed_; }

private:
    constexpr void refill(std::uint64_t now) noexcept {
        if (now <= last_) return;
        const std::uint64_t elapsed = now - last_;
        last_ = now;
        const std::uint64_t room = capacity_ - tokens_;
        // elapsed * rate could overflow for long idle times; anything >= room fills the bucket.
        if (rate_ == 0) return;
        if (elapsed >= room / rate_ + 1) {
            tokens_ = capacity_;
        } else {
            tokens_ += elapsed * rate_;
            if (tokens_ > capacity_) tokens_ = capacity_;
        }
    }

    std::uint64_t rate_;
    std::uint64_t unit_;      ///< token units per event = ticks per second
    std::uint64_t capacity_;  ///< burst * unit_
    std::uint64_t tokens_;
    std::uint64_t last_;
    std::uint32_t pending_suppressed_ = 0;
    std::uint64_t total_suppressed_ = 0;
};

}  // namespace secengine::wire
