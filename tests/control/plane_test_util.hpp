#pragma once
// Helpers of the control plane tests (test_control_*.cpp): exchanging commands with the real
// plane in memory (appliance_harness.hpp) and building the frames, programs and datagrams the
// tests send, hostile ones included. Catch2 assertions: include from test files only.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <random>
#include <string_view>
#include <vector>

#include <secengine/ebpf/isa.hpp>
#include <secengine/net/checksum.hpp>
#include <secengine/wire/conversions.hpp>

#include "appliance_harness.hpp"

namespace plane_test {

using harness::appliance;
using harness::client;
using harness::pass_program;
using harness::program_bytes;
namespace wire = secengine::wire;
namespace net = secengine::net;
namespace eb = secengine::ebpf;

inline constexpr std::uint64_t boot = 0xb007'0001ull;

inline constexpr std::uint64_t tps = appliance<>::tps;

/// What came back for one datagram: nothing, or an opened reply.
struct answer {
    bool any = false;
    wire::opened o{};
    std::vector<std::byte> bytes;
};

/// The next datagram the appliance sent to `to`, opened by `c`. (`A`: any harness::appliance,
/// whatever its persistence.)
template <class A = appliance<>>
inline answer receive(A& a, client& c, const harness::client_address& to = {}) {
    answer r;
    auto got = a.next_datagram(to);
    if (!got) return r;
    r.any = true;
    r.bytes = std::move(*got);
    r.o = c.open(r.bytes);
    return r;
}

template <class M, class A>
inline answer exchange(A& a, client& c, const M& m, std::uint64_t now, std::uint64_t* seq = nullptr) {
    const auto d = c.seal(m, seq);
    a.deliver(d, now);
    answer r;
    auto got = a.next_datagram();
    if (!got) return r;
    r.any = true;
    r.bytes = std::move(*got);
    r.o = c.open(r.bytes);
    return r;
}

inline wire::ack ack_of(const answer& r) {
    REQUIRE(r.any);
    REQUIRE(r.o.ok());
    REQUIRE(r.o.hdr.type == wire::msg_type::ack);
    wire::ack a;
    REQUIRE(wire::decode_payload(r.o.payload, a) == wire::wire_error::none);
    return a;
}

template <class M>
M reply_of(const answer& r) {
    REQUIRE(r.any);
    REQUIRE(r.o.ok());
    REQUIRE(r.o.hdr.type == M::type);
    M m;
    REQUIRE(wire::decode_payload(r.o.payload, m) == wire::wire_error::none);
    return m;
}

template <class M, class A>
inline wire::ack command(A& a, client& c, const M& m, std::uint64_t now) {
    std::uint64_t seq = 0;
    const wire::ack k = ack_of(exchange(a, c, m, now, &seq));
    REQUIRE(k.request_seq == seq);
    REQUIRE(k.request_type == M::type);
    return k;
}

inline std::vector<std::byte> bytes_of(std::string_view s) {
    std::vector<std::byte> v(s.size());
    std::transform(s.begin(), s.end(), v.begin(), [](char ch) { return static_cast<std::byte>(ch); });
    return v;
}

/// A TCP segment from `src` to port `dport` carrying `data`, as traffic on port 0.
inline std::vector<std::byte> tcp_frame(std::uint32_t src, std::uint16_t dport, std::string_view data = {},
                                 std::uint8_t flags = net::tcpflag::syn) {
    std::vector<std::byte> f(1514);
    net::frame_builder b{f};
    b.ethernet({2, 0, 0, 0, 0, 9}, {2, 0, 0, 0, 0, 8})
        .ipv4(src, 0x0a000009, net::ipproto::tcp)
        .tcp(40000, dport, flags, 1000)
        .payload(bytes_of(data));
    f.resize(b.finish());
    return f;
}

/// Re-computes the tag of a datagram whose header bytes a test changed (so it stays authentic).
inline void retag(std::vector<std::byte>& d, const std::array<std::uint8_t, 16>& key) {
    const std::size_t body = d.size() - wire::tag_size;
    const std::uint64_t t = wire::siphash(harness::to_session_key(key), std::span<const std::byte>(d.data(), body));
    for (std::size_t i = 0; i < 8; ++i) d[body + i] = static_cast<std::byte>(t >> (8 * i));
}

/// Checks a frame's IPv4 header checksum and UDP checksum (RFC 791, RFC 768).
inline void require_checksums(std::span<const std::byte> f) {
    net::packet_view v;
    REQUIRE(net::parse(f, v) == net::parse_error::none);
    REQUIRE(net::internet_checksum(f.subspan(14, 20)) == 0);
    net::checksum_accumulator c;
    c.add(f.subspan(14 + 12, 8));
    c.add16(net::ipproto::udp);
    const std::size_t udp_len = 8 + v.payload().size();
    c.add16(static_cast<std::uint16_t>(udp_len));
    c.add(f.subspan(34, udp_len));
    REQUIRE(c.fold() == 0);
}


/// What an attacker on the management network sends (test_control_refusals.cpp,
/// test_control_flood.cpp): recordings of a previous boot's datagrams, of fresh clients' first
/// datagrams (boot id 0: valid in every boot), of this boot's commands (accepted once when
/// recorded, so every later copy is a replay), datagrams forged under another key (some of
/// another protocol version), and random bytes - from random sources.
struct hostile_traffic {
    std::vector<std::vector<std::byte>> prev_boot, this_boot, asking;
    client forger;
    bool forge_commands;  ///< the forged datagrams are block_port commands (else pings)

    /// Records the datagrams: this boot's are delivered to `a` once (at ++now each), then what
    /// `a` answered is cleared. `forger_key` is the key the forger holds (not the appliance's).
    template <class A>
    hostile_traffic(A& a, const std::array<std::uint8_t, 16>& key, const std::array<std::uint8_t, 16>& forger_key,
                    std::uint64_t& now, bool commands = false)
        : forger(forger_key, 1, boot, 1), forge_commands(commands) {
        client prev(key, 1, boot - 1, 1);
        for (int i = 0; i < 32; ++i) prev_boot.push_back(prev.seal(wire::ping{}));
        for (int i = 0; i < 8; ++i) {
            client early(key, 1, 0, 1 + static_cast<std::uint64_t>(i));
            asking.push_back(early.seal(wire::ping{}));
        }
        client current(key, 2, boot, 1);
        for (int i = 0; i < 8; ++i) {
            this_boot.push_back(current.seal(wire::ping{}));
            REQUIRE(a.deliver(this_boot.back(), ++now));  // accepted once: later copies are replays
        }
        a.clear_sent();
    }

    /// One hostile datagram, its kind drawn from `rng` (one in six each).
    std::vector<std::byte> next(std::mt19937& rng) {
        std::vector<std::byte> d;
        switch (rng() % 6) {
        case 0: d = prev_boot[rng() % prev_boot.size()]; break;
        case 1: d = this_boot[rng() % this_boot.size()]; break;
        case 2:
            d = forge_commands ? forger.seal(wire::block_port{{wire::l4_protocol::tcp, wire::traffic_direction::inbound, 22}})
                               : forger.seal(wire::ping{});
            break;
        case 3:
            d = forger.seal(wire::ping{});
            d[2] = std::byte{static_cast<unsigned char>(2 + rng() % 200)};  // another version
            break;
        case 4: d = asking[rng() % asking.size()]; break;
        default:
            d.resize(rng() % 80);
            for (auto& b : d) b = static_cast<std::byte>(rng());
        }
        return d;
    }

    /// A random source on the management network (10.0.x.y, an unprivileged port).
    static harness::client_address source(std::mt19937& rng) {
        harness::client_address from;
        from.ip = 0x0a000000u | (rng() & 0xffffu);
        from.port = static_cast<std::uint16_t>(1024 + rng() % 60000);
        return from;
    }
};

}  // namespace plane_test
