#pragma once
// Test helpers: random but reproducible frames built with the library's own builder.
#include <cstdint>
#include <random>
#include <vector>

#include <secengine/net/builder.hpp>
#include <secengine/net/protocol.hpp>

namespace testing_frames {

using namespace secengine::net;

inline constexpr mac_address mac_a{0x02, 0, 0, 0, 0, 0x0a};
inline constexpr mac_address mac_b{0x02, 0, 0, 0, 0, 0x0b};

/// A frame description that the test can compare against the parse.
struct spec {
    bool v6 = false;
    int vlans = 0;
    std::uint16_t vid = 0;
    std::uint8_t proto = ipproto::tcp;
    std::uint32_t src4 = 0, dst4 = 0;
    ipv6_address src6{}, dst6{};
    std::uint16_t sport = 0, dport = 0;
    std::uint8_t flags = 0;
    std::uint8_t icmp_type = 8;
    std::vector<std::byte> payload;
};

inline std::vector<std::byte> build(const spec& s) {
    std::vector<std::byte> buf(max_frame_size + 64);
    frame_builder b{buf};
    b.ethernet(mac_b, mac_a);
    for (int i = 0; i < s.vlans; ++i) b.vlan(s.vid);
    if (s.v6)
        b.ipv6(s.src6, s.dst6, s.proto == ipproto::icmp ? ipproto::icmpv6 : s.proto);
    else
        b.ipv4(s.src4, s.dst4, s.proto);
    if (s.proto == ipproto::tcp) b.tcp(s.sport, s.dport, s.flags, 1, 2);
    else if (s.proto == ipproto::udp) b.udp(s.sport, s.dport);
    else b.icmp(s.v6 ? static_cast<std::uint8_t>(s.icmp_type == 8 ? 128 : s.icmp_type) : s.icmp_type, 0,
                std::uint32_t{s.sport} << 16);
    b.payload(s.payload);
    const std::size_t n = b.finish();
    buf.resize(n);
    return buf;
}

inline spec random_spec(std::mt19937_64& rng, std::size_t max_payload = 1200) {
    spec s;
    s.v6 = rng() % 4 == 0;
    s.vlans = static_cast<int>(rng() % 3);
    s.vid = static_cast<std::uint16_t>(rng() % 4096);
    const std::uint8_t protos[] = {ipproto::tcp, ipproto::udp, ipproto::icmp};
    s.proto = protos[rng() % 3];
    s.src4 = static_cast<std::uint32_t>(rng());
    s.dst4 = static_cast<std::uint32_t>(rng());
    for (auto& b : s.src6) b = static_cast<std::uint8_t>(rng());
    for (auto& b : s.dst6) b = static_cast<std::uint8_t>(rng());
    s.sport = static_cast<std::uint16_t>(rng());
    s.dport = static_cast<std::uint16_t>(rng());
    s.flags = static_cast<std::uint8_t>(rng());
    s.icmp_type = rng() % 2 ? 8 : 3;
    s.payload.resize(rng() % (max_payload + 1));
    for (auto& b : s.payload) b = static_cast<std::byte>(rng());
    return s;
}

/// An IPv4 TCP segment (UDP datagram with proto = udp) without payload.
inline spec tcp(std::uint32_t src, std::uint32_t dst, std::uint16_t sport, std::uint16_t dport, std::uint8_t flags,
                std::uint8_t proto = ipproto::tcp) {
    spec s;
    s.proto = proto;
    s.src4 = src;
    s.dst4 = dst;
    s.sport = sport;
    s.dport = dport;
    s.flags = flags;
    return s;
}

/// Builds `s` and runs it through pipeline `p` (`dir...`: the pipeline's direction, if given).
template <class P, class... Dir>
auto send(P& p, const spec& s, std::uint64_t now, Dir... dir) {
    auto f = build(s);
    return p.process(f, now, dir...);
}

}  // namespace testing_frames
