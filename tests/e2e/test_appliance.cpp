// The shared appliance configuration (include/secengine/appliance.hpp): the default eBPF
// program is accepted by the verifier and agrees with a reference model over random frames,
// and a pipeline built from the config runs all six stages (DPI and eBPF drops reachable).
#include <catch2/catch.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include <secengine/appliance.hpp>
#include <secengine/net/builder.hpp>
#include <secengine/net/packet.hpp>
#include <secengine/pipeline.hpp>

using namespace secengine;

namespace {

constexpr net::mac_address mac_a{2, 0, 0, 0, 0, 1}, mac_b{2, 0, 0, 0, 0, 2};

std::span<const std::byte> bytes(std::string_view s) { return {reinterpret_cast<const std::byte*>(s.data()), s.size()}; }

/// What the default program should say about a frame (its header comment, restated).
bool model_drops(std::span<const std::byte> f) {
    auto at = [&](std::size_t i) { return std::to_integer<int>(f[i]); };
    if (f.size() < 35 || at(12) != 0x08 || at(13) != 0x00) return false;
    if (at(20) & 0x80) return true;
    return (at(14) & 0x0f) > 5 && (at(34) == 131 || at(34) == 137);
}

}  // namespace

TEST_CASE("default eBPF program is verified and matches its reference model", "[appliance]") {
    appliance::default_ebpf_stage st;
    REQUIRE(st.default_load_result().ok());
    REQUIRE(st.loaded());
    std::mt19937_64 rng(8);
    std::array<std::byte, 256> buf{};
    std::size_t drops = 0;
    for (int i = 0; i < 20000; ++i) {
        net::frame_builder b{buf};
        b.ethernet(mac_a, mac_b);
        const auto kind = rng() % 6;
        const auto port = static_cast<std::uint16_t>(rng());
        const auto frag = static_cast<std::uint16_t>(rng() % 4 == 0 ? rng() : 0);
        const std::array<std::uint8_t, 4> kinds{131, 137, 7, 1};
        std::array<std::byte, 8> opts{};
        opts[0] = static_cast<std::byte>(kinds[rng() % 4]);
        opts[1] = std::byte{7};
        const std::span<const std::byte> options = rng() % 5 == 0 ? std::span<const std::byte>{opts} : std::span<const std::byte>{};
        if (kind == 0) b.ipv4(0x0a000001, 0x0a000002, net::ipproto::tcp, 64, 0, frag, options).tcp(1234, port, 0x02);
        else if (kind == 1) b.ipv4(0x0a000001, 0x0a000002, net::ipproto::udp, 64, 0, frag, options).udp(1234, port);
        else if (kind == 2) b.ipv4(0x0a000001, 0x0a000002, net::ipproto::icmp).icmp(8, 0);
        else if (kind == 3) b.ipv4(0x0a000001, 0x0a000002, 47);
        else if (kind == 4) b.vlan(7).ipv4(0x0a000001, 0x0a000002, net::ipproto::udp).udp(1, port);
        else b.arp(1, mac_a, 1, mac_b, 2);
        std::size_t n = b.finish();
        REQUIRE(n != 0);
        if (rng() % 8 == 0) n = static_cast<std::size_t>(rng() % (n + 1));  // truncated frames too
        const std::span<std::byte> frame{buf.data(), n};
        net::packet_view p;
        (void)net::parse(frame, p);
        const stage_decision d = st.inspect({p, frame, nullptr, true, static_cast<std::uint64_t>(i)});
        const bool expect = model_drops(frame);
        drops += expect;
        REQUIRE((d.reason == drop_reason::ebpf) == expect);
        REQUIRE(d.reason != drop_reason::ebpf_aborted);
    }
    REQUIRE(drops > 1000);  // the generator reaches the drop branch
    REQUIRE(st.faults() == 0);
}

TEST_CASE("appliance pipeline runs all six stages", "[appliance]") {
    static pipeline<appliance_config> engine{1234, 0};
    std::array<std::byte, 512> buf{};
    // Each connection's segments follow one another (slot 6 normalises the stream: a SYN at ISN 0,
    // then data from sequence number 1 on).
    std::vector<std::uint32_t> next_seq(65536, 0);
    auto tcp_frame = [&](std::uint16_t sport, std::uint16_t dport, std::uint8_t flags, std::string_view payload) {
        net::frame_builder b{buf};
        if (flags & 0x02) next_seq[sport] = 0;
        const std::uint32_t seq = next_seq[sport];
        next_seq[sport] += static_cast<std::uint32_t>(payload.size()) + ((flags & 0x02) ? 1u : 0u);
        b.ethernet(mac_a, mac_b).ipv4(0x0a00000a, 0x0a000014, net::ipproto::tcp).tcp(sport, dport, flags, seq, 1).payload(bytes(payload));
        return std::span<std::byte>{buf.data(), b.finish()};
    };
    std::uint64_t now = 1;
    REQUIRE(engine.process(tcp_frame(40000, 80, 0x02, ""), now++).pass());
    REQUIRE(engine.process(tcp_frame(40000, 80, 0x18, "GET /index.html HTTP/1.1\r\nHost: s\r\n\r\n"), now++).pass());
    // Slot 6: a SQL injection in a new request (first-match: detail = signature id).
    REQUIRE(engine.process(tcp_frame(40001, 80, 0x02, ""), now++).pass());
    const verdict sqli = engine.process(tcp_frame(40001, 80, 0x18, "GET /?id=1%20UNION%20SELECT%20pass HTTP/1.1\r\n\r\n"), now++);
    REQUIRE(sqli.reason == drop_reason::dpi_signature);
    REQUIRE(sqli.stage == 6);
    REQUIRE(sqli.detail == 1001);
    // Split across two segments: still caught on the second.
    REQUIRE(engine.process(tcp_frame(40002, 80, 0x02, ""), now++).pass());
    REQUIRE(engine.process(tcp_frame(40002, 80, 0x18, "GET /?q=<scr"), now++).pass());
    REQUIRE(engine.process(tcp_frame(40002, 80, 0x18, "ipt>alert(1) HTTP/1.1\r\n\r\n"), now++).reason == drop_reason::dpi_signature);
    // Slot 5: the default program drops IPv4's reserved ("evil") bit.
    net::frame_builder eb{buf};
    eb.ethernet(mac_a, mac_b).ipv4(0x0a00000a, 0x0a000014, net::ipproto::udp, 64, 0, 0x8000).udp(5000, 53);
    const verdict evil = engine.process(std::span<std::byte>{buf.data(), eb.finish()}, now++);
    REQUIRE(evil.reason == drop_reason::ebpf);
    REQUIRE(evil.stage == 5);
    // Stage 3 still comes first: an Xmas scan is a heuristics drop.
    REQUIRE(engine.process(tcp_frame(40004, 22, 0x29, ""), now++).reason == drop_reason::scan);
    const auto& st = engine.stats();
    REQUIRE(st.received == st.passed + st.dropped_total());
}
