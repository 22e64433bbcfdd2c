// Deferred sketch updates (sketch_deferral.hpp), on random streams with heavy and light sources:
//  - the value count() returns is never below the source's true count in the window (so a
//    source whose true count crosses the threshold is flagged on that very packet); with direct
//    sketch updates mixed in (the pipeline's TCP openings), flagged at most Batch - 1 packets late;
//  - it is never above what the same sketch without deferral says (plain update: rows are sums)
//    or, for a deferred packet, below far_below; so deferral cannot inflate estimates;
//  - no packet is lost: sketch total + pending == packets in the window; and deferral happens
//    (the sketch sees fewer updates than packets) - a "never defer" version fails this;
//  - at the pipeline: the heavy source is banned no later than the packet where its true count
//    passes the threshold, as with deferral off (over TCP with SYNs mixed in: fewer than
//    cms_defer_batch of its packets later), and light sources are never banned.
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include <secengine/count_min_sketch.hpp>
#include <secengine/net/builder.hpp>
#include <secengine/pipeline.hpp>
#include <secengine/sketch_deferral.hpp>

using namespace secengine;

namespace {

using sketch = count_min_sketch<64, 4, std::uint16_t, 8>;  // narrow: many collisions

std::uint64_t pick(std::mt19937_64& rng, std::size_t sources) {
    // Skewed: source 0 takes ~1/4 of the stream, the rest share it.
    return rng() % 4 == 0 ? 7 : 1000 + rng() % sources;
}

template <std::size_t Slots, std::uint32_t Batch>
void check_stream(std::mt19937_64& rng, cms_update mode, cms_window policy, bool direct_updates) {
    sketch with(42, mode), without(42, mode);
    sketch_deferral<Slots, std::uint16_t, Batch> d(rng());
    const std::uint32_t far_below = 50 + static_cast<std::uint32_t>(rng() % 400);
    const std::size_t sources = 1 + rng() % 300;
    std::map<std::uint64_t, std::uint32_t> truth;
    std::uint64_t in_window = 0;
    for (int n = 0; n < 20000; ++n) {
        if (n % 5000 == 4999) {  // window boundary
            d.new_window(with, policy);
            without.new_window(policy);
            if (policy == cms_window::reset) {
                truth.clear();
                in_window = 0;
            } else {
                for (auto& [k, c] : truth) c /= 2;  // a halved count stays a lower bound of the carried estimate
            }
        }
        const std::uint64_t key = pick(rng, sources);
        const bool may_defer = !direct_updates || rng() % 8 != 0;
        const std::uint32_t t = ++truth[key];
        ++in_window;
        const std::uint16_t got = may_defer ? d.count(key, with, far_below) : with.add(key);
        const std::uint16_t ref = without.add(key);
        if (!direct_updates) REQUIRE(got >= t);  // never undercounts the true count
        // With direct updates mixed in: flagged (for any threshold T >= far_below) at most
        // Batch - 1 packets after the true count passes T; checked at the smallest T.
        if (direct_updates && t > far_below + Batch - 1) REQUIRE(got > far_below);
        if (mode == cms_update::plain) REQUIRE((got <= ref || got < far_below));
        if (policy == cms_window::reset) REQUIRE(with.total() + d.pending() == in_window);
    }
    REQUIRE(d.pending() < Slots * Batch);
}

}  // namespace

TEST_CASE("deferred sketch updates never undercount and never inflate", "[sketch][deferral][property]") {
    std::mt19937_64 rng(15);
    for (int round = 0; round < 12; ++round) {
        const auto mode = round % 2 ? cms_update::plain : cms_update::conservative;
        const auto policy = round % 3 == 2 ? cms_window::halve : cms_window::reset;
        for (bool direct : {false, true}) {
            check_stream<64, 32>(rng, mode, policy, direct);
            check_stream<8, 4>(rng, mode, policy, direct);
            check_stream<1, 2>(rng, mode, policy, direct);
        }
    }
}

TEST_CASE("deferral happens for light sources and stops below far_below", "[sketch][deferral]") {
    sketch s(1);
    sketch_deferral<16, std::uint16_t, 32> d(1);
    // One light source: 31 of every 32 packets skip the sketch while under far_below.
    int updates = 0;
    for (int n = 0; n < 320; ++n) {
        const auto before_total = s.total();
        (void)d.count(99, s, 1000);
        updates += s.total() != before_total;
    }
    CHECK(s.total() + d.pending() == 320);
    CHECK(updates <= 320 / 32 + 1);
    CHECK(updates >= 320 / 32);
    // Near far_below every packet reaches the sketch.
    sketch s2(1);
    sketch_deferral<16, std::uint16_t, 32> d2(1);
    for (int n = 0; n < 300; ++n) (void)d2.count(99, s2, 100);
    CHECK(s2.total() + d2.pending() == 300);
    CHECK(d2.pending() == 0);  // past far_below the last packets all reached the sketch
    // Zero slots: a pass-through.
    sketch s3(1);
    sketch_deferral<0> d3;
    for (int n = 0; n < 50; ++n) CHECK(d3.count(5, s3, 1000) == n + 1);
}

namespace {

struct ban_config : default_config {
    static constexpr std::uint32_t per_source_pps = 400;
    static constexpr std::uint32_t global_rate_pps = 0;
};
struct ban_config_no_deferral : ban_config {
    static constexpr std::size_t cms_defer_slots = 0;
};

std::vector<std::byte> udp_from(std::uint32_t src, std::uint16_t sport) {
    std::vector<std::byte> f(64);
    net::frame_builder b(f);
    b.ethernet({2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}).ipv4(src, 0x0a000001, net::ipproto::udp).udp(sport, 53);
    f.resize(b.finish());
    return f;
}

std::vector<std::byte> tcp_from(std::uint32_t src, std::uint16_t sport, std::uint8_t flags) {
    std::vector<std::byte> f(64);
    net::frame_builder b(f);
    b.ethernet({2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}).ipv4(src, 0x0a000001, net::ipproto::tcp).tcp(sport, 80, flags);
    f.resize(b.finish());
    return f;
}

/// Index of the packet on which `heavy` was banned (heavy_hitter drop), or -1.
template <class Config>
long run_until_ban(std::uint64_t seed, std::uint32_t heavy, long& crossing, bool heavy_tcp, std::uint32_t& late) {
    auto p = std::make_unique<pipeline<Config>>(seed, 1);
    std::mt19937_64 rng(seed);
    std::uint32_t heavy_count = 0;
    crossing = -1;
    for (long n = 0; n < 6000; ++n) {
        const bool is_heavy = rng() % 3 == 0;
        const std::uint32_t src = is_heavy ? heavy : 0xc0000000u + static_cast<std::uint32_t>(rng() % 200);
        const auto sport = static_cast<std::uint16_t>(1024 + rng() % 64);
        // Heavy over TCP: a quarter SYNs (direct sketch updates), the rest ACKs (deferred).
        auto f = is_heavy && heavy_tcp ? tcp_from(src, sport, rng() % 4 == 0 ? net::tcpflag::syn : net::tcpflag::ack)
                                       : udp_from(src, sport);
        const verdict v = p->process(f, 1 + static_cast<std::uint64_t>(n));  // one window: 6000 ticks << 1 s
        if (is_heavy && ++heavy_count == Config::per_source_pps + 1) crossing = n;
        if (v.reason == drop_reason::heavy_hitter) {
            REQUIRE(is_heavy);  // light sources (~20 packets each) never reach the threshold
            late = heavy_count > Config::per_source_pps ? heavy_count - Config::per_source_pps - 1 : 0;
            return n;
        }
    }
    return -1;
}

}  // namespace

TEST_CASE("pipeline: deferral bans a heavy source when (or within a batch of when) its true count crosses the threshold",
          "[pipeline][deferral][property]") {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        for (bool heavy_tcp : {false, true}) {
            long cross_a = 0, cross_b = 0;
            std::uint32_t late_a = 0, late_b = 0;
            const long with = run_until_ban<ban_config>(seed, 0x0b000001u, cross_a, heavy_tcp, late_a);
            const long without = run_until_ban<ban_config_no_deferral>(seed, 0x0b000001u, cross_b, heavy_tcp, late_b);
            REQUIRE(cross_a == cross_b);
            REQUIRE(cross_a > 0);
            REQUIRE(with >= 0);
            REQUIRE(without >= 0);
            REQUIRE(without <= cross_b);
            if (!heavy_tcp) REQUIRE(with <= cross_a);  // steady traffic only: never late
            else REQUIRE(late_a <= ban_config::cms_defer_batch - 1);  // SYNs mixed in: < Batch of its packets late
        }
    }
}
