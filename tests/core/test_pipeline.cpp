// The pipeline end to end on the host: counters add up, each stage's drops carry their reason,
// bans start and end on time, rule changes apply to live flows, slots 5/6 are called.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
#include <random>
#include <string_view>

#include <secengine/pipeline.hpp>

#include "frames.hpp"

using namespace secengine;
using namespace secengine::net;

namespace {
constexpr std::uint64_t tps = default_config::ticks_per_second;

using testing_frames::send;
using testing_frames::tcp;

constexpr std::uint32_t client = 0x0a00000a, server = 0x0a000014;
}  // namespace

TEST_CASE("sizeof the default engine", "[pipeline]") {
    std::printf("sizeof(secengine::pipeline<default_config>) = %zu bytes\n", sizeof(pipeline<>));
    // 24 KiB + 512 B: the 16 alert records grew by 32 B each (the injection detector's parameter
    // name and fingerprint, alert_ring.hpp); the kernel's own budget is docs/memory.md's.
    CHECK(sizeof(pipeline<>) <= 24 * 1024 + 512);
}

TEST_CASE("received == passed + dropped over random, mutated and valid traffic", "[pipeline][property]") {
    std::mt19937_64 rng(51);
    static pipeline<> p;
    std::uint64_t now = 0;
    for (int i = 0; i < 30000; ++i) {
        now += rng() % 2000;
        std::vector<std::byte> f;
        switch (rng() % 3) {
        case 0: f = testing_frames::build(testing_frames::random_spec(rng, 200)); break;
        case 1:
            f = testing_frames::build(testing_frames::random_spec(rng, 64));
            f[rng() % f.size()] = static_cast<std::byte>(rng());
            f.resize(rng() % (f.size() + 1));
            break;
        default:
            f.resize(rng() % 100);
            for (auto& b : f) b = static_cast<std::byte>(rng());
        }
        (void)p.process(f, now);
    }
    const auto& st = p.stats();
    CHECK(st.received == 30000);
    CHECK(st.received == st.passed + st.dropped_total());
    std::uint64_t parse_errors = 0;
    for (auto e : st.parse_errors) parse_errors += e;
    CHECK(parse_errors == st.dropped[static_cast<std::size_t>(drop_reason::malformed)]);
    CHECK(st.dropped[static_cast<std::size_t>(drop_reason::malformed)] > 1000);
    CHECK(st.passed > 1000);
    // Mutated frames that still parse (1 in 100 here) fail their checksums: counted, never alerted.
    CHECK(st.dropped[static_cast<std::size_t>(drop_reason::bad_checksum)] > 50);
    CHECK(p.alerts().pushed() == st.dropped_total() - st.dropped[static_cast<std::size_t>(drop_reason::penalty_box)] -
                                     st.dropped[static_cast<std::size_t>(drop_reason::rate_limit)] -
                                     st.dropped[static_cast<std::size_t>(drop_reason::bad_checksum)]);
    CHECK(p.alerts().pushed() == p.alerts().size() + p.alerts().overwritten());
}

TEST_CASE("malformed and scan drops carry reason, stage and an alert", "[pipeline]") {
    static pipeline<> p;
    auto xmas = testing_frames::build(tcp(client, server, 40000, 22, tcpflag::fin | tcpflag::psh | tcpflag::urg));
    const auto v = p.process(xmas, 1);
    CHECK(v.reason == drop_reason::scan);
    CHECK(v.stage == 3);
    alert_event a;
    REQUIRE(p.alerts().pop(a));
    CHECK(a.reason == drop_reason::scan);
    CHECK(a.ip_version == 4);
    CHECK(a.dport == 22);
    CHECK(a.src[15] == 0x0a);
    CHECK(a.src[10] == 0xff);
    xmas[14] = std::byte{0x41};  // IHL 1
    const auto m = p.process(xmas, 2);
    CHECK(m.reason == drop_reason::malformed);
    CHECK(m.detail == static_cast<std::uint32_t>(parse_error::ipv4_bad_ihl));
}

TEST_CASE("a flood source is banned after the threshold; others pass; the ban ends on time", "[pipeline]") {
    static pipeline<> p;
    const std::uint32_t attacker = 0xc6336401, other = 0xc6336402;
    const auto threshold = p.limits().per_source_pps;
    std::uint64_t now = 5;
    std::uint64_t passed = 0;
    for (std::uint32_t i = 0; i < threshold; ++i) {
        passed += send(p, tcp(attacker, server, static_cast<std::uint16_t>(1024 + i % 60000), 80, tcpflag::syn), now).pass();
        now += 10;  // 1 us apart: all inside one 1 s window
    }
    CHECK(passed == threshold);
    auto v = send(p, tcp(attacker, server, 2000, 80, tcpflag::syn), now);
    CHECK(v.reason == drop_reason::heavy_hitter);
    v = send(p, tcp(attacker, server, 2001, 80, tcpflag::syn), now + 1);
    CHECK(v.reason == drop_reason::penalty_box);
    CHECK(send(p, tcp(other, server, 3000, 80, tcpflag::syn), now + 2).pass());
    const std::uint64_t ban_end = now + std::uint64_t{p.limits().ban_seconds} * tps;
    CHECK(send(p, tcp(attacker, server, 2002, 80, tcpflag::syn), ban_end - 1).reason == drop_reason::penalty_box);
    CHECK(send(p, tcp(attacker, server, 2003, 80, tcpflag::syn), ban_end).pass());
    // the sketch names the attacker as a candidate
    bool listed = false;
    for (const auto& c : p.sketch().candidates()) listed = listed || c.key == attacker;
    CHECK(listed);
}

TEST_CASE("a busy inside server is not metered: outbound sources are exempt by default", "[pipeline]") {
    static pipeline<> p;
    const auto threshold = p.limits().per_source_pps;
    std::uint64_t now = 5;
    for (std::uint32_t i = 0; i < 3 * threshold; ++i) {
        const auto v = send(p, tcp(server, client, 80, static_cast<std::uint16_t>(1024 + i % 50000), tcpflag::ack), now, direction::outbound);
        REQUIRE(v.pass());
        now += 10;
    }
    // the same rate inbound is banned
    std::uint64_t dropped = 0;
    for (std::uint32_t i = 0; i < 3 * threshold; ++i) {
        dropped += send(p, tcp(client, server, static_cast<std::uint16_t>(1024 + i % 50000), 80, tcpflag::ack), now).drop();
        now += 10;
    }
    CHECK(dropped == 2 * threshold);
}

TEST_CASE("a port block applies to live flows; unblock restores them", "[pipeline]") {
    static pipeline<> p;
    std::uint64_t now = 100;
    auto syn = tcp(client, server, 40000, 80, tcpflag::syn);
    REQUIRE(send(p, syn, now).pass());
    auto synack = tcp(server, client, 80, 40000, tcpflag::syn | tcpflag::ack);
    REQUIRE(send(p, synack, now + 1, direction::outbound).pass());
    auto data = tcp(client, server, 40000, 80, tcpflag::ack | tcpflag::psh);
    REQUIRE(send(p, data, now + 2).pass());
    REQUIRE(p.rules().block_port(ipproto::tcp, 80) == firewall_error::none);
    const auto v = send(p, data, now + 3);
    CHECK(v.reason == drop_reason::port_blocked);
    CHECK(v.stage == 2);
    CHECK(send(p, tcp(client, server, 40000, 443, tcpflag::syn), now + 4).pass());
    REQUIRE(p.rules().unblock_port(ipproto::tcp, 80) == firewall_error::none);
    CHECK(send(p, data, now + 5).pass());
}

namespace {
struct deny_inbound_config : default_config {
    static constexpr rule_action firewall_default = rule_action::deny;
};
struct strict_config : deny_inbound_config {
    static constexpr bool firewall_allow_established = false;
};
}  // namespace

TEST_CASE("stateful rules: replies of an allowed flow pass by state unless configured strict", "[pipeline]") {
    static pipeline<deny_inbound_config> p;
    static pipeline<strict_config> strict;
    firewall_rule web{};
    web.proto = ipproto::tcp;
    web.dport_lo = web.dport_hi = 80;
    web.dir = direction::inbound;
    web.action = rule_action::allow;
    REQUIRE(p.rules().add(web) == firewall_error::none);
    REQUIRE(strict.rules().add(web) == firewall_error::none);
    const auto syn = tcp(client, server, 40000, 80, tcpflag::syn);
    const auto synack = tcp(server, client, 80, 40000, tcpflag::syn | tcpflag::ack);
    CHECK(send(p, syn, 1).pass());
    CHECK(send(p, synack, 2, direction::outbound).pass());
    CHECK(send(strict, syn, 1).pass());
    CHECK(send(strict, synack, 2, direction::outbound).reason == drop_reason::firewall);
    // anything not allowed is denied by default policy, with detail 0xffff
    const auto v = send(p, tcp(client, server, 40001, 25, tcpflag::syn), 3);
    CHECK(v.reason == drop_reason::firewall);
    CHECK(v.detail == 0xffff);
}

TEST_CASE("the global token bucket drops beyond rate and burst", "[pipeline]") {
    static pipeline<> p;
    engine_limits l = p.limits();
    l.global_rate_pps = 10;
    l.global_burst = 5;
    l.per_source_pps = 0;
    REQUIRE(p.set_limits(l, 0) == limits_error::none);
    int passed = 0;
    for (int i = 0; i < 20; ++i) passed += send(p, tcp(client, server, static_cast<std::uint16_t>(5000 + i), 80, tcpflag::syn), 1).pass();
    CHECK(passed == 5);
    CHECK(p.stats().dropped[static_cast<std::size_t>(drop_reason::rate_limit)] == 15);
    CHECK(send(p, tcp(client, server, 6000, 80, tcpflag::syn), 1 + tps / 10).pass());
    l.global_burst = 0;
    CHECK(p.set_limits(l, 0) == limits_error::burst_zero);
    l.global_burst = 5;
    l.per_source_pps = 70000;
    CHECK(p.set_limits(l, 0) == limits_error::threshold_too_large);
    l.per_source_pps = 10;
    l.timeout_s[2] = 0;
    CHECK(p.set_limits(l, 0) == limits_error::timeout_out_of_range);
    CHECK(p.limits().per_source_pps == 0);  // nothing of a refused change was applied
}

TEST_CASE("disabled stages pass what they would drop", "[pipeline]") {
    static pipeline<> p;
    const auto xmas = tcp(client, server, 1, 2, tcpflag::fin | tcpflag::psh | tcpflag::urg);
    CHECK(send(p, xmas, 1).reason == drop_reason::scan);
    p.set_stage_enabled(stage_id::heuristics, false);
    CHECK(send(p, xmas, 2).pass());
}

namespace {
/// A test stage: drops payloads containing "evil", records what it saw.
struct keyword_stage {
    int calls = 0;
    bool last_from_initiator = false;
    bool had_flow = false;
    stage_decision inspect(const stage_context& c) {
        ++calls;
        last_from_initiator = c.from_initiator;
        had_flow = c.flow != nullptr;
        const auto pl = c.packet.payload();
        const std::string_view text(reinterpret_cast<const char*>(pl.data()), pl.size());
        return text.find("evil") != std::string_view::npos ? stage_decision{drop_reason::dpi_signature, 7} : stage_decision{};
    }
};
struct slot_config : default_config {
    using dpi_stage = keyword_stage;
};
struct tiny_closed_config : default_config {
    static constexpr std::size_t flow_capacity = 16;
    static constexpr std::size_t flow_probe_window = 4;
    static constexpr flow_full_policy flow_policy = flow_full_policy::fail_closed;
};
}  // namespace

TEST_CASE("slot 6 sees the flow and the direction, and its drops are reported", "[pipeline]") {
    static pipeline<slot_config> p;
    auto s = tcp(client, server, 40000, 80, tcpflag::syn);
    REQUIRE(send(p, s, 1).pass());
    CHECK(p.dpi().had_flow);
    CHECK(p.dpi().last_from_initiator);
    REQUIRE(send(p, tcp(server, client, 80, 40000, tcpflag::syn | tcpflag::ack), 2, direction::outbound).pass());
    CHECK_FALSE(p.dpi().last_from_initiator);
    s.flags = tcpflag::ack | tcpflag::psh;
    const char evil[] = "GET /evil HTTP/1.1";
    s.payload.assign(reinterpret_cast<const std::byte*>(evil), reinterpret_cast<const std::byte*>(evil) + sizeof evil - 1);
    const auto v = send(p, s, 3);
    CHECK(v.reason == drop_reason::dpi_signature);
    CHECK(v.stage == 6);
    CHECK(v.detail == 7);
    CHECK(p.dpi().calls == 3);
}

TEST_CASE("fail-closed: a full window drops new flows with flow_table_full", "[pipeline]") {
    static pipeline<tiny_closed_config> p;
    int full = 0;
    for (std::uint16_t i = 0; i < 200; ++i) {
        const auto v = send(p, tcp(client, server, static_cast<std::uint16_t>(10000 + i), 80, tcpflag::ack), 1);
        full += v.reason == drop_reason::flow_table_full;
    }
    CHECK(full > 0);
    CHECK(p.flows().size() <= 16);
}
