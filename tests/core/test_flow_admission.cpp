// New-flow admission under floods (issue 16 item 4, docs/flow_table.md "New-flow admission"):
// random-source floods never evict an established flow for an unconfirmed one, and the SYN
// budget admits exactly its per-window grant of new flows, charging nothing else.
#include <catch2/catch.hpp>

#include <memory>
#include <random>
#include <vector>

#include <secengine/pipeline.hpp>

#include "frames.hpp"

using namespace secengine;
using namespace secengine::net;

namespace {
constexpr std::uint64_t tps = default_config::ticks_per_second;
constexpr std::uint32_t server = 0x0a000014;  // 10.0.0.20

/// A small table, so a flood fills it within a few hundred packets.
struct small_table_config : default_config {
    static constexpr std::size_t flow_capacity = 64;
    static constexpr std::size_t flow_probe_window = 8;
};

/// One probe window is the whole table.
struct one_window_config : default_config {
    static constexpr std::size_t flow_capacity = 8;
    static constexpr std::size_t flow_probe_window = 8;
};

using testing_frames::send;

/// testing_frames::tcp in this file's argument order (source address and port, then destination).
testing_frames::spec segment(std::uint32_t src, std::uint16_t sport, std::uint32_t dst, std::uint16_t dport, std::uint8_t flags,
                             std::uint8_t proto = ipproto::tcp) {
    return testing_frames::tcp(src, dst, sport, dport, flags, proto);
}

template <class P>
std::uint64_t fingerprint(const P& p, const testing_frames::spec& s) {
    auto f = testing_frames::build(s);
    packet_view v;
    REQUIRE(parse(f, v) == parse_error::none);
    return make_flow_key(v, p.seed()).fingerprint;
}

/// A random unicast source (11.0.0.0 - 223.255.255.255: outside the benign clients' 10/8 and
/// never a martian that stage 3 drops on its own).
std::uint32_t flood_source(std::mt19937_64& rng) {
    return 0x0b000000u + static_cast<std::uint32_t>(rng() % (0xe0000000u - 0x0b000000u));
}
}  // namespace

TEST_CASE("random floods never evict an established flow for an unconfirmed one", "[flows][admission][property]") {
    using namespace tcpflag;
    for (std::uint64_t round = 0; round < 24; ++round) {
        std::mt19937_64 rng(round + 100);
        const bool pickup = round % 2 == 1;
        auto holder = std::make_unique<pipeline<small_table_config>>(round + 7, 0);
        auto& p = *holder;
        p.set_tcp_pickup(pickup);
        std::uint64_t now = tps;
        // Established connections from benign clients (10.0.0.10-41 -> 10.0.0.20:80).
        std::vector<std::uint64_t> established;
        std::vector<testing_frames::spec> clients;
        for (std::uint32_t c = 0; c < 32; ++c) {
            const auto syn_ = segment(0x0a00000a + c, static_cast<std::uint16_t>(30000 + c), server, 80, syn);
            const auto synack = segment(server, 80, 0x0a00000a + c, static_cast<std::uint16_t>(30000 + c), syn | ack);
            const auto ack_ = segment(0x0a00000a + c, static_cast<std::uint16_t>(30000 + c), server, 80, ack);
            if (!send(p, syn_, now += 100).pass() || !send(p, synack, now += 100, direction::outbound).pass() ||
                !send(p, ack_, now += 100).pass())
                continue;
            const std::uint64_t fp = fingerprint(p, ack_);
            const flow_entry* e = p.flows().find(fp, p.flow_clock(now), {~0u, ~0u, ~0u, ~0u, ~0u, ~0u});
            REQUIRE(e != nullptr);
            REQUIRE(e->state() == flow_state::established);
            established.push_back(fp);
            clients.push_back(ack_);
        }
        REQUIRE(established.size() >= 16);
        // The flood: random sources and ports, ~20 s of it (past evict_min_idle_s, so idle
        // established flows would be fair game for a rule that only looked at idle time).
        // Kinds: SYNs and UDP always; with pickup off also ACKs, RSTs and FIN+ACKs (all no_flow).
        // With pickup on a mid-stream segment is itself taken as established and may take an idle
        // established flow's slot: that is pickup's documented trade-off, not flooded here.
        const std::uint8_t kinds_tcp[] = {syn, ack, rst, fin | ack};
        for (int n = 0; n < 6000; ++n) {
            now += rng() % (tps / 150);
            const std::uint32_t src = flood_source(rng);
            const auto sport = static_cast<std::uint16_t>(1024 + rng() % 60000);
            const auto dport = static_cast<std::uint16_t>(rng() % 2 ? 80 : 1 + rng() % 65535);
            const unsigned kind = static_cast<unsigned>(rng() % (pickup ? 2 : 5));
            if (kind == 1) (void)send(p, segment(src, sport, server, dport, 0, ipproto::udp), now);
            else (void)send(p, segment(src, sport, server, dport, kinds_tcp[kind == 0 ? 0 : kind - 1]), now);
            if (n % 250 == 0) {
                INFO("round " << round << " pickup " << pickup << " packet " << n);
                for (const std::uint64_t fp : established) {
                    const flow_entry* e = p.flows().find(fp, p.flow_clock(now), {~0u, ~0u, ~0u, ~0u, ~0u, ~0u});
                    REQUIRE(e != nullptr);
                    REQUIRE(e->state() == flow_state::established);
                }
            }
        }
        // The flood did fill the table and churn it (else the invariant held vacuously).
        CHECK(p.flows().size() == p.flows().capacity());
        CHECK(p.flows().evictions() > 100);
        CHECK(now > 15 * tps);
        // And the connections are still served, by their entry.
        for (const auto& c : clients) {
            const std::uint64_t before = p.flows().evictions();
            CHECK(send(p, c, now += 100).pass());
            CHECK(p.flows().evictions() == before);
        }
    }
}

TEST_CASE("a new SYN never takes an established flow's slot, even with pickup and a long idle time", "[flows][admission]") {
    using namespace tcpflag;
    // One window's worth of established flows, idle far past evict_min_idle_s: before the rule
    // (SYN flood + pickup) these were the victims.
    auto holder = std::make_unique<pipeline<one_window_config>>(5, 0);
    auto& p = *holder;
    p.set_tcp_pickup(true);
    std::uint64_t now = tps;
    for (std::uint32_t c = 0; c < 8; ++c) {
        REQUIRE(send(p, segment(0x0a00000a + c, 1000, server, 80, syn), now += 10).pass());
        REQUIRE(send(p, segment(server, 80, 0x0a00000a + c, 1000, syn | ack), now += 10, direction::outbound).pass());
    }
    REQUIRE(p.flows().size() == 8);
    now += 60 * tps;  // idle for a minute (established timeout: 300 s)
    // A SYN finds no slot: it passes untracked (fail-open; its data would be dropped), nobody is evicted.
    const std::uint64_t untracked = p.stats().untracked;
    CHECK(send(p, segment(0x0b000001, 5555, server, 80, syn), now).pass());
    CHECK(p.stats().untracked == untracked + 1);
    CHECK(p.flows().evictions() == 0);
    // A mid-stream pickup is taken as established: it may take an idle established slot (pickup's trade-off).
    CHECK(send(p, segment(0x0b000002, 5556, server, 80, ack), now += 10).pass());
    CHECK(p.flows().evictions() == 1);
}

TEST_CASE("the SYN budget admits exactly its per-window grant of new flows and charges nothing else", "[flows][admission][property]") {
    using namespace tcpflag;
    static_assert(pipeline<>::flow_clock(1ull << default_config::flow_clock_shift) == 1);
    std::mt19937_64 rng(2026);
    const std::uint64_t window = std::uint64_t{1} << default_config::flow_clock_shift;
    for (int round = 0; round < 40; ++round) {
        auto holder = std::make_unique<pipeline<>>(static_cast<std::uint64_t>(round) + 1, 0);
        auto& p = *holder;
        const auto pps = static_cast<std::uint32_t>(10 + rng() % 2000);
        p.set_syn_budget(pps);
        const std::uint32_t grant = p.syn_budget_per_window();
        // ceil(pps * window / tps), never 0 for a non-zero budget
        REQUIRE(grant == (std::uint64_t{pps} * window + tps - 1) / tps);
        REQUIRE(grant >= 1);
        INFO("round " << round << " pps " << pps << " grant " << grant);
        std::uint64_t now = 5 * window + 1;  // inside one window of the coarse clock
        const std::size_t offered = grant + rng() % (2 * grant + 10);
        std::vector<testing_frames::spec> admitted;
        std::size_t passed = 0, refused = 0;
        const std::uint64_t alerts_before = p.alerts().pushed();
        for (std::size_t i = 0; i < offered; ++i) {
            const auto s = segment(flood_source(rng), static_cast<std::uint16_t>(1024 + rng() % 60000), server, 80, syn);
            const verdict v = send(p, s, now += 1);
            if (v.pass()) {
                ++passed;
                admitted.push_back(s);
            } else {
                REQUIRE(v.reason == drop_reason::syn_budget);
                REQUIRE(v.stage == 2);
                REQUIRE(v.detail == grant);
                ++refused;
            }
        }
        REQUIRE(p.flow_clock(now) == 5);  // the whole burst was in one window
        CHECK(passed == std::min<std::size_t>(offered, grant));
        CHECK(refused == offered - passed);
        CHECK(p.stats().dropped[static_cast<std::size_t>(drop_reason::syn_budget)] == refused);
        // One alert per window, not one per refused SYN.
        CHECK(p.alerts().pushed() - alerts_before == (refused > 0 ? 1u : 0u));
        // Over budget, flows that have an entry are not charged: a retransmitted SYN, the
        // server's SYN+ACK, the client's ACK.
        for (std::size_t i = 0; i < admitted.size() && i < 20; ++i) {
            auto s = admitted[i];
            CHECK(send(p, s, now += 1).pass());
            auto sa = segment(s.dst4, s.dport, s.src4, s.sport, syn | ack);
            CHECK(send(p, sa, now += 1, direction::outbound).pass());
            s.flags = ack;
            CHECK(send(p, s, now += 1).pass());
        }
        // A UDP datagram is not a SYN: never refused for the budget.
        CHECK(send(p, segment(flood_source(rng), 53, server, 53, 0, ipproto::udp), now += 1).pass());
        // The next window grants the budget again.
        now = 6 * window + 1;
        CHECK(send(p, segment(flood_source(rng), 4242, server, 80, syn), now).pass());
    }
}

TEST_CASE("SYN budget 0 is unlimited, and the default config has none", "[flows][admission]") {
    using namespace tcpflag;
    auto holder = std::make_unique<pipeline<>>(9, 0);
    auto& p = *holder;
    CHECK(p.syn_budget() == default_config::syn_budget_pps);
    CHECK(p.syn_budget_per_window() == 0);
    std::mt19937_64 rng(3);
    std::uint64_t now = 1;
    std::size_t passed = 0;
    for (int i = 0; i < 5000; ++i) passed += send(p, segment(flood_source(rng), static_cast<std::uint16_t>(i + 1), server, 80, syn), now += 1).pass();
    CHECK(passed == 5000);
    // A budget can be switched off again at run time.
    p.set_syn_budget(100);
    CHECK(p.syn_budget_per_window() == 11);  // ceil(100 * 2^20 / 10^7)
    std::size_t refused = 0;
    for (int i = 0; i < 50; ++i)
        refused += send(p, segment(flood_source(rng), static_cast<std::uint16_t>(i + 1), server, 80, syn), now += 1).reason == drop_reason::syn_budget;
    CHECK(refused == 39);
    p.set_syn_budget(0);
    for (int i = 0; i < 50; ++i) CHECK(send(p, segment(flood_source(rng), static_cast<std::uint16_t>(i + 1), server, 80, syn), now += 1).pass());
}
