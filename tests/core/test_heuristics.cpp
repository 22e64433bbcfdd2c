// Stage 3: every TCP flag combination against the stated rules, and the sampled NOP-sled scan
// against a naive run-length scan.
#include <catch2/catch.hpp>

#include <array>
#include <random>
#include <vector>

#include <secengine/heuristics.hpp>

#include "frames.hpp"

using namespace secengine;
using namespace secengine::net;

TEST_CASE("all 256 TCP flag bytes are classified by the documented rules", "[heuristics]") {
    for (int f = 0; f < 256; ++f) {
        const auto b = static_cast<std::uint8_t>(f);
        const bool fin = b & tcpflag::fin, syn = b & tcpflag::syn, rst = b & tcpflag::rst, psh = b & tcpflag::psh,
                   ack = b & tcpflag::ack, urg = b & tcpflag::urg;
        scan_kind expect = scan_kind::none;
        if (!fin && !syn && !rst && !psh && !ack && !urg) expect = scan_kind::null_scan;
        else if (fin && psh && urg) expect = scan_kind::xmas;
        else if (syn && fin) expect = scan_kind::syn_fin;
        else if (syn && rst) expect = scan_kind::syn_rst;
        else if (fin && !ack) expect = scan_kind::fin_no_ack;
        REQUIRE(classify_tcp_flags(b) == expect);
    }
    // What real stacks send is never flagged.
    for (std::uint8_t ok : {tcpflag::syn, std::uint8_t(tcpflag::syn | tcpflag::ack), tcpflag::ack,
                            std::uint8_t(tcpflag::psh | tcpflag::ack), std::uint8_t(tcpflag::fin | tcpflag::ack), tcpflag::rst,
                            std::uint8_t(tcpflag::rst | tcpflag::ack)})
        CHECK(classify_tcp_flags(ok) == scan_kind::none);
}

namespace {
std::size_t naive_longest_run(const std::vector<std::byte>& d, const sled_byte_set& set) {
    std::size_t best = 0, cur = 0;
    for (auto b : d) {
        cur = set.contains(static_cast<std::uint8_t>(b)) ? cur + 1 : 0;
        best = std::max(best, cur);
    }
    return best;
}
}  // namespace

TEST_CASE("sampled sled scan agrees with a naive scan", "[heuristics][property]") {
    std::mt19937_64 rng(31);
    const auto set = sled_byte_set::x86_default();
    for (int i = 0; i < 20000; ++i) {
        std::vector<std::byte> d(rng() % 300);
        for (auto& b : d) b = static_cast<std::byte>(rng() % 4 ? static_cast<std::uint8_t>(rng()) : 0x90);
        // plant a run of random length at a random place
        if (!d.empty() && rng() % 2) {
            const std::size_t at = rng() % d.size(), len = rng() % 80;
            for (std::size_t k = at; k < d.size() && k < at + len; ++k) d[k] = std::byte{0x90};
        }
        const std::size_t min_run = 1 + rng() % 48;
        const std::size_t naive = naive_longest_run(d, set);
        const std::size_t got = find_sled(d, set, min_run);
        if (naive >= min_run) {
            REQUIRE(got >= min_run);
            REQUIRE(got <= naive);
        } else {
            REQUIRE(got == 0);
        }
    }
}

TEST_CASE("land, martian source, port 0 and sleds in whole packets", "[heuristics]") {
    heuristics_settings hs;
    testing_frames::spec s;
    s.proto = ipproto::tcp;
    s.src4 = 0x0a00000a;
    s.dst4 = 0x0a000014;
    s.sport = 1234;
    s.dport = 80;
    s.flags = tcpflag::ack;
    auto verdict_of = [&](const testing_frames::spec& x) {
        auto f = testing_frames::build(x);
        packet_view v;
        REQUIRE(parse(f, v) == parse_error::none);
        return inspect_heuristics(v, hs).reason;
    };
    CHECK(verdict_of(s) == drop_reason::none);
    auto land = s;
    land.dst4 = land.src4;
    CHECK(verdict_of(land) == drop_reason::land_attack);
    auto martian = s;
    martian.src4 = 0xe0000001;
    CHECK(verdict_of(martian) == drop_reason::bad_header);
    auto port0 = s;
    port0.dport = 0;
    CHECK(verdict_of(port0) == drop_reason::bad_header);
    auto sled = s;
    sled.payload.assign(40, std::byte{0x90});
    CHECK(verdict_of(sled) == drop_reason::shellcode);
    sled.payload.assign(31, std::byte{0x90});
    CHECK(verdict_of(sled) == drop_reason::none);
    hs.sled_min_run = 0;
    sled.payload.assign(400, std::byte{0x90});
    CHECK(verdict_of(sled) == drop_reason::none);
    auto xmas = s;
    xmas.flags = tcpflag::fin | tcpflag::psh | tcpflag::urg;
    CHECK(verdict_of(xmas) == drop_reason::scan);
    auto v6land = s;
    v6land.v6 = true;
    v6land.dst6 = v6land.src6;
    CHECK(verdict_of(v6land) == drop_reason::land_attack);
}

static_assert(classify_tcp_flags(0) == scan_kind::null_scan);
static_assert(classify_tcp_flags(net::tcpflag::fin | net::tcpflag::psh | net::tcpflag::urg) == scan_kind::xmas);
static_assert(sled_byte_set::x86_default().contains(0x90) && !sled_byte_set::x86_default().contains('A'));

TEST_CASE("fragments: dropped by default; with pass, only the RFC 1858 offset-1 TCP fragment is", "[heuristics]") {
    std::mt19937 rng(1858);
    std::array<std::byte, 256> buf{};
    int checked = 0;
    for (int iter = 0; iter < 4000; ++iter) {
        const bool v6 = rng() % 3 == 0, tcp = rng() % 2 == 0;
        const bool later = rng() % 2 == 0, more = !later || rng() % 2 == 0;
        const std::uint16_t offset8 = later ? static_cast<std::uint16_t>(rng() % 3 == 0 ? 1 : 1 + rng() % 500) : 0;
        frame_builder b{buf};
        b.ethernet(testing_frames::mac_b, testing_frames::mac_a);
        std::array<std::byte, 8> fraghdr{};
        if (v6) {
            ipv6_address s6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, d6 = s6;
            d6[15] = 2;
            b.ipv6(s6, d6, ipproto::fragment);
            fraghdr[0] = static_cast<std::byte>(tcp ? ipproto::tcp : ipproto::udp);
            const auto fo = static_cast<std::uint16_t>(offset8 << 3 | (more ? 1u : 0u));
            fraghdr[2] = static_cast<std::byte>(fo >> 8);
            fraghdr[3] = static_cast<std::byte>(fo & 0xFF);
            b.payload(fraghdr);
        } else {
            b.ipv4(0x0a00000a, 0x0a000014, tcp ? ipproto::tcp : ipproto::udp, 64, 7,
                   static_cast<std::uint16_t>((more ? 0x2000u : 0u) | offset8));
        }
        std::array<std::byte, 40> body{};
        if (!later) {  // the first fragment carries the L4 header
            if (tcp) b.tcp(1234, 80, tcpflag::ack, 1, 2);
            else b.udp(1234, 53);
        }
        b.payload(body);
        const std::size_t n = b.finish();
        REQUIRE(n != 0);
        packet_view v;
        if (parse(std::span<const std::byte>(buf.data(), n), v) != parse_error::none) continue;
        REQUIRE(v.fragment);
        ++checked;
        heuristics_settings hs;
        const stage_decision d = inspect_heuristics(v, hs);
        CHECK(d.reason == drop_reason::bad_header);
        CHECK(d.detail == bad_header_detail::fragment);
        hs.fragments = fragment_policy::pass;
        const stage_decision p = inspect_heuristics(v, hs);
        const bool rewrites_tcp_flags = !v6 && tcp && later && offset8 == 1;
        INFO("v6 " << v6 << " tcp " << tcp << " offset " << offset8);
        if (rewrites_tcp_flags) {
            CHECK(p.reason == drop_reason::bad_header);
            CHECK(p.detail == bad_header_detail::header_rewriting_fragment);
        } else {
            CHECK(p.reason == drop_reason::none);
        }
    }
    CHECK(checked > 3000);
    // Whole datagrams are no fragments.
    testing_frames::spec s;
    s.src4 = 0x0a00000a;
    s.dst4 = 0x0a000014;
    s.sport = 1;
    s.dport = 2;
    s.flags = tcpflag::ack;
    auto f = testing_frames::build(s);
    packet_view v;
    REQUIRE(parse(f, v) == parse_error::none);
    CHECK(!v.fragment);
    CHECK(inspect_heuristics(v, heuristics_settings{}).reason == drop_reason::none);
}
