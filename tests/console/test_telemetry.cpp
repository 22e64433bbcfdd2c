// Telemetry decoding (apps/common/telemetry.hpp, the path every host view takes): typed round trips
// over random messages, and hostile payloads never decode into something else.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "telemetry.hpp"

namespace wire = secengine::wire;
using console::decode_telemetry;

namespace {

wire::stats random_stats(std::mt19937_64& rng) {
    wire::stats s;
    s.timestamp = rng();
    s.ticks_per_second = static_cast<std::uint32_t>(rng() % 100'000'000 + 1);
    s.config_version = static_cast<std::uint32_t>(rng());
    s.received = rng();
    s.received_bytes = rng();
    s.passed = rng();
    s.dropped.count = static_cast<std::uint16_t>(rng() % 33);
    for (std::size_t i = 0; i < s.dropped.count; ++i) s.dropped.items[i] = rng();
    s.pps = static_cast<std::uint32_t>(rng());
    s.bps = rng();
    s.active_flows = static_cast<std::uint32_t>(rng());
    s.penalty_size = static_cast<std::uint32_t>(rng());
    s.rejected.count = static_cast<std::uint16_t>(rng() % 17);
    for (std::size_t i = 0; i < s.rejected.count; ++i) s.rejected.items[i] = static_cast<std::uint32_t>(rng());
    s.heavy_hitters.count = static_cast<std::uint16_t>(rng() % 17);
    for (std::size_t i = 0; i < s.heavy_hitters.count; ++i)
        s.heavy_hitters.items[i] = {rng(), static_cast<std::uint32_t>(rng())};
    return s;
}

wire::alert random_alert(std::mt19937_64& rng) {
    wire::alert a;
    a.timestamp = rng();
    a.reason = static_cast<std::uint8_t>(1 + rng() % (secengine::drop_reason_count - 1));
    a.stage = static_cast<std::uint8_t>(rng() % 7);
    a.ip_proto = static_cast<std::uint8_t>(rng());
    a.ip_version = rng() % 2 ? 4 : 6;
    for (auto& b : a.src) b = static_cast<std::uint8_t>(rng());
    for (auto& b : a.dst) b = static_cast<std::uint8_t>(rng());
    a.sport = static_cast<std::uint16_t>(rng());
    a.dport = static_cast<std::uint16_t>(rng());
    a.detail = static_cast<std::uint32_t>(rng());
    a.suppressed = static_cast<std::uint32_t>(rng());
    return a;
}

template <class M>
std::vector<std::byte> enc(const M& m) {
    std::vector<std::byte> b(wire::max_payload);
    const auto e = wire::encode_payload(m, b);
    REQUIRE(e.error == wire::wire_error::none);
    b.resize(e.size);
    return b;
}

bool same(const wire::stats& a, const wire::stats& b) {
    if (a.timestamp != b.timestamp || a.ticks_per_second != b.ticks_per_second || a.received != b.received ||
        a.received_bytes != b.received_bytes || a.passed != b.passed || a.pps != b.pps || a.bps != b.bps || a.active_flows != b.active_flows ||
        a.dropped.count != b.dropped.count || a.rejected.count != b.rejected.count ||
        a.heavy_hitters.count != b.heavy_hitters.count)
        return false;
    for (std::size_t i = 0; i < a.dropped.count; ++i)
        if (a.dropped.items[i] != b.dropped.items[i]) return false;
    for (std::size_t i = 0; i < a.heavy_hitters.count; ++i)
        if (!(a.heavy_hitters.items[i] == b.heavy_hitters.items[i])) return false;
    return true;
}

}  // namespace

TEST_CASE("stats and alerts decode to exactly what was encoded") {
    std::mt19937_64 rng(7);
    for (int i = 0; i < 3000; ++i) {
        const auto s = random_stats(rng);
        const auto t = decode_telemetry(wire::msg_type::stats, enc(s));
        REQUIRE(std::holds_alternative<wire::stats>(t));
        REQUIRE(same(std::get<wire::stats>(t), s));
        const auto a = random_alert(rng);
        const auto u = decode_telemetry(wire::msg_type::alert, enc(a));
        REQUIRE(std::holds_alternative<wire::alert>(u));
        REQUIRE(std::get<wire::alert>(u) == a);
    }
}

TEST_CASE("every truncation and extension of a telemetry payload is refused") {
    std::mt19937_64 rng(8);
    for (int i = 0; i < 200; ++i) {
        auto b = enc(random_stats(rng));
        for (std::size_t n = 0; n < b.size(); ++n) {
            const auto t = decode_telemetry(wire::msg_type::stats, std::span<const std::byte>(b.data(), n));
            REQUIRE(std::holds_alternative<wire::wire_error>(t));
            REQUIRE(std::get<wire::wire_error>(t) != wire::wire_error::none);
        }
        b.push_back(std::byte{0});
        REQUIRE(std::holds_alternative<wire::wire_error>(decode_telemetry(wire::msg_type::stats, b)));
    }
}

TEST_CASE("replies, commands and unknown types are not telemetry") {
    std::mt19937_64 rng(9);
    const auto b = enc(random_alert(rng));
    for (int t = 0; t < 256; ++t) {
        const auto mt = static_cast<wire::msg_type>(t);
        const auto r = decode_telemetry(mt, b);
        if (!wire::is_telemetry(mt)) {
            REQUIRE(std::holds_alternative<wire::wire_error>(r));
            REQUIRE(std::get<wire::wire_error>(r) == wire::wire_error::unknown_type);
        }
    }
}

TEST_CASE("random bytes decode only to values that re-encode to the same bytes") {
    std::mt19937_64 rng(10);
    const wire::msg_type types[] = {wire::msg_type::stats, wire::msg_type::alert, wire::msg_type::dpi_hits,
                                    wire::msg_type::map_counters};
    for (int i = 0; i < 20000; ++i) {
        std::vector<std::byte> b(rng() % 64);
        for (auto& x : b) x = static_cast<std::byte>(rng());
        const auto t = decode_telemetry(types[i % 4], b);
        std::visit(
            [&](const auto& m) {
                if constexpr (!std::is_same_v<std::decay_t<decltype(m)>, wire::wire_error>) REQUIRE(enc(m) == b);
            },
            t);
    }
}
