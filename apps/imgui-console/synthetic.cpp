#include "synthetic.hpp"

#include <array>
#include <algorithm>
#include <cmath>
#include <random>

namespace console {

namespace {
std::array<std::uint8_t, 16> mapped(std::uint32_t v4) {  // ::ffff:a.b.c.d
    return {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, static_cast<std::uint8_t>(v4 >> 24),
            static_cast<std::uint8_t>(v4 >> 16), static_cast<std::uint8_t>(v4 >> 8), static_cast<std::uint8_t>(v4)};
}

template <class M>
void feed(appliance_model& m, const M& msg, double t) {
    std::array<std::byte, wire::max_payload> buf;
    const auto e = wire::encode_payload(msg, buf);
    wire::header h;
    h.type = M::type;
    h.flags = wire::flag::from_appliance;
    m.ingest(h, std::span<const std::byte>(buf.data(), e.size), t);
}
}  // namespace

void feed_synthetic(appliance_model& m, std::uint64_t seed, int seconds, std::size_t alerts) {
    std::mt19937_64 rng(seed);
    wire::stats s;
    s.ticks_per_second = 10'000'000;
    s.dropped.count = static_cast<std::uint16_t>(reason_count);
    s.rejected.count = static_cast<std::uint16_t>(wire::wire_error_count);
    std::array<std::uint64_t, reason_count> drops{};
    for (int i = 0; i < seconds; ++i) {
        const double attack = (i > seconds / 3 && i < 2 * seconds / 3) ? 1.0 : 0.0;
        const double pps = 2000 + 400 * std::sin(i / 7.0) + attack * 18000 + static_cast<double>(rng() % 300);
        s.timestamp = static_cast<std::uint64_t>(i) * s.ticks_per_second;
        s.pps = static_cast<std::uint32_t>(pps);
        s.bps = static_cast<std::uint64_t>(pps * 8 * (attack ? 90 : 600));
        s.received += s.pps;
        s.received_bytes += s.bps / 8;
        drops[static_cast<std::size_t>(secengine::drop_reason::heavy_hitter)] += static_cast<std::uint64_t>(attack * 9000);
        drops[static_cast<std::size_t>(secengine::drop_reason::penalty_box)] += static_cast<std::uint64_t>(attack * 6000);
        drops[static_cast<std::size_t>(secengine::drop_reason::scan)] += rng() % 40;
        drops[static_cast<std::size_t>(secengine::drop_reason::dpi_signature)] += rng() % 25;
        drops[static_cast<std::size_t>(secengine::drop_reason::firewall)] += rng() % 10;
        std::uint64_t dropped = 0;
        for (std::size_t r = 0; r < reason_count; ++r) dropped += (s.dropped.items[r] = drops[r]);
        s.passed = s.received - std::min(dropped, s.received);
        s.active_flows = static_cast<std::uint32_t>(800.0 + static_cast<double>(rng() % 200) + attack * 3000);
        s.penalty_size = static_cast<std::uint32_t>(attack * 12.0);
        s.rejected.items[static_cast<std::size_t>(wire::wire_error::bad_mac)] = static_cast<std::uint32_t>(i / 10);
        s.heavy_hitters.count = 5;
        for (std::uint16_t k = 0; k < 5; ++k)
            s.heavy_hitters.items[k] = {0xc6336400u + k, static_cast<std::uint32_t>((attack * 9000 + 300) / (k + 1))};
        s.config_version = 3;
        feed(m, s, i);
    }
    for (std::size_t i = 0; i < alerts; ++i) {
        wire::alert a;
        static constexpr secengine::drop_reason rs[] = {secengine::drop_reason::dpi_signature, secengine::drop_reason::scan,
                                                        secengine::drop_reason::heavy_hitter, secengine::drop_reason::shellcode};
        a.reason = static_cast<std::uint8_t>(rs[rng() % 4]);
        a.stage = 3;
        a.ip_proto = 6;
        a.ip_version = 4;
        a.timestamp = i * 1000;
        a.src = mapped(0xc6336400u + static_cast<std::uint32_t>(rng() % 64));
        a.dst = mapped(0x0a000064);
        a.sport = static_cast<std::uint16_t>(1024 + rng() % 60000);
        a.dport = 80;
        a.detail = a.why() == secengine::drop_reason::dpi_signature ? 1000 + static_cast<std::uint32_t>(rng() % 5) : 0;
        feed(m, a, seconds);
    }
    wire::dpi_hits d;
    d.total = d.first = 0;
    d.total = 5;
    d.entries.count = 5;
    for (std::uint16_t k = 0; k < 5; ++k) d.entries.items[k] = {1000u + k, static_cast<std::uint32_t>(rng() % 500)};
    feed(m, d, seconds);
}

}  // namespace console
