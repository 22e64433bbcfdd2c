// Token bucket and penalty box invariants.
#include <catch2/catch.hpp>

#include <deque>
#include <map>
#include <random>

#include <secengine/penalty_box.hpp>
#include <secengine/token_bucket.hpp>

using namespace secengine;

TEST_CASE("token bucket: no window ever passes more than burst + rate * time", "[rate][property]") {
    std::mt19937_64 rng(21);
    for (int round = 0; round < 30; ++round) {
        const std::uint64_t tps = 10'000'000;
        const std::uint64_t rate = 1 + rng() % 100000, burst = 1 + rng() % 1000;
        token_bucket tb(rate, burst, tps, 0);
        std::deque<std::uint64_t> passes;  // times of passes
        std::uint64_t now = 0;
        for (int i = 0; i < 20000; ++i) {
            now += rng() % (2 * tps / rate + 1);
            if (tb.consume(now)) passes.push_back(now);
        }
        // Check every window that starts at a pass: count(t0..t1) <= burst + rate*(t1-t0)/tps.
        for (std::size_t i = 0; i < passes.size(); i += 17) {
            for (std::size_t j = i; j < passes.size() && j < i + 1500; j += 7) {
                const std::uint64_t n = j - i + 1;
                const std::uint64_t allowed = burst + rate * (passes[j] - passes[i]) / tps;
                REQUIRE(n <= allowed);
            }
        }
    }
}

TEST_CASE("token bucket: the long-run pass rate is within 1% of the configured rate", "[rate][property]") {
    std::mt19937_64 rng(22);
    for (int round = 0; round < 20; ++round) {
        const std::uint64_t tps = 10'000'000;
        const std::uint64_t rate = 100 + rng() % 50000, burst = 1 + rng() % 100;
        token_bucket tb(rate, burst, tps, 0);
        // Offer 3x the rate with random gaps for 100 simulated seconds.
        const std::uint64_t seconds = 100;
        std::uint64_t now = 0, passed = 0;
        while (now < seconds * tps) {
            now += rng() % (2 * tps / (3 * rate)) + 1;
            passed += tb.consume(now);
        }
        const double measured = static_cast<double>(passed - burst) / static_cast<double>(seconds);
        CHECK(measured == Approx(static_cast<double>(rate)).epsilon(0.01));
    }
}

TEST_CASE("token bucket: rate 0 is unlimited, a stale clock is ignored", "[rate]") {
    token_bucket off(0, 5, 1000, 0);
    for (int i = 0; i < 100; ++i) CHECK(off.consume(0));
    token_bucket tb(1, 2, 1000, 5000);
    CHECK(tb.consume(5000));
    CHECK(tb.consume(5000));
    CHECK_FALSE(tb.consume(4000));  // time going backwards refills nothing
    CHECK_FALSE(tb.consume(5999));
    CHECK(tb.consume(6000));
}

TEST_CASE("penalty box: bans expire exactly on time", "[penalty][property]") {
    std::mt19937_64 rng(23);
    penalty_box<64> box;
    for (int i = 0; i < 2000; ++i) {
        const std::uint64_t key = rng();
        const std::uint64_t start = rng() % 1'000'000, dur = 1 + rng() % 10'000;
        box.flush();
        REQUIRE(box.ban(key, start, dur) == ban_result::added);
        REQUIRE(box.banned(key, start));
        REQUIRE(box.banned(key, start + dur - 1));
        REQUIRE_FALSE(box.banned(key, start + dur));
        REQUIRE_FALSE(box.banned(key ^ 1, start));
    }
}

TEST_CASE("penalty box: model check of ban, unban, expiry, list and the full-table policies", "[penalty][property]") {
    std::mt19937_64 rng(24);
    for (auto policy : {penalty_full_policy::evict_soonest, penalty_full_policy::refuse}) {
        penalty_box<16, 4> box(policy, rng());
        std::map<std::uint64_t, std::uint64_t> model;  // key -> expires
        std::uint64_t now = 0;
        for (int op = 0; op < 20000; ++op) {
            now += rng() % 5;
            const std::uint64_t key = rng() % 64;
            for (auto it = model.begin(); it != model.end();) it = it->second <= now ? model.erase(it) : std::next(it);
            const int what = static_cast<int>(rng() % 10);
            if (what < 6) {
                const std::uint64_t dur = 1 + rng() % 200;
                const auto r = box.ban(key, now, dur);
                if (r == ban_result::refused) {
                    REQUIRE(policy == penalty_full_policy::refuse);
                    REQUIRE(model.count(key) == 0);
                } else if (r == ban_result::evicted_other) {
                    // exactly one model entry disappeared: the one the box no longer has
                    std::size_t gone = 0;
                    for (auto it = model.begin(); it != model.end();)
                        if (!box.banned(it->first, now)) { it = model.erase(it); ++gone; } else ++it;
                    REQUIRE(gone == 1);
                    model[key] = now + dur;
                } else {
                    model[key] = std::max(model[key], now + dur);
                }
            } else if (what < 8) {
                const bool had = model.erase(key) == 1;
                REQUIRE(box.unban(key, now) == had);
            }
            for (auto [k, exp] : model) REQUIRE(box.banned(k, now));
            REQUIRE(box.banned(key, now) == (model.count(key) == 1));
            if (op % 101 == 0) {
                std::array<ban_entry, 16> out{};
                REQUIRE(box.list(now, out) == model.size());
                REQUIRE(box.size(now) == model.size());
            }
        }
    }
}
