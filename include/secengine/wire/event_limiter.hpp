#pragma once
/// \file Rate limit for events (the appliance's alert datagrams): the engine's integer token
/// bucket (token_bucket.hpp) plus a count of the events it suppressed, so the next alert sent
/// can report them. Over any span of T ticks at most burst + floor(rate * T / ticks_per_second)
/// events pass. Time is a parameter; a clock that goes backwards refills nothing.
#include <cstdint>

#include "../token_bucket.hpp"

namespace secengine::wire {

/// Token bucket over events: `rate` per second on average, bursts of up to `burst`; rate 0 = no limit.
class event_limiter {
public:
    constexpr event_limiter(std::uint32_t rate_per_second, std::uint32_t burst, std::uint64_t ticks_per_second,
                            std::uint64_t now) noexcept
        : bucket_(rate_per_second, burst, ticks_per_second, now) {}

    /// Whether an event at `now` may be sent; if not, it is counted as suppressed.
    constexpr bool allow(std::uint64_t now) noexcept {
        if (bucket_.consume(now)) return true;
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
    token_bucket bucket_;
    std::uint32_t pending_suppressed_ = 0;
    std::uint64_t total_suppressed_ = 0;
};

}  // namespace secengine::wire
