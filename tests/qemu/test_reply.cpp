// Properties of net/reply.hpp (ARP and ICMP echo replies built in place), checked over seeded
// random requests, plus frames that must not be answered (left untouched, length 0).
#include <catch2/catch.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include <secengine/detail/bytes.hpp>
#include <secengine/net/builder.hpp>
#include <secengine/net/checksum.hpp>
#include <secengine/net/packet.hpp>
#include <secengine/net/reply.hpp>

using namespace secengine;
using namespace secengine::net;

namespace {
constexpr std::uint32_t our_ip = 0x0a000002;
constexpr mac_address our_mac{0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

mac_address random_mac(std::mt19937& rng) {
    mac_address m{};
    for (auto& b : m) b = static_cast<std::uint8_t>(rng());
    m[0] &= 0xfe;  // unicast
    return m;
}

std::uint8_t at(std::span<const std::byte> f, std::size_t i) { return static_cast<std::uint8_t>(f[i]); }
}  // namespace

TEST_CASE("ARP request for our IP becomes a reply to the requester", "[reply]") {
    std::mt19937 rng(1);
    for (int iter = 0; iter < 5000; ++iter) {
        std::array<std::byte, 1536> buf{};
        const mac_address sha = random_mac(rng);
        const std::uint32_t spa = static_cast<std::uint32_t>(rng());
        const bool tagged = (rng() & 1) != 0;
        const auto vid = static_cast<std::uint16_t>(rng() & 0x0fff);
        frame_builder b{buf};
        b.ethernet({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, sha, ethertype::arp);
        if (tagged) b.vlan(vid);
        b.arp(1, sha, spa, {}, our_ip);
        const std::size_t n = b.finish();
        packet_view v;
        REQUIRE(parse(std::span<const std::byte>(buf.data(), n), v) == parse_error::none);
        const std::size_t r = arp_reply_in_place(buf, v, our_mac, our_ip);
        REQUIRE(r == 60);
        packet_view rv;
        REQUIRE(parse(std::span<const std::byte>(buf.data(), r), rv) == parse_error::none);
        CHECK(rv.l3 == l3_kind::arp);
        CHECK(rv.arp_op == 2);
        CHECK(rv.arp_sender_ip == our_ip);
        CHECK(rv.arp_target_ip == spa);
        CHECK(rv.vlan_count == (tagged ? 1 : 0));
        if (tagged) CHECK(rv.vlan_id == vid);
        for (std::size_t i = 0; i < 6; ++i) {
            CHECK(at(rv.frame, i) == sha[i]);                        // Ethernet destination
            CHECK(at(rv.frame, 6 + i) == our_mac[i]);                // Ethernet source
            CHECK(at(rv.frame, rv.l3_offset + 8 + i) == our_mac[i]); // sender hardware address
            CHECK(at(rv.frame, rv.l3_offset + 18 + i) == sha[i]);    // target hardware address
        }
    }
}

TEST_CASE("frames that are not ARP requests for us are left alone", "[reply]") {
    std::mt19937 rng(2);
    for (int iter = 0; iter < 5000; ++iter) {
        std::array<std::byte, 1536> buf{};
        frame_builder b{buf};
        const int kind = static_cast<int>(rng() % 3);
        const std::uint32_t target = kind == 0 ? our_ip + 1 + static_cast<std::uint32_t>(rng() % 1000) : our_ip;
        b.ethernet({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, random_mac(rng), ethertype::arp)
            .arp(kind == 1 ? 2 : 1, random_mac(rng), static_cast<std::uint32_t>(rng()), {}, target);
        std::size_t n = b.finish();
        if (kind == 2) {  // random bytes
            n = 14 + rng() % 200;
            for (std::size_t i = 0; i < n; ++i) buf[i] = static_cast<std::byte>(rng());
        }
        const auto before = buf;
        packet_view v;
        if (parse(std::span<const std::byte>(buf.data(), n), v) != parse_error::none) continue;
        if (kind == 2 && is_arp_request_for(v, our_ip)) continue;  // astronomically unlikely
        CHECK(arp_reply_in_place(buf, v, our_mac, our_ip) == 0);
        CHECK(icmp_echo_reply_in_place(buf, v, our_mac, our_ip) == 0);
        CHECK(buf == before);
    }
}

TEST_CASE("echo request becomes an echo reply with the same data and valid checksums", "[reply]") {
    std::mt19937 rng(3);
    for (int iter = 0; iter < 3000; ++iter) {
        std::array<std::byte, 1536> buf{};
        const mac_address src = random_mac(rng);
        const std::uint32_t sip = static_cast<std::uint32_t>(rng()) | 1;
        std::vector<std::byte> data(rng() % 1400);
        for (auto& d : data) d = static_cast<std::byte>(rng());
        std::array<std::byte, 8> opts{};
        const bool with_options = rng() % 4 == 0;
        const auto ident = static_cast<std::uint16_t>(rng()), seq = static_cast<std::uint16_t>(rng());
        frame_builder b{buf};
        b.ethernet(our_mac, src)
            .ipv4(sip, our_ip, ipproto::icmp, static_cast<std::uint8_t>(rng()), 7, 0,
                  with_options ? std::span<const std::byte>(opts) : std::span<const std::byte>{})
            .icmp(8, 0, (std::uint32_t{ident} << 16) | seq)
            .payload(data);
        const std::size_t n = b.finish();
        REQUIRE(n != 0);
        packet_view v;
        REQUIRE(parse(std::span<const std::byte>(buf.data(), n), v) == parse_error::none);
        const bool corrupt = rng() % 8 == 0;
        if (corrupt) {  // flip one bit in the ICMP message: no reply (RFC 1122 3.2.2)
            buf[v.l4_offset + rng() % (n - v.l4_offset)] ^= std::byte{0x10};
            REQUIRE(parse(std::span<const std::byte>(buf.data(), n), v) == parse_error::none);
            const auto before = buf;
            CHECK(icmp_echo_reply_in_place(buf, v, our_mac, our_ip) == 0);
            CHECK(buf == before);
            continue;
        }
        const std::size_t r = icmp_echo_reply_in_place(buf, v, our_mac, our_ip);
        REQUIRE(r == std::max<std::size_t>(n, 60));
        packet_view rv;
        REQUIRE(parse(std::span<const std::byte>(buf.data(), r), rv) == parse_error::none);
        CHECK(rv.src4 == our_ip);
        CHECK(rv.dst4 == sip);
        CHECK(rv.icmp_type == 0);
        CHECK(rv.sport == ident);
        const std::size_t ihl = rv.l4_offset - rv.l3_offset;
        CHECK(internet_checksum(rv.frame.subspan(rv.l3_offset, ihl)) == 0);
        CHECK(internet_checksum(rv.frame.subspan(rv.l4_offset, rv.l3_length - ihl)) == 0);
        CHECK(detail::load_be16(buf.data() + rv.l4_offset + 6) == seq);
        REQUIRE(rv.payload_length == data.size());
        CHECK(std::equal(data.begin(), data.end(), rv.payload().begin()));
        for (std::size_t i = 0; i < 6; ++i) {
            CHECK(at(rv.frame, i) == src[i]);
            CHECK(at(rv.frame, 6 + i) == our_mac[i]);
        }
    }
}
