// Firewall rules: first match wins, checked against a naive reference over random rules and packets.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include <secengine/firewall.hpp>

#include "frames.hpp"

using namespace secengine;
using namespace secengine::net;

namespace {
firewall_rule random_rule(std::mt19937_64& rng) {
    firewall_rule r{};
    const std::uint8_t protos[] = {0, ipproto::tcp, ipproto::udp, ipproto::icmp};
    r.proto = protos[rng() % 4];
    r.src_len = static_cast<std::uint8_t>(rng() % 3 ? 0 : rng() % 33);
    r.dst_len = static_cast<std::uint8_t>(rng() % 3 ? 0 : rng() % 33);
    r.src = static_cast<std::uint32_t>(0x0a000000u | (rng() & 0xffff)) & prefix_mask(r.src_len);
    r.dst = static_cast<std::uint32_t>(0x0a000000u | (rng() & 0xffff)) & prefix_mask(r.dst_len);
    if (rng() % 2) {
        r.dport_lo = static_cast<std::uint16_t>(rng() % 200);
        r.dport_hi = static_cast<std::uint16_t>(r.dport_lo + rng() % 50);
    }
    r.action = rng() % 2 ? rule_action::allow : rule_action::deny;
    r.dir = static_cast<direction>(rng() % 3);
    return r;
}

bool naive_matches(const firewall_rule& r, std::uint8_t proto, std::uint32_t src, std::uint32_t dst, std::uint16_t dport, direction d) {
    auto in_prefix = [](std::uint32_t a, std::uint32_t net, int len) {
        for (int bit = 0; bit < len; ++bit)
            if (((a >> (31 - bit)) & 1) != ((net >> (31 - bit)) & 1)) return false;
        return true;
    };
    return (r.proto == 0 || r.proto == proto) && (r.dir == direction::any || r.dir == d) && in_prefix(src, r.src, r.src_len) &&
           in_prefix(dst, r.dst, r.dst_len) && dport >= r.dport_lo && dport <= r.dport_hi;
}
}  // namespace

TEST_CASE("rule matching equals a naive first-match search", "[firewall][property]") {
    std::mt19937_64 rng(41);
    for (int round = 0; round < 200; ++round) {
        firewall<32> fw(rng() % 2 ? rule_action::allow : rule_action::deny);
        std::vector<firewall_rule> rules;
        const int n = static_cast<int>(rng() % 33);
        for (int i = 0; i < n; ++i) {
            const auto r = random_rule(rng);
            REQUIRE(fw.add(r) == firewall_error::none);
            rules.push_back(r);
        }
        const auto extra = random_rule(rng);
        const auto extra_result = fw.add(extra);
        CHECK(extra_result == (n == 32 ? firewall_error::full : firewall_error::none));
        if (extra_result == firewall_error::none) rules.push_back(extra);
        for (int k = 0; k < 200; ++k) {
            testing_frames::spec s;
            const std::uint8_t protos[] = {ipproto::tcp, ipproto::udp};
            s.proto = protos[rng() % 2];
            s.src4 = 0x0a000000u | (rng() & 0xffff);
            s.dst4 = 0x0a000000u | (rng() & 0xffff);
            s.sport = static_cast<std::uint16_t>(rng());
            s.dport = static_cast<std::uint16_t>(rng() % 260);
            s.flags = tcpflag::syn;
            auto f = testing_frames::build(s);
            packet_view v;
            REQUIRE(parse(f, v) == parse_error::none);
            const auto d = static_cast<direction>(1 + rng() % 2);
            int expect = -1;
            for (std::size_t i = 0; i < rules.size() && expect < 0; ++i)
                if (naive_matches(rules[i], s.proto, s.src4, s.dst4, s.dport, d)) expect = static_cast<int>(i);
            const auto m = fw.match(v, d);
            REQUIRE(m.rule == expect);
            REQUIRE(m.action == (expect < 0 ? fw.default_action() : rules[static_cast<std::size_t>(expect)].action));
        }
    }
}

TEST_CASE("bad rules are refused, port blocks are idempotent and go first", "[firewall]") {
    firewall<4> fw;
    firewall_rule r{};
    r.src = 0x0a000001;
    r.src_len = 24;  // host bits set
    CHECK(fw.add(r) == firewall_error::bad_prefix);
    r.src_len = 33;
    CHECK(fw.add(r) == firewall_error::bad_prefix);
    firewall_rule range{};
    range.dport_lo = 10;
    range.dport_hi = 9;
    CHECK(fw.add(range) == firewall_error::bad_range);
    CHECK(fw.size() == 0);
    firewall_rule allow_all{};
    allow_all.action = rule_action::allow;
    REQUIRE(fw.add(allow_all) == firewall_error::none);
    const auto g = fw.generation();
    REQUIRE(fw.block_port(ipproto::tcp, 80) == firewall_error::none);
    CHECK(fw.generation() != g);
    CHECK(fw.block_port(ipproto::tcp, 80) == firewall_error::none);
    CHECK(fw.size() == 2);
    CHECK(fw.rules()[0].is_port_block());
    CHECK(fw.unblock_port(ipproto::tcp, 80) == firewall_error::none);
    CHECK(fw.unblock_port(ipproto::tcp, 80) == firewall_error::not_found);
    CHECK(fw.size() == 1);
}
