#pragma once
/// \file Token bucket (RFC 2697's single-rate idea, integer-only): a global packet-rate limit.
///
/// Tokens are kept scaled by ticks_per_second, so refilling needs no division: `elapsed` ticks
/// add `elapsed * rate` scaled units, a packet costs `ticks_per_second` units, and the bucket
/// holds at most `burst * ticks_per_second`. The long-run pass rate is exactly `rate` per
/// second (no rounding drift), and no more than `burst` packets ever pass back to back.
#include <algorithm>
#include <cstdint>

namespace secengine {

class token_bucket {
public:
    /// `rate` packets per second, `burst` packets of depth, time in ticks of `ticks_per_second`.
    /// rate == 0 disables the limit (every packet conforms).
    constexpr token_bucket(std::uint64_t rate, std::uint64_t burst, std::uint64_t ticks_per_second, std::uint64_t now = 0) noexcept
        : tps_(ticks_per_second ? ticks_per_second : 1), last_(now) {
        configure(rate, burst, now);
    }

    /// Changes rate and burst; the bucket starts full (a new limit must not drop the next packet).
    constexpr void configure(std::uint64_t rate, std::uint64_t burst, std::uint64_t now) noexcept {
        rate_ = rate;
        burst_ = burst ? burst : 1;
        // Keep burst * tps and elapsed * rate inside 64 bits: clamp absurd settings.
        if (burst_ > max_scaled / tps_) burst_ = max_scaled / tps_;
        if (rate_ > max_scaled / tps_) rate_ = max_scaled / tps_;
        tokens_ = burst_ * tps_;
        fill_ticks_ = rate_ ? (tokens_ + rate_ - 1) / rate_ : 0;
        last_ = now;
    }

    /// True when a packet may pass at `now` (and takes its token).
    constexpr bool consume(std::uint64_t now) noexcept {
        if (rate_ == 0) return true;
        refill(now);
        if (tokens_ < tps_) return false;
        tokens_ -= tps_;
        return true;
    }

    [[nodiscard]] constexpr std::uint64_t rate() const noexcept { return rate_; }
    [[nodiscard]] constexpr std::uint64_t burst() const noexcept { return burst_; }
    /// Whole tokens available (after refilling to `now`).
    [[nodiscard]] constexpr std::uint64_t available(std::uint64_t now) noexcept {
        refill(now);
        return tokens_ / tps_;
    }

private:
    static constexpr std::uint64_t max_scaled = std::uint64_t{1} << 62;

    constexpr void refill(std::uint64_t now) noexcept {
        if (now <= last_) return;  // time never runs backwards for us; ignore stale stamps
        const std::uint64_t cap = burst_ * tps_;
        const std::uint64_t elapsed = now - last_;
        // Past the time an empty bucket needs to fill, it is full: this also keeps
        // elapsed * rate below cap <= 2^62, so the multiply cannot overflow.
        tokens_ = elapsed >= fill_ticks_ ? cap : std::min(cap, tokens_ + elapsed * rate_);
        last_ = now;
    }

    std::uint64_t tps_;
    std::uint64_t rate_ = 0, burst_ = 1;
    std::uint64_t tokens_ = 0;
    std::uint64_t fill_ticks_ = 0;  ///< ticks to fill an empty bucket
    std::uint64_t last_;
};

}  // namespace secengine
