// net/l4_checksum.hpp: frames the builder writes verify; any one byte changed in the IPv4
// header or in the TCP / UDP / ICMP part (header or payload) does not; UDP's zero checksum is
// "none" over IPv4 and invalid over IPv6.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include <secengine/net/builder.hpp>
#include <secengine/net/l4_checksum.hpp>
#include <secengine/net/packet.hpp>

using namespace secengine::net;

namespace {
std::vector<std::byte> build(std::mt19937& rng, bool v6, std::uint8_t proto, std::size_t len) {
    std::vector<std::byte> f(1600), data(len);
    for (auto& b : data) b = static_cast<std::byte>(rng());
    frame_builder b{f};
    b.ethernet({2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2});
    ipv6_address s6{0x20, 0x01, 0x0d, 0xb8}, d6{0x20, 0x01, 0x0d, 0xb8};
    s6[15] = static_cast<std::uint8_t>(rng());
    d6[15] = static_cast<std::uint8_t>(rng());
    const std::uint8_t l4 = proto == ipproto::icmp && v6 ? ipproto::icmpv6 : proto;
    if (v6) b.ipv6(s6, d6, l4);
    else b.ipv4(0x0A000000u | (rng() & 0xFFFFu), 0x0A010000u | (rng() & 0xFFFFu), l4);
    if (proto == ipproto::tcp) b.tcp(static_cast<std::uint16_t>(rng()), 80, 0x18, static_cast<std::uint32_t>(rng()), static_cast<std::uint32_t>(rng()));
    else if (proto == ipproto::udp) b.udp(static_cast<std::uint16_t>(rng()), 53);
    else b.icmp(8, 0, static_cast<std::uint32_t>(rng()));
    b.payload(data);
    f.resize(b.finish());
    return f;
}
}  // namespace

TEST_CASE("checksums: built frames verify, one changed byte never does", "[stream][checksum][property]") {
    std::mt19937 rng(768);
    for (int iter = 0; iter < 6000; ++iter) {
        const bool v6 = rng() % 2;
        const std::uint8_t proto = std::array<std::uint8_t, 3>{ipproto::tcp, ipproto::udp, ipproto::icmp}[rng() % 3];
        auto f = build(rng, v6, proto, rng() % 1200);
        packet_view p;
        REQUIRE(parse(f, p) == parse_error::none);
        REQUIRE(verify_checksums(p) == checksum_status::ok);
        // One byte of the IP header (v4: not the version/IHL byte or the lengths, which the
        // parser checks) or of the L4 part changed.
        const bool in_header = v6 ? false : rng() % 4 == 0;
        const std::size_t at = in_header ? p.l3_offset + 8 + rng() % 12 : p.l4_offset + rng() % (p.l3_offset + p.l3_length - p.l4_offset);
        if (proto == ipproto::udp && at >= p.l4_offset + 4u && at < p.l4_offset + 6u) continue;  // UDP length: the parser refuses it
        const auto old = f[at];
        f[at] = static_cast<std::byte>(static_cast<std::uint8_t>(old) ^ (1u + rng() % 255));
        packet_view q;
        if (parse(f, q) != parse_error::none) continue;  // e.g. a TCP data offset made impossible
        INFO("iteration " << iter << " byte " << at);
        CHECK(verify_checksums(q) == (in_header ? checksum_status::bad_ip_header : checksum_status::bad_l4));
    }
}

TEST_CASE("checksums: UDP zero checksum, non-IP, fragments", "[stream][checksum]") {
    std::mt19937 rng(1);
    for (const bool v6 : {false, true}) {
        auto f = build(rng, v6, ipproto::udp, 20);
        packet_view p;
        REQUIRE(parse(f, p) == parse_error::none);
        f[p.l4_offset + 6] = f[p.l4_offset + 7] = std::byte{0};
        REQUIRE(parse(f, p) == parse_error::none);
        CHECK(verify_checksums(p) == (v6 ? checksum_status::bad_l4 : checksum_status::ok));
    }
    packet_view arp;
    arp.l3 = l3_kind::arp;
    CHECK(verify_checksums(arp) == checksum_status::unchecked);
}

TEST_CASE("checksums: the accumulator equals RFC 1071's 16-bit sum, however the data is split", "[stream][checksum][property]") {
    std::mt19937 rng(1071);
    for (int iter = 0; iter < 5000; ++iter) {
        std::vector<std::byte> data(rng() % 1600);
        for (auto& b : data) b = static_cast<std::byte>(rng() % 4 == 0 ? 0xff : rng());
        // The reference: big-endian 16-bit words, the odd byte padded, end-around carries.
        std::uint32_t ref = 0;
        for (std::size_t i = 0; i < data.size(); i += 2) {
            ref += std::uint32_t{static_cast<std::uint8_t>(data[i])} << 8;
            if (i + 1 < data.size()) ref += static_cast<std::uint8_t>(data[i + 1]);
            ref = (ref & 0xffffu) + (ref >> 16);
        }
        const auto expect = static_cast<std::uint16_t>(~ref & 0xffffu);
        REQUIRE(internet_checksum(data) == expect);
        // In pieces of even length (only the last may be odd).
        checksum_accumulator acc;
        std::size_t at = 0;
        while (at < data.size()) {
            std::size_t n = std::min<std::size_t>(data.size() - at, 2 * (rng() % 40));
            if (n == 0) n = data.size() - at;
            acc.add(std::span<const std::byte>(data).subspan(at, n));
            at += n;
        }
        REQUIRE(acc.fold() == expect);
    }
}
