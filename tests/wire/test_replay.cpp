// The anti-replay window against a model that remembers everything, and the event limiter
// against its token-bucket bound.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include <secengine/wire/event_limiter.hpp>
#include <secengine/wire/replay_window.hpp>

using namespace secengine::wire;

namespace {

/// What RFC 4303 section 3.4.3 asks of a 64-entry window, stated without bitmaps:
/// accept seq iff seq >= 1, it was never accepted, and seq > highest - 64.
struct model {
    std::set<std::uint64_t> accepted;
    std::uint64_t highest = 0;
    wire_error check(std::uint64_t seq) const {
        if (seq == 0 || (highest >= replay_window::size && seq <= highest - replay_window::size))
            return wire_error::too_old;
        return accepted.count(seq) ? wire_error::replayed : wire_error::none;
    }
    void accept(std::uint64_t seq) {
        accepted.insert(seq);
        highest = std::max(highest, seq);
    }
};

constexpr bool constexpr_window() {
    replay_window w;
    return w.accept(1) == wire_error::none && w.accept(1) == wire_error::replayed && w.accept(100) == wire_error::none &&
           w.accept(36) == wire_error::too_old && w.accept(37) == wire_error::none && w.accept(0) == wire_error::too_old;
}
static_assert(constexpr_window());

}  // namespace

TEST_CASE("the window agrees with the model on random orders, duplicates and old numbers", "[replay][property]") {
    std::mt19937_64 rng(80);
    for (int run = 0; run < 300; ++run) {
        replay_window w;
        model m;
        std::vector<std::uint64_t> sent;
        std::uint64_t next = 1 + (run % 3 == 0 ? rng() : 0) % 1000;  // sometimes far from 1
        for (int i = 0; i < 2000; ++i) {
            std::uint64_t seq;
            switch (rng() % 6) {
                case 0:  // a duplicate of something sent
                    seq = sent.empty() ? next : sent[rng() % sent.size()];
                    break;
                case 1:  // reordered: a little behind the newest
                    seq = next > 70 ? next - 1 - rng() % 70 : 1 + rng() % next;
                    break;
                case 2:  // a jump ahead (lost datagrams)
                    next += 1 + rng() % 200;
                    seq = next;
                    break;
                case 3:  // arbitrary, including 0 and huge
                    seq = rng() % 4 == 0 ? 0 : rng() % (next + 100);
                    break;
                default:
                    seq = next++;
            }
            const wire_error want = m.check(seq);
            REQUIRE(w.check(seq) == want);
            REQUIRE(w.accept(seq) == want);
            if (want == wire_error::none) {
                m.accept(seq);
                sent.push_back(seq);
            }
            REQUIRE(w.top() == m.highest);
        }
    }
}

TEST_CASE("an in-order stream is accepted once and only once", "[replay][property]") {
    std::mt19937_64 rng(81);
    replay_window w;
    std::uint64_t seq = 1;
    for (int i = 0; i < 10000; ++i, ++seq) {
        REQUIRE(w.accept(seq) == wire_error::none);
        // Any number of the last 64 is a replay, anything older too old.
        const std::uint64_t back = rng() % 100;
        if (back < seq) REQUIRE(w.accept(seq - back) == (back < 64 ? wire_error::replayed : wire_error::too_old));
    }
    // Sequence numbers near 2^64 do not wrap the window.
    replay_window hi;
    const std::uint64_t top = ~std::uint64_t{0};
    REQUIRE(hi.accept(top) == wire_error::none);
    REQUIRE(hi.accept(top - 63) == wire_error::none);
    REQUIRE(hi.accept(top - 64) == wire_error::too_old);
    REQUIRE(hi.accept(1) == wire_error::too_old);
}

TEST_CASE("the event limiter never exceeds burst + rate * time", "[limiter][property]") {
    std::mt19937_64 rng(82);
    for (int run = 0; run < 400; ++run) {
        const std::uint32_t rate = 1 + static_cast<std::uint32_t>(rng() % 1000);
        const std::uint32_t burst = 1 + static_cast<std::uint32_t>(rng() % 50);
        const std::uint64_t tps = run % 2 ? 10'000'000 : 1 + rng() % 100'000;
        const std::uint64_t start = rng() % 1'000'000;
        event_limiter lim(rate, burst, tps, start);
        std::vector<std::uint64_t> allowed;  // times of allowed events
        std::uint64_t now = start, suppressed = 0;
        for (int i = 0; i < 3000; ++i) {
            now += rng() % 4 == 0 ? rng() % (4 * tps / rate + 1) : rng() % (tps / rate / 4 + 1);
            if (lim.allow(now)) allowed.push_back(now);
            else ++suppressed;
        }
        REQUIRE(lim.total_suppressed() == suppressed);
        REQUIRE(lim.take_suppressed() == suppressed);
        REQUIRE(lim.take_suppressed() == 0);
        // Bound over every window [allowed[i], allowed[j]]: j - i + 1 events in that span.
        for (std::size_t i = 0; i < allowed.size(); i += 1 + allowed.size() / 200) {
            std::size_t worst = 0;  // first j that breaks the bound, if any
            for (std::size_t j = i; j < allowed.size() && worst == 0; ++j) {
                const unsigned __int128 span = allowed[j] - allowed[i];
                const unsigned __int128 bound = burst + span * rate / tps;
                if (j - i + 1 > bound) worst = j;
            }
            INFO("rate " << rate << " burst " << burst << " tps " << tps << " from event " << i);
            REQUIRE(worst == 0);
        }
    }
}

TEST_CASE("the event limiter lets a compliant sender through", "[limiter][property]") {
    std::mt19937_64 rng(83);
    for (int run = 0; run < 300; ++run) {
        const std::uint32_t rate = 1 + static_cast<std::uint32_t>(rng() % 1000);
        const std::uint32_t burst = 1 + static_cast<std::uint32_t>(rng() % 50);
        const std::uint64_t tps = 10'000'000;
        std::uint64_t now = rng() >> 4;  // room for the idle jump below
        event_limiter lim(rate, burst, tps, now);
        for (std::uint32_t i = 0; i < burst; ++i) REQUIRE(lim.allow(now));  // a full bucket at start
        REQUIRE_FALSE(lim.allow(now));
        const std::uint64_t gap = (tps + rate - 1) / rate;  // one token's worth of ticks
        for (int i = 0; i < 500; ++i) {
            now += gap + rng() % 3;
            REQUIRE(lim.allow(now));
        }
        // A clock that goes backwards refills nothing; a long idle time refills exactly to burst.
        REQUIRE_FALSE(lim.allow(now - 1000));
        now += 1'000'000ULL * tps;
        for (std::uint32_t i = 0; i < burst; ++i) REQUIRE(lim.allow(now));
        REQUIRE_FALSE(lim.allow(now));
    }
}
