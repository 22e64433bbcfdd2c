// Property tests of net::parse: round trips of built frames, and no out-of-bounds access or
// inconsistent view on truncated, mutated and random input (run under ASan in `make test`).
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <vector>

#include <secengine/net/checksum.hpp>
#include <secengine/net/packet.hpp>

#include "frames.hpp"

using namespace secengine::net;
using testing_frames::build;
using testing_frames::random_spec;

namespace {

/// Invariants every successful parse must satisfy, whatever the input.
void check_view_in_bounds(const packet_view& v) {
    const std::size_t n = v.frame.size();
    REQUIRE(std::size_t{v.payload_offset} + v.payload_length <= n);
    REQUIRE(std::size_t{v.l3_offset} + v.l3_length <= n);
    if (v.has_l4) {
        REQUIRE(v.l4_offset < n);
        REQUIRE(v.payload_offset >= v.l4_offset);
        REQUIRE(v.is_ip());
    }
    if (v.is_ip()) REQUIRE(v.payload_offset + v.payload_length <= v.l3_offset + v.l3_length);
    if (v.later_fragment) REQUIRE_FALSE(v.has_l4);
}

/// Parses a private, exactly-sized copy so ASan catches any read past the end.
parse_error parse_copy(const std::vector<std::byte>& bytes, std::size_t len, packet_view& v) {
    std::vector<std::byte> copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(len));
    const auto e = parse(copy, v);
    if (e == parse_error::none) check_view_in_bounds(v);
    v = packet_view{};  // the copy dies here
    return e;
}

}  // namespace

TEST_CASE("built frames round-trip through the parser", "[parser][property]") {
    std::mt19937_64 rng(20261129);
    for (int i = 0; i < 5000; ++i) {
        const auto s = random_spec(rng);
        const auto f = build(s);
        REQUIRE(!f.empty());
        packet_view v;
        REQUIRE(parse(f, v) == parse_error::none);
        check_view_in_bounds(v);
        CHECK(v.vlan_count == s.vlans);
        if (s.vlans) CHECK(v.vlan_id == s.vid);
        REQUIRE(v.l3 == (s.v6 ? l3_kind::ipv6 : l3_kind::ipv4));
        if (!s.v6) {
            CHECK(v.src4 == s.src4);
            CHECK(v.dst4 == s.dst4);
            // A correct IPv4 header checksum sums to zero over the header.
            CHECK(internet_checksum(v.frame.subspan(v.l3_offset, std::size_t{v.l4_offset} - v.l3_offset)) == 0);
        } else {
            CHECK(std::equal(v.src6().begin(), v.src6().end(), reinterpret_cast<const std::byte*>(s.src6.data())));
        }
        REQUIRE(v.has_l4);
        if (s.proto == ipproto::tcp) {
            CHECK(v.sport == s.sport);
            CHECK(v.dport == s.dport);
            CHECK(v.tcp_flags == s.flags);
        } else if (s.proto == ipproto::udp) {
            CHECK(v.sport == s.sport);
            CHECK(v.dport == s.dport);
        } else {
            CHECK(v.ip_proto == (s.v6 ? ipproto::icmpv6 : ipproto::icmp));
        }
        REQUIRE(v.payload_length == s.payload.size());
        CHECK(std::equal(s.payload.begin(), s.payload.end(), v.payload().begin()));
    }
}

TEST_CASE("every truncation of a valid frame parses in bounds or fails cleanly", "[parser][property]") {
    std::mt19937_64 rng(7);
    for (int i = 0; i < 300; ++i) {
        const auto f = build(random_spec(rng, 64));
        for (std::size_t len = 0; len <= f.size(); ++len) {
            packet_view v;
            const auto e = parse_copy(f, len, v);
            if (len < ethernet_header_size) CHECK(e == parse_error::frame_too_short);
            if (len == f.size()) CHECK(e == parse_error::none);
        }
    }
}

TEST_CASE("mutated and random frames never break the view's invariants", "[parser][property]") {
    std::mt19937_64 rng(99);
    std::size_t errors = 0, oks = 0;
    for (int i = 0; i < 20000; ++i) {
        auto f = build(random_spec(rng, 96));
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < flips; ++k) f[rng() % f.size()] = static_cast<std::byte>(rng());
        packet_view v;
        (parse_copy(f, f.size(), v) == parse_error::none ? oks : errors)++;
    }
    for (int i = 0; i < 20000; ++i) {
        std::vector<std::byte> f(rng() % 200);
        for (auto& b : f) b = static_cast<std::byte>(rng());
        if (f.size() > 13 && rng() % 2) { f[12] = std::byte{0x08}; f[13] = std::byte{0x00}; }
        packet_view v;
        (parse_copy(f, f.size(), v) == parse_error::none ? oks : errors)++;
    }
    // Both outcomes must actually occur, or the test is not exercising the error paths.
    CHECK(errors > 1000);
    CHECK(oks > 1000);
}

namespace {
std::vector<std::byte> tcp_frame(std::size_t payload = 10) {
    testing_frames::spec s;
    s.proto = ipproto::tcp;
    s.src4 = 0x0a00000a;
    s.dst4 = 0x0a000014;
    s.sport = 40000;
    s.dport = 80;
    s.flags = tcpflag::ack;
    s.payload.assign(payload, std::byte{'x'});
    return build(s);
}
constexpr std::size_t ip_at = ethernet_header_size;
constexpr std::size_t tcp_at = ip_at + 20;
}  // namespace

TEST_CASE("malformed headers yield their specific error", "[parser]") {
    packet_view v;
    SECTION("IHL below 5") {
        auto f = tcp_frame();
        f[ip_at] = std::byte{0x44};
        CHECK(parse(f, v) == parse_error::ipv4_bad_ihl);
    }
    SECTION("IHL beyond the datagram") {
        auto f = tcp_frame(0);
        f[ip_at] = std::byte{0x4f};
        CHECK(parse(f, v) == parse_error::ipv4_bad_ihl);
    }
    SECTION("wrong IP version") {
        auto f = tcp_frame();
        f[ip_at] = std::byte{0x55};
        CHECK(parse(f, v) == parse_error::ipv4_bad_version);
    }
    SECTION("total length beyond the frame") {
        auto f = tcp_frame();
        f[ip_at + 2] = std::byte{0x05};
        CHECK(parse(f, v) == parse_error::ipv4_bad_total_length);
    }
    SECTION("total length below the header") {
        auto f = tcp_frame();
        f[ip_at + 2] = std::byte{0};
        f[ip_at + 3] = std::byte{10};
        CHECK(parse(f, v) == parse_error::ipv4_bad_total_length);
    }
    SECTION("TCP data offset below 5") {
        auto f = tcp_frame();
        f[tcp_at + 12] = std::byte{0x40};
        CHECK(parse(f, v) == parse_error::tcp_bad_data_offset);
    }
    SECTION("TCP data offset beyond the segment") {
        auto f = tcp_frame(4);
        f[tcp_at + 12] = std::byte{0xf0};
        CHECK(parse(f, v) == parse_error::tcp_bad_data_offset);
    }
    SECTION("trailing Ethernet padding is not payload") {
        auto f = tcp_frame(2);
        f.resize(f.size() + 8, std::byte{0});
        REQUIRE(parse(f, v) == parse_error::none);
        CHECK(v.payload_length == 2);
    }
    SECTION("oversized frame") {
        std::vector<std::byte> f(max_frame_size + 1);
        CHECK(parse(f, v) == parse_error::frame_too_long);
    }
    SECTION("three VLAN tags") {
        std::vector<std::byte> buf(200);
        frame_builder b{buf};
        b.ethernet(testing_frames::mac_a, testing_frames::mac_b).vlan(1).vlan(2).vlan(3).ipv4(1, 2, ipproto::udp).udp(1, 2);
        const auto n = b.finish();
        CHECK(parse(std::span<const std::byte>(buf.data(), n), v) == parse_error::too_many_vlan_tags);
    }
}

TEST_CASE("UDP length is validated", "[parser]") {
    std::vector<std::byte> buf(200);
    frame_builder b{buf};
    b.ethernet(testing_frames::mac_a, testing_frames::mac_b).ipv4(1, 2, ipproto::udp).udp(5, 6).payload(std::vector<std::byte>(8));
    const auto n = b.finish();
    std::vector<std::byte> f(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    packet_view v;
    REQUIRE(parse(f, v) == parse_error::none);
    CHECK(v.payload_length == 8);
    f[tcp_at + 5] = std::byte{7};  // length 7 < 8
    CHECK(parse(f, v) == parse_error::udp_bad_length);
    f[tcp_at + 4] = std::byte{1};  // 263 > datagram
    CHECK(parse(f, v) == parse_error::udp_bad_length);
}

TEST_CASE("IPv4 fragments: first parsed, later ones marked without L4", "[parser]") {
    std::vector<std::byte> buf(200);
    frame_builder b{buf};
    b.ethernet(testing_frames::mac_a, testing_frames::mac_b).ipv4(1, 2, ipproto::tcp, 64, 7, 0x2000).tcp(1000, 80, tcpflag::syn);
    std::size_t n = b.finish();
    packet_view v;
    REQUIRE(parse(std::span<const std::byte>(buf.data(), n), v) == parse_error::none);
    CHECK(v.fragment);
    CHECK_FALSE(v.later_fragment);
    CHECK(v.has_l4);
    CHECK(v.dport == 80);

    frame_builder later{buf};
    later.ethernet(testing_frames::mac_a, testing_frames::mac_b).ipv4(1, 2, ipproto::tcp, 64, 7, 0x0003).payload(std::vector<std::byte>(5));
    n = later.finish();
    REQUIRE(parse(std::span<const std::byte>(buf.data(), n), v) == parse_error::none);
    CHECK(v.fragment);
    CHECK(v.later_fragment);
    CHECK_FALSE(v.has_l4);
    CHECK(v.payload_length == 5);

    // A "tiny fragment" (RFC 1858) that splits the TCP header is malformed, not a pass.
    frame_builder tiny{buf};
    tiny.ethernet(testing_frames::mac_a, testing_frames::mac_b).ipv4(1, 2, ipproto::tcp, 64, 7, 0x2000).payload(std::vector<std::byte>(8));
    n = tiny.finish();
    CHECK(parse(std::span<const std::byte>(buf.data(), n), v) == parse_error::tcp_truncated);
}

TEST_CASE("IPv6 extension headers are walked to the upper layer", "[parser]") {
    std::vector<std::byte> buf(300);
    // hop-by-hop (8 bytes) -> destination options (16 bytes) -> UDP
    std::vector<std::byte> ext(24);
    ext[0] = std::byte{ipproto::dstopts};
    ext[1] = std::byte{0};
    ext[8] = std::byte{ipproto::udp};
    ext[9] = std::byte{1};
    frame_builder b{buf};
    b.ethernet(testing_frames::mac_a, testing_frames::mac_b).ipv6({}, {}, ipproto::hopopts).payload(ext);
    std::vector<std::byte> udp{std::byte{0}, std::byte{53}, std::byte{0}, std::byte{54}, std::byte{0}, std::byte{12}, std::byte{0}, std::byte{0},
                               std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
    b.payload(udp);
    const std::size_t n = b.finish();
    packet_view v;
    REQUIRE(parse(std::span<const std::byte>(buf.data(), n), v) == parse_error::none);
    CHECK(v.ip_proto == ipproto::udp);
    CHECK(v.sport == 53);
    CHECK(v.dport == 54);
    CHECK(v.payload_length == 4);
    // Truncate the destination-options length so it runs past the payload.
    buf[ethernet_header_size + 40 + 9] = std::byte{9};
    CHECK(parse(std::span<const std::byte>(buf.data(), n), v) == parse_error::ipv6_ext_truncated);
}

TEST_CASE("ARP requests are decoded", "[parser]") {
    std::vector<std::byte> buf(100);
    frame_builder b{buf};
    b.ethernet({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, testing_frames::mac_a).arp(1, testing_frames::mac_a, 0x0a00000a, {}, 0x0a000002);
    const std::size_t n = b.finish();
    packet_view v;
    REQUIRE(parse(std::span<const std::byte>(buf.data(), n), v) == parse_error::none);
    CHECK(v.l3 == l3_kind::arp);
    CHECK(v.arp_op == 1);
    CHECK(v.arp_sender_ip == 0x0a00000a);
    CHECK(v.arp_target_ip == 0x0a000002);
    CHECK(parse(std::span<const std::byte>(buf.data(), n - 1), v) == parse_error::arp_truncated);
}

// constexpr parse: a compile-time frame parses at compile time.
constexpr bool constexpr_parse_works() {
    std::array<std::byte, 64> buf{};
    frame_builder b{buf};
    b.ethernet(testing_frames::mac_a, testing_frames::mac_b).ipv4(0x01020304, 0x05060708, ipproto::udp).udp(7, 9);
    const std::size_t n = b.finish();
    packet_view v;
    return parse(std::span<const std::byte>(buf.data(), n), v) == parse_error::none && v.dport == 9 && v.src4 == 0x01020304;
}
static_assert(constexpr_parse_works());
