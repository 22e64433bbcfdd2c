// Host control client (apps/common/control_client.hpp): frame building/matching for the QEMU
// netdev transport, and the request/reply client against the real control plane in memory.
#include <catch2/catch.hpp>

#include <deque>
#include <random>

#include "../../apps/common/control_client.hpp"
#include "appliance_harness.hpp"

namespace wire = secengine::wire;

namespace {

std::vector<std::byte> random_bytes(std::mt19937_64& rng, std::size_t n) {
    std::vector<std::byte> v(n);
    for (auto& b : v) b = static_cast<std::byte>(rng());
    return v;
}

/// The client's transport to the REAL control plane in memory (tests/control/appliance_harness.hpp):
/// each datagram goes through control_plane::on_datagram; replies and telemetry come back.
/// The network in between can lose datagrams and inject a forgery (what a network does), but
/// everything the appliance says is said by the real control plane.
template <class Config = secengine::appliance_config>
class loopback final : public control::transport {
public:
    explicit loopback(std::uint64_t boot) : app(boot) {}

    harness::appliance<Config> app;
    std::uint64_t now = harness::appliance<Config>::tps;
    int drop_next = 0;         ///< datagrams the network loses before one gets through
    bool forge_first = false;  ///< inject a reply sealed with another key before the real one
    std::vector<wire::msg_type> seen;  ///< commands the plane accepted, in order

    bool send(std::span<const std::byte> d) override {
        now += harness::appliance<Config>::tps / 1000;  // 1 ms per datagram
        if (drop_next > 0) {
            --drop_next;
            return true;
        }
        if (forge_first) {
            forge_first = false;
            const wire::opened o = wire::open_datagram(harness::to_session_key(harness::default_key), d);
            wire::appliance_session<4> evil(wire::siphash_key{1, 2}, app.plane().boot_id());
            std::array<std::byte, wire::max_datagram> buf;
            const auto e = evil.seal(wire::ack{o.hdr.seq, 99, o.hdr.type, wire::status::ok, 0, 0}, o.hdr.channel, buf);
            queue_.emplace_back(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(e.size));
        }
        app.turn(now);  // telemetry due goes out first, as the kernel's loop would send it
        collect();
        const std::uint32_t before = app.plane().accepted();
        app.deliver(d, now);
        if (app.plane().accepted() != before) seen.push_back(static_cast<wire::msg_type>(d[3]));
        collect();
        return true;
    }
    long recv(std::span<std::byte> out, int) override {
        if (queue_.empty()) {
            app.turn(now);
            collect();
        }
        if (queue_.empty()) return -1;
        const auto d = queue_.front();
        queue_.pop_front();
        std::copy(d.begin(), d.end(), out.begin());
        return static_cast<long>(d.size());
    }

private:
    void collect() {
        while (auto r = app.next_datagram()) queue_.push_back(std::move(*r));
    }
    std::deque<std::vector<std::byte>> queue_;
};

}  // namespace

TEST_CASE("netdev frames: build then match returns exactly the datagram", "[control]") {
    std::mt19937_64 rng(1);
    for (int i = 0; i < 3000; ++i) {
        const auto payload = random_bytes(rng, rng() % 1473);
        const auto src = static_cast<std::uint32_t>(rng()), dst = static_cast<std::uint32_t>(rng());
        const auto sp = static_cast<std::uint16_t>(rng() | 1), dp = static_cast<std::uint16_t>(rng() | 1);
        const std::array<std::uint8_t, 6> m1{2, 0, 0, 0, 0, 1}, m2{2, 0, 0, 0, 0, 2};
        const auto f = control::build_frame(m1, m2, src, dst, sp, dp, payload);
        REQUIRE(f.size() >= 60);
        REQUIRE(f.size() <= 1514);
        std::array<std::uint8_t, 6> mac{};
        const auto got = control::match_frame(f, src, sp, dst, dp, &mac);
        REQUIRE(got.has_value());
        REQUIRE(std::equal(got->begin(), got->end(), payload.begin(), payload.end()));
        REQUIRE(mac == m2);
        // Any other endpoint, or any truncation, is not ours.
        REQUIRE_FALSE(control::match_frame(f, src ^ 1, sp, dst, dp));
        REQUIRE_FALSE(control::match_frame(f, src, static_cast<std::uint16_t>(sp ^ 2), dst, dp));
        REQUIRE_FALSE(control::match_frame(f, src, sp, dst, static_cast<std::uint16_t>(dp ^ 4)));
        const std::size_t cut = 14 + 20 + 8 + payload.size() - 1 - rng() % (14 + 20 + 8 + payload.size());
        REQUIRE_FALSE(control::match_frame(std::span<const std::byte>(f.data(), cut), src, sp, dst, dp));
    }
}

TEST_CASE("parse helpers refuse malformed keys and addresses", "[control]") {
    std::array<std::uint8_t, 16> k{};
    REQUIRE(control::parse_key("000102030405060708090a0b0c0d0e0f", k));
    REQUIRE(k[15] == 15);
    for (const char* bad : {"", "0001", "000102030405060708090a0b0c0d0e0", "000102030405060708090a0b0c0d0e0f0",
                            "zz0102030405060708090a0b0c0d0e0f", "0x0102030405060708090a0b0c0d0e0f"})
        REQUIRE_FALSE(control::parse_key(bad, k));
    std::uint32_t ip = 0;
    REQUIRE(control::parse_ipv4("10.0.0.2", ip));
    REQUIRE(ip == 0x0a000002);
    REQUIRE(control::ipv4_text(ip) == "10.0.0.2");
    for (const char* bad : {"", "10.0.0", "10.0.0.256", "a.b.c.d", "10.0.0.2/24"}) REQUIRE_FALSE(control::parse_ipv4(bad, ip));
}

TEST_CASE("client learns the boot id, retransmits, follows reboots", "[control]") {
    const wire::siphash_key key = harness::to_session_key(harness::default_key);
    loopback<> net(0xabc);
    control::client c(net, key, 1, 1000);
    c.timeout_ms = 10;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> boots;
    c.on_new_boot = [&](std::uint64_t a, std::uint64_t b) { boots.emplace_back(a, b); };

    // First command: wrong_boot teaches the boot id, the command is sent again and acked.
    auto r = c.request(wire::ping{});
    REQUIRE(r.ok());
    REQUIRE(c.boot_id() == 0xabc);
    REQUIRE(boots.size() == 1);
    REQUIRE(net.seen.size() == 1);
    REQUIRE(net.app.plane().rejected(wire::wire_error::wrong_boot) == 1);

    // Lost datagrams are retransmitted with fresh sequence numbers.
    for (int lost = 0; lost < 3; ++lost) {
        net.drop_next = lost;
        c.attempts = 3;
        r = c.request(wire::block_port{{wire::l4_protocol::tcp, wire::traffic_direction::inbound, 23}});
        REQUIRE(r.ok());
        REQUIRE(r.ack.request_type == wire::msg_type::block_port);
        REQUIRE(r.ack.config_version == 2);  // the first block changed the config, the others did not
    }
    net.drop_next = 3;
    REQUIRE_FALSE(c.request(wire::ping{}).answered);
    net.drop_next = 0;
    // A refusal is an answer: unblocking a port that is not blocked.
    r = c.request(wire::unblock_port{{wire::l4_protocol::udp, wire::traffic_direction::both, 53}});
    REQUIRE(r.answered);
    REQUIRE_FALSE(r.ok());
    REQUIRE(r.ack.result == wire::status::not_found);

    // Telemetry arriving meanwhile is handed over; a forged reply is refused and counted.
    std::uint64_t rx = 0;
    int stats_seen = 0;
    c.on_telemetry = [&](const wire::header& h, std::span<const std::byte> p) {
        REQUIRE(wire::is_telemetry(h.type));
        if (h.type != wire::msg_type::stats) return;
        wire::stats s;
        REQUIRE(wire::decode_payload(p, s) == wire::wire_error::none);
        rx = s.received;
        ++stats_seen;
    };
    REQUIRE(c.request(wire::subscribe{100}).ok());
    for (int i = 0; i < 42; ++i) {
        std::array<std::byte, 64> f{};
        secengine::net::frame_builder b{f};
        b.ethernet({2, 0, 0, 0, 0, 9}, {2, 0, 0, 0, 0, 8})
            .ipv4(0xc0a80101, 0x0a000009, secengine::net::ipproto::udp)
            .udp(5000, static_cast<std::uint16_t>(6000 + i));
        (void)net.app.engine().process(std::span<std::byte>(f.data(), b.finish()), net.now);
    }
    net.forge_first = true;
    r = c.request(wire::ping{});
    REQUIRE(r.ok());
    REQUIRE(r.ack.config_version != 99);
    REQUIRE(stats_seen == 1);
    REQUIRE(rx == 42);
    REQUIRE(c.refused[static_cast<std::size_t>(wire::wire_error::bad_mac)] == 1);

    // Reboot: the next command learns the new boot id and on_new_boot fires.
    net.app.reboot(0xdef, net.now);
    r = c.request(wire::ping{});
    REQUIRE(r.ok());
    REQUIRE(c.boot_id() == 0xdef);
    REQUIRE(boots.size() == 2);
    REQUIRE(boots.back() == std::pair<std::uint64_t, std::uint64_t>{0xabc, 0xdef});
}

TEST_CASE("program upload is cut into acknowledged chunks then committed", "[control]") {
    const wire::siphash_key key = harness::to_session_key(harness::default_key);
    loopback<harness::big_slot_config> net(5);
    control::client c(net, key, 2, 1);
    c.timeout_ms = 10;
    REQUIRE(c.request(wire::ping{}).ok());
    std::uint32_t id = 9;
    for (std::size_t insns : {2u, 177u, 178u, 179u, 500u}) {
        net.seen.clear();
        const auto code = harness::program_bytes(harness::pass_program(insns));
        const auto r = c.upload_program(++id, code, {});
        INFO(insns << " instructions: " << r.describe());
        REQUIRE(r.ok());
        REQUIRE(net.seen.size() == wire::chunk_count(code.size()) + 1);
        REQUIRE(net.seen.back() == wire::msg_type::ebpf_commit);
        REQUIRE(net.app.engine().ebpf().prog().loaded());
        REQUIRE(net.app.engine().ebpf().prog().code().size() == insns);
    }
    // The verifier's refusal comes back with its pc; the running program stays.
    auto bad = harness::program_bytes(harness::pass_program(300));
    bad.resize(bad.size() - 8);  // no exit: falls off the end
    const auto r = c.upload_program(++id, bad, {});
    REQUIRE(r.answered);
    REQUIRE(r.ack.result == wire::status::verifier_rejected);
    REQUIRE(net.app.engine().ebpf().prog().code().size() == 500);
    // The kernel's slot (64 instructions) refuses a program of three chunks at the first one.
    loopback<> small(6);
    control::client c2(small, key, 2, 1);
    c2.timeout_ms = 10;
    const auto r2 = c2.upload_program(1, harness::program_bytes(harness::pass_program(500)), {});
    REQUIRE(r2.answered);
    REQUIRE(r2.ack.result == wire::status::too_large);
    REQUIRE(r2.ack.request_type == wire::msg_type::ebpf_chunk);
}

TEST_CASE("a refusal's code is named by the command it answers, never left a number", "[control]") {
    const wire::siphash_key key = harness::to_session_key(harness::default_key);
    loopback<> net(7);
    control::client c(net, key, 2, 1);
    c.timeout_ms = 10;
    REQUIRE(c.request(wire::ping{}).ok());
    // set_limits: the engine's limits_error.
    wire::limits l = wire::to_wire(net.app.engine().limits());
    l.per_source_pps = 0xffffffffu;  // more than the sketch's counters hold
    auto r = c.request(wire::set_limits{l});
    REQUIRE(r.answered);
    CHECK(r.request == wire::msg_type::set_limits);
    CHECK(r.describe() == "invalid (threshold_too_large)");
    // add_signature: the runtime signatures' dpi_error (the same pattern twice).
    const std::string dup = "refusal-probe";
    wire::add_signature a;
    a.id = 4242;
    a.flags = 0;
    a.pattern = std::as_bytes(std::span<const char>(dup.data(), dup.size()));
    r = c.request(a);
    REQUIRE(r.answered);
    CHECK(r.ok());
    a.id = 4243;
    r = c.request(a);
    REQUIRE(r.answered);
    CHECK_THAT(r.describe(), Catch::StartsWith("exists ("));
    CHECK(r.describe().find("code") == std::string::npos);
    // Random add_signature refusals: whatever the status, the code is a dpi_error name.
    std::mt19937_64 rng(3);
    for (int i = 0; i < 50; ++i) {
        std::string p(1 + rng() % wire::max_pattern_bytes, 'x');
        for (auto& ch : p) ch = static_cast<char>('a' + rng() % 3);
        a.id = static_cast<std::uint32_t>(5000 + i);
        a.pattern = std::as_bytes(std::span<const char>(p.data(), p.size()));
        r = c.request(a);
        REQUIRE(r.answered);
        INFO(r.describe());
        CHECK(r.describe().find("(code") == std::string::npos);
    }
}
