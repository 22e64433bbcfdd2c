// net/reject.hpp: the answer to a `reject` rule, checked over seeded random offending packets
// (TCP over IPv4 and IPv6 with random flags, sequence numbers and payloads; UDP; other
// protocols) against RFC 9293's reset rules and RFC 792 / RFC 4443's error format; and the
// packets that must get no answer (RST, ICMP errors, broadcast, multicast, later fragments,
// unspecified or loopback sources, too small a buffer).
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
#include <secengine/net/reject.hpp>

using namespace secengine;
using namespace secengine::net;

namespace {
struct offender {
    std::vector<std::byte> frame;
    packet_view view;
};

mac_address random_mac(std::mt19937& rng) {
    mac_address m{};
    for (auto& b : m) b = static_cast<std::uint8_t>(rng());
    m[0] &= 0xfe;
    return m;
}
std::uint32_t random_host4(std::mt19937& rng) { return 0x0A000000u | (rng() & 0x00FFFFFEu) | 1u; }
ipv6_address random_host6(std::mt19937& rng) {
    ipv6_address a{0x20, 0x01, 0x0d, 0xb8};
    for (std::size_t i = 4; i < 16; ++i) a[i] = static_cast<std::uint8_t>(rng());
    return a;
}

// Builds and parses one offending frame: proto tcp/udp/other, v4 or v6, maybe one VLAN tag.
offender make(std::mt19937& rng, std::uint8_t proto, bool v6, bool tagged, std::uint8_t tcp_flags, std::size_t payload_len,
              std::uint32_t seq, std::uint32_t ack) {
    offender o;
    o.frame.resize(1600);
    std::vector<std::byte> data(payload_len);
    for (auto& b : data) b = static_cast<std::byte>(rng());
    frame_builder b{o.frame};
    b.ethernet(random_mac(rng), random_mac(rng));
    if (tagged) b.vlan(static_cast<std::uint16_t>(1 + rng() % 4094));
    if (v6) b.ipv6(random_host6(rng), random_host6(rng), proto);
    else b.ipv4(random_host4(rng), random_host4(rng), proto);
    if (proto == ipproto::tcp) b.tcp(static_cast<std::uint16_t>(rng()), static_cast<std::uint16_t>(rng()), tcp_flags, seq, ack);
    else if (proto == ipproto::udp) b.udp(static_cast<std::uint16_t>(rng()), static_cast<std::uint16_t>(rng()));
    b.payload(data);
    o.frame.resize(b.finish());
    REQUIRE(!o.frame.empty());
    REQUIRE(parse(o.frame, o.view) == parse_error::none);
    return o;
}

// One's-complement sum over the L4 part with its pseudo header is 0 when the checksum is right.
bool l4_checksum_ok(const packet_view& r) {
    checksum_accumulator c;
    const std::byte* f = r.frame.data();
    const std::size_t l4_len = r.l3_offset + r.l3_length - r.l4_offset;
    if (r.l3 == l3_kind::ipv4) {
        if (r.ip_proto != ipproto::icmp) {  // ICMPv4 has no pseudo header
            c.add32(r.src4);
            c.add32(r.dst4);
            c.add16(r.ip_proto);
            c.add16(static_cast<std::uint16_t>(l4_len));
        }
    } else {
        c.add(r.src6());
        c.add(r.dst6());
        c.add32(static_cast<std::uint32_t>(l4_len));
        c.add16(r.ip_proto);
    }
    c.add(std::span<const std::byte>(f + r.l4_offset, l4_len));
    return c.fold() == 0;
}
}  // namespace

TEST_CASE("reject: a TCP segment gets the reset RFC 9293 prescribes, from the other endpoint", "[rules][reject][property]") {
    std::mt19937 rng(41);
    for (int iter = 0; iter < 4000; ++iter) {
        const bool v6 = rng() % 2, tagged = rng() % 3 == 0;
        auto flags = static_cast<std::uint8_t>(rng() & 0x3Fu & ~0x04u);  // anything but RST
        const std::size_t len = rng() % 1200;
        const std::uint32_t seq = static_cast<std::uint32_t>(rng()), ack = static_cast<std::uint32_t>(rng());
        const offender o = make(rng, ipproto::tcp, v6, tagged, flags, len, seq, ack);
        std::array<std::byte, max_reject_frame> out{};
        const std::size_t n = build_reject(o.view, out);
        REQUIRE(n >= 60);
        packet_view r;
        REQUIRE(parse(std::span<const std::byte>(out.data(), n), r) == parse_error::none);
        REQUIRE(r.is_tcp());
        // Addresses, ports and MACs swapped; the tag kept.
        CHECK(r.sport == o.view.dport);
        CHECK(r.dport == o.view.sport);
        if (v6) {
            CHECK(std::equal(r.src6().begin(), r.src6().end(), o.view.dst6().begin()));
            CHECK(std::equal(r.dst6().begin(), r.dst6().end(), o.view.src6().begin()));
        } else {
            CHECK(r.src4 == o.view.dst4);
            CHECK(r.dst4 == o.view.src4);
            CHECK(internet_checksum(r.frame.subspan(r.l3_offset, 20)) == 0);
        }
        CHECK(std::equal(out.begin(), out.begin() + 6, o.frame.begin() + 6));
        CHECK(std::equal(out.begin() + 6, out.begin() + 12, o.frame.begin()));
        CHECK(r.vlan_count == o.view.vlan_count);
        CHECK(r.vlan_id == o.view.vlan_id);
        CHECK(l4_checksum_ok(r));
        const std::uint32_t rseq = detail::load_be32(out.data() + r.l4_offset + 4), rack = detail::load_be32(out.data() + r.l4_offset + 8);
        CHECK(r.payload_length == 0);
        if (flags & 0x10) {  // ACK: <SEQ=SEG.ACK><CTL=RST>
            CHECK(r.tcp_flags == 0x04);
            CHECK(rseq == ack);
        } else {  // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
            CHECK(r.tcp_flags == 0x14);
            CHECK(rseq == 0);
            CHECK(rack == seq + static_cast<std::uint32_t>(len) + ((flags & 0x02) ? 1u : 0u) + ((flags & 0x01) ? 1u : 0u));
        }
    }
}

TEST_CASE("reject: UDP and other protocols get ICMP / ICMPv6 unreachable quoting the datagram", "[rules][reject][property]") {
    std::mt19937 rng(43);
    for (int iter = 0; iter < 4000; ++iter) {
        const bool v6 = rng() % 2, tagged = rng() % 3 == 0, udp = rng() % 4 != 0;
        const std::uint8_t proto = udp ? ipproto::udp : static_cast<std::uint8_t>(v6 ? 59 : 47);  // no next header / GRE
        const std::size_t len = rng() % 1400;  // the frame stays within 1514 bytes
        const offender o = make(rng, proto, v6, tagged, 0, len, 0, 0);
        std::array<std::byte, max_reject_frame> out{};
        const std::size_t n = build_reject(o.view, out);
        REQUIRE(n >= 60);
        REQUIRE(n <= max_reject_frame);
        packet_view r;
        REQUIRE(parse(std::span<const std::byte>(out.data(), n), r) == parse_error::none);
        REQUIRE(r.has_l4);
        CHECK(l4_checksum_ok(r));
        const std::size_t quoted = r.l3_offset + r.l3_length - r.l4_offset - 8;
        const std::byte* q = out.data() + r.l4_offset + 8;
        if (v6) {
            CHECK(r.ip_proto == ipproto::icmpv6);
            CHECK(r.icmp_type == 1);
            CHECK(r.icmp_code == 4);
            CHECK(r.l3_length <= 1280);
            CHECK(quoted == std::min<std::size_t>(o.view.l3_length, 1280 - 48));
            CHECK(std::equal(r.src6().begin(), r.src6().end(), o.view.dst6().begin()));
        } else {
            CHECK(r.ip_proto == ipproto::icmp);
            CHECK(r.icmp_type == 3);
            CHECK(r.icmp_code == (udp ? 3 : 2));
            CHECK(quoted == std::min<std::size_t>(o.view.l3_length, 28));  // IP header + 8 bytes
            CHECK(r.src4 == o.view.dst4);
            CHECK(r.dst4 == o.view.src4);
        }
        CHECK(std::equal(q, q + quoted, o.frame.begin() + o.view.l3_offset));
    }
}

TEST_CASE("reject: no answer to resets, ICMP errors, group addresses, later fragments, or into a short buffer", "[rules][reject]") {
    std::mt19937 rng(47);
    std::array<std::byte, max_reject_frame> out{};
    // A RST.
    offender o = make(rng, ipproto::tcp, false, false, 0x14, 0, 1, 2);
    CHECK(build_reject(o.view, out) == 0);
    // ICMP errors (v4 type 3, v6 type 1); an echo request does get one.
    for (const bool v6 : {false, true}) {
        std::vector<std::byte> f(200);
        frame_builder b{f};
        b.ethernet(random_mac(rng), random_mac(rng));
        if (v6) b.ipv6(random_host6(rng), random_host6(rng), ipproto::icmpv6);
        else b.ipv4(random_host4(rng), random_host4(rng), ipproto::icmp);
        b.icmp(v6 ? 1 : 3, 3);
        f.resize(b.finish());
        packet_view v;
        REQUIRE(parse(f, v) == parse_error::none);
        CHECK(build_reject(v, out) == 0);
        f[v.l4_offset] = std::byte{static_cast<std::uint8_t>(v6 ? 128 : 8)};  // echo request
        REQUIRE(parse(f, v) == parse_error::none);
        CHECK(build_reject(v, out) > 0);
    }
    // Broadcast / multicast destinations, unspecified and loopback sources.
    for (const std::uint32_t dst : {0xFFFFFFFFu, 0xE0000001u, 0xEFFFFFFAu}) {
        o = make(rng, ipproto::udp, false, false, 0, 10, 0, 0);
        detail::store_be32(o.frame.data() + o.view.l3_offset + 16, dst);
        REQUIRE(parse(o.frame, o.view) == parse_error::none);
        CHECK(build_reject(o.view, out) == 0);
    }
    for (const std::uint32_t src : {0x00000000u, 0x7F000001u}) {
        o = make(rng, ipproto::tcp, false, false, 0x02, 0, 5, 0);
        detail::store_be32(o.frame.data() + o.view.l3_offset + 12, src);
        REQUIRE(parse(o.frame, o.view) == parse_error::none);
        CHECK(build_reject(o.view, out) == 0);
    }
    o = make(rng, ipproto::udp, true, false, 0, 10, 0, 0);
    o.frame[o.view.l3_offset + 24] = std::byte{0xFF};  // ff.. multicast destination
    REQUIRE(parse(o.frame, o.view) == parse_error::none);
    CHECK(build_reject(o.view, out) == 0);
    // A link-layer broadcast frame.
    o = make(rng, ipproto::udp, false, false, 0, 10, 0, 0);
    for (std::size_t i = 0; i < 6; ++i) o.frame[i] = std::byte{0xFF};
    REQUIRE(parse(o.frame, o.view) == parse_error::none);
    CHECK(build_reject(o.view, out) == 0);
    // A later fragment (offset 8 bytes).
    o = make(rng, ipproto::udp, false, false, 0, 40, 0, 0);
    detail::store_be16(o.frame.data() + o.view.l3_offset + 6, 1);
    REQUIRE(parse(o.frame, o.view) == parse_error::none);
    REQUIRE(o.view.later_fragment);
    CHECK(build_reject(o.view, out) == 0);
    // Not IP (ARP) and a buffer too small for the answer: nothing.
    packet_view arp;
    arp.l3 = l3_kind::arp;
    CHECK(build_reject(arp, out) == 0);
    o = make(rng, ipproto::tcp, false, false, 0x18, 30, 1, 2);
    std::array<std::byte, 40> tiny{};
    CHECK(build_reject(o.view, tiny) == 0);
}
