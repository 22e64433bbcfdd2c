// Flow table invariants: bounded size, every live flow found (or its eviction reported), the
// documented eviction order, exact expiry, and fingerprint quality.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>
#include <unordered_set>

#include <secengine/flow_key.hpp>
#include <secengine/flow_table.hpp>
#include <secengine/net/builder.hpp>

#include "frames.hpp"

using namespace secengine;

namespace {
flow_timeouts uniform_timeouts(std::uint32_t t) {
    flow_timeouts to{};
    to.fill(t);
    return to;
}
}  // namespace

TEST_CASE("model check: size bounded, every live flow found unless reported evicted", "[flows][property]") {
    std::mt19937_64 rng(11);
    for (int round = 0; round < 10; ++round) {
        flow_table<256, 8> table;
        const auto to = uniform_timeouts(1000);
        std::map<std::uint64_t, std::uint32_t> live;  // fp -> last_seen
        std::uint32_t now = 0;
        for (int op = 0; op < 5000; ++op) {
            now += static_cast<std::uint32_t>(rng() % 3);
            // revisit a known flow or start a new one
            std::uint64_t fp = 0;
            if (!live.empty() && rng() % 2) {
                auto it = live.begin();
                std::advance(it, static_cast<long>(rng() % live.size()));
                fp = it->first;
            } else {
                fp = rng() | 1;
            }
            for (auto it = live.begin(); it != live.end();)  // drop what the model says expired
                it = (now - it->second > 1000) ? live.erase(it) : std::next(it);
            const auto r = table.track(fp, now, to, 0);
            REQUIRE(r.entry != nullptr);  // min_idle 0: something is always evictable
            REQUIRE(r.entry->fingerprint == fp);
            REQUIRE(r.created == (live.count(fp) == 0));
            if (r.evicted) {
                REQUIRE(live.count(r.evicted_fingerprint) == 1);
                live.erase(r.evicted_fingerprint);
            }
            live[fp] = now;
            REQUIRE(table.size() <= table.capacity());
            if (op % 97 == 0)
                for (auto [f, seen] : live) REQUIRE(table.find(f, now, to) != nullptr);
        }
        for (auto [f, seen] : live) REQUIRE(table.find(f, now, to) != nullptr);
    }
}

TEST_CASE("eviction picks the oldest unconfirmed entry of the window, then the oldest idle established", "[flows][property]") {
    std::mt19937_64 rng(12);
    const auto to = uniform_timeouts(1u << 30);
    for (int round = 0; round < 300; ++round) {
        flow_table<16, 4> table;
        // Fill slots 0..3 (home 0) with entries of random age and state.
        std::map<std::uint64_t, std::pair<std::uint32_t, flow_state>> in_window;
        std::uint32_t now = 1000;
        std::array<flow_entry*, 4> entries{};
        for (std::uint64_t i = 0; i < 4; ++i) {
            const auto r = table.track((i + 1) << 4, 0, to, 0);  // home slot 0 for all
            REQUIRE(r.created);
            entries[i] = r.entry;
        }
        for (auto* e : entries) {  // ages set afterwards: inserting out of time order would look like wrap-around
            e->last_seen = static_cast<std::uint32_t>(rng() % 900);
            e->set_state(rng() % 2 ? flow_state::established : flow_state::syn_sent);
            in_window[e->fingerprint] = {e->last_seen, e->state()};
        }
        const std::uint32_t min_idle = static_cast<std::uint32_t>(rng() % 1000);
        // Expected victim by the documented rule.
        std::uint64_t expect = 0;
        bool expect_est = true;
        std::uint32_t expect_age = 0;
        for (auto [fp, v] : in_window) {
            const auto [seen, st] = v;
            const bool est = st == flow_state::established;
            const std::uint32_t age = now - seen;
            if (est && age < min_idle) continue;
            if (expect == 0 || (expect_est && !est) || (expect_est == est && age > expect_age)) {
                expect = fp;
                expect_est = est;
                expect_age = age;
            }
        }
        const auto r = table.track(0x1000, now, to, min_idle);  // home slot 0 again
        if (expect == 0) {
            CHECK(r.entry == nullptr);
            CHECK(table.refused() == 1);
        } else {
            REQUIRE(r.evicted);
            CHECK(r.evicted_fingerprint == expect);
        }
    }
}

TEST_CASE("entries expire exactly after their state's timeout", "[flows]") {
    flow_table<64, 8> table;
    flow_timeouts to{};
    to.fill(100);
    to[static_cast<std::size_t>(flow_state::established)] = 500;
    auto r = table.track(77, 10, to, 0);
    REQUIRE(r.created);
    CHECK(table.find(77, 110, to) != nullptr);
    CHECK(table.find(77, 111, to) == nullptr);
    r = table.track(77, 50, to, 0);
    REQUIRE_FALSE(r.created);
    r.entry->set_state(flow_state::established);
    CHECK(table.find(77, 550, to) != nullptr);
    CHECK(table.find(77, 551, to) == nullptr);
    // sweeping frees it and size follows
    CHECK(table.size() == 1);
    CHECK(table.sweep(551, to, 64) == 1);
    CHECK(table.size() == 0);
    // an expired entry is recreated fresh on the next packet
    r = table.track(77, 10, to, 0);
    r = table.track(77, 1000, to, 0);
    CHECK(r.created);
}

TEST_CASE("coarse clock wrap-around does not break idle ages", "[flows]") {
    flow_table<64, 8> table;
    const auto to = uniform_timeouts(100);
    const std::uint32_t near_wrap = 0xffffffc0u;
    REQUIRE(table.track(5, near_wrap, to, 0).created);
    CHECK(table.find(5, near_wrap + 50u, to) != nullptr);  // wrapped past 0
    CHECK(table.find(5, near_wrap + 101u, to) == nullptr);
}

TEST_CASE("fingerprints: both directions agree, distinct flows do not collide", "[flows][property]") {
    std::mt19937_64 rng(13);
    std::unordered_set<std::uint64_t> seen;
    std::set<std::tuple<std::uint32_t, std::uint32_t, std::uint16_t, std::uint16_t, std::uint8_t>> tuples;
    for (int i = 0; i < 200000; ++i) {
        testing_frames::spec s;
        s.proto = rng() % 2 ? net::ipproto::tcp : net::ipproto::udp;
        s.src4 = static_cast<std::uint32_t>(rng());
        s.dst4 = static_cast<std::uint32_t>(rng());
        s.sport = static_cast<std::uint16_t>(rng());
        s.dport = static_cast<std::uint16_t>(rng());
        s.flags = net::tcpflag::ack;
        auto fwd = testing_frames::build(s);
        std::swap(s.src4, s.dst4);
        std::swap(s.sport, s.dport);
        auto rev = testing_frames::build(s);
        net::packet_view a, b;
        REQUIRE(net::parse(fwd, a) == net::parse_error::none);
        REQUIRE(net::parse(rev, b) == net::parse_error::none);
        const auto ka = make_flow_key(a, 99), kb = make_flow_key(b, 99);
        REQUIRE(ka.fingerprint == kb.fingerprint);
        REQUIRE(ka.fingerprint != 0);
        if (ka.fingerprint == kb.fingerprint && !(s.src4 == s.dst4 && s.sport == s.dport)) REQUIRE(ka.src_is_low != kb.src_is_low);
        if (tuples.insert({std::min(s.src4, s.dst4), std::max(s.src4, s.dst4), s.sport, s.dport, s.proto}).second)
            seen.insert(ka.fingerprint);
    }
    // 200k distinct flows in a 64-bit space: P(any collision) ~ 1e-9.
    CHECK(seen.size() == tuples.size());
}

TEST_CASE("home slots spread evenly (chi-square on 1024 buckets)", "[flows][property]") {
    std::mt19937_64 rng(14);
    std::vector<double> buckets(1024);
    const int n = 200000;
    for (int i = 0; i < n; ++i) {
        // Sequential addresses and ports, the worst case for a weak hash.
        testing_frames::spec s;
        s.proto = net::ipproto::tcp;
        s.src4 = 0x0a000000u + static_cast<std::uint32_t>(i / 64);
        s.dst4 = 0x0a000014u;
        s.sport = static_cast<std::uint16_t>(1024 + i % 64);
        s.dport = 80;
        s.flags = net::tcpflag::syn;
        net::packet_view v;
        auto f = testing_frames::build(s);
        REQUIRE(net::parse(f, v) == net::parse_error::none);
        buckets[make_flow_key(v, 7).fingerprint & 1023] += 1;
    }
    const double expected = n / 1024.0;
    double chi = 0;
    for (double b : buckets) chi += (b - expected) * (b - expected) / expected;
    // 1023 degrees of freedom: mean 1023, sd ~45; 1250 is beyond 5 sd.
    CHECK(chi < 1250);
}

static_assert(sizeof(flow_entry) == 16);
static_assert(flow_table<1024>::bytes == 16384);
