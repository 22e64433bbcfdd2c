// Host control client (apps/common/control_client.hpp): frame building/matching for the QEMU
// netdev transport, and the request/reply client against an in-memory appliance session.
#include <catch2/catch.hpp>

#include <deque>
#include <random>

#include "../../apps/common/control_client.hpp"

namespace wire = secengine::wire;

namespace {

std::vector<std::byte> random_bytes(std::mt19937_64& rng, std::size_t n) {
    std::vector<std::byte> v(n);
    for (auto& b : v) b = static_cast<std::byte>(rng());
    return v;
}

/// The appliance's end in memory: answers every command with an ack (or whatever `answer`
/// decides), can lose datagrams, inject telemetry or forgeries, and reboot.
class fake_appliance final : public control::transport {
public:
    explicit fake_appliance(wire::siphash_key key, std::uint64_t boot = 0x1111) : key_(key), s_(key, boot) {}

    int drop_next = 0;          ///< commands to lose before answering
    bool telemetry_first = false;
    bool forge_first = false;
    std::vector<wire::msg_type> seen;

    void reboot(std::uint64_t boot) { s_ = wire::appliance_session<4>(key_, boot); }

    bool send(std::span<const std::byte> d) override {
        if (drop_next > 0) {
            --drop_next;
            return true;
        }
        const wire::opened o = s_.open(d);
        std::array<std::byte, wire::max_datagram> buf;
        if (forge_first) {  // a reply sealed with another key: must be ignored
            forge_first = false;
            wire::appliance_session<4> evil(wire::siphash_key{1, 2}, s_.boot_id());
            const auto e = evil.seal(wire::ack{o.hdr.seq, 99, o.hdr.type, wire::status::ok, 0, 0}, o.hdr.channel, buf);
            queue_.emplace_back(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(e.size));
        }
        if (telemetry_first) {
            telemetry_first = false;
            wire::stats st;
            st.rx_packets = 42;
            const auto e = s_.seal(st, o.hdr.channel, buf);
            queue_.emplace_back(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(e.size));
        }
        if (!o.ok()) {
            if (o.error == wire::wire_error::wrong_boot) {
                wire::error_reply r;
                r.request_seq = o.hdr.seq;
                r.request_type = static_cast<std::uint8_t>(o.hdr.type);
                r.error = o.error;
                const auto e = s_.seal(r, o.hdr.channel, buf);
                queue_.emplace_back(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(e.size));
            }
            return true;
        }
        seen.push_back(o.hdr.type);
        ++version_;
        const auto e = s_.seal(wire::ack{o.hdr.seq, version_, o.hdr.type, wire::status::ok, 0, 0}, o.hdr.channel, buf);
        queue_.emplace_back(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(e.size));
        return true;
    }
    long recv(std::span<std::byte> out, int) override {
        if (queue_.empty()) return -1;
        const auto d = queue_.front();
        queue_.pop_front();
        std::copy(d.begin(), d.end(), out.begin());
        return static_cast<long>(d.size());
    }

private:
    wire::siphash_key key_;
    wire::appliance_session<4> s_;
    std::deque<std::vector<std::byte>> queue_;
    std::uint32_t version_ = 0;
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
    const wire::siphash_key key{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
    fake_appliance app(key, 0xabc);
    control::client c(app, key, 1, 1000);
    c.timeout_ms = 10;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> boots;
    c.on_new_boot = [&](std::uint64_t a, std::uint64_t b) { boots.emplace_back(a, b); };

    // First command: wrong_boot teaches the boot id, the command is sent again and acked.
    auto r = c.request(wire::ping{});
    REQUIRE(r.ok());
    REQUIRE(c.boot_id() == 0xabc);
    REQUIRE(boots.size() == 1);
    REQUIRE(app.seen.size() == 1);

    // Lost datagrams are retransmitted with fresh sequence numbers.
    for (int lost = 0; lost < 3; ++lost) {
        app.drop_next = lost;
        c.attempts = 3;
        r = c.request(wire::block_port{{wire::l4_protocol::tcp, wire::traffic_direction::inbound, 23}});
        REQUIRE(r.ok());
        REQUIRE(r.ack.request_type == wire::msg_type::block_port);
    }
    app.drop_next = 3;
    REQUIRE_FALSE(c.request(wire::ping{}).answered);
    app.drop_next = 0;

    // Telemetry arriving meanwhile is handed over; a forged reply is refused and counted.
    std::uint64_t rx = 0;
    c.on_telemetry = [&](const wire::header& h, std::span<const std::byte> p) {
        wire::stats s;
        REQUIRE(h.type == wire::msg_type::stats);
        REQUIRE(wire::decode_payload(p, s) == wire::wire_error::none);
        rx = s.rx_packets;
    };
    app.telemetry_first = true;
    app.forge_first = true;
    r = c.request(wire::ping{});
    REQUIRE(r.ok());
    REQUIRE(r.ack.config_version != 99);
    REQUIRE(rx == 42);
    REQUIRE(c.refused[static_cast<std::size_t>(wire::wire_error::bad_mac)] == 1);

    // Reboot: the next command learns the new boot id and on_new_boot fires.
    app.reboot(0xdef);
    r = c.request(wire::ping{});
    REQUIRE(r.ok());
    REQUIRE(c.boot_id() == 0xdef);
    REQUIRE(boots.size() == 2);
    REQUIRE(boots.back() == std::pair<std::uint64_t, std::uint64_t>{0xabc, 0xdef});
}

TEST_CASE("program upload is cut into acknowledged chunks then committed", "[control]") {
    const wire::siphash_key key{1, 2};
    fake_appliance app(key, 5);
    control::client c(app, key, 2, 1);
    c.timeout_ms = 10;
    REQUIRE(c.request(wire::ping{}).ok());
    std::mt19937_64 rng(7);
    for (std::size_t insns : {1u, 177u, 178u, 179u, 500u}) {
        app.seen.clear();
        const auto code = random_bytes(rng, insns * 8);
        const wire::map_spec m{};
        REQUIRE(c.upload_program(9, code, std::span<const wire::map_spec>(&m, 1)).ok());
        REQUIRE(app.seen.size() == wire::chunk_count(code.size()) + 1);
        REQUIRE(app.seen.back() == wire::msg_type::ebpf_commit);
    }
}
