#pragma once
// Field formats shared by every EVE JSON writer of the host tools (Suricata's eve.json shapes,
// docs.suricata.io "Eve JSON Format").
#include <array>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

namespace secengine::host {

/// Suricata's timestamp format: 2024-01-31T12:34:56.123456+0000.
inline std::string eve_timestamp(std::int64_t sec, std::int64_t usec) {
    std::time_t t = static_cast<std::time_t>(sec);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char b[64];
    std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
    char o[96];
    std::snprintf(o, sizeof o, "%s.%06lld+0000", b, static_cast<long long>(usec));
    return o;
}

/// Suricata's `proto` names; empty for protocols it prints as numbers.
inline std::string_view proto_name(std::uint8_t p) {
    switch (p) {
        case 1: return "ICMP";
        case 6: return "TCP";
        case 17: return "UDP";
        case 58: return "IPv6-ICMP";
        default: return {};
    }
}

/// Suricata's `flow_id` for a record that knows only the 5-tuple (engine alerts, live): the
/// same for both directions and every packet of a flow, and the same after an appliance reboot
/// (the tuple alone, no boot or time input). FNV-1a 64 over the canonical tuple (lower endpoint
/// first, as the engine's own flow key orders it, flow_key.hpp), finished with SplitMix64's
/// mixer and kept below 2^51 like eve_flow_id (JSON readers hold integers in doubles).
inline std::uint64_t tuple_flow_id(std::uint8_t ip_version, std::uint8_t proto, const std::array<std::uint8_t, 16>& a,
                                   std::uint16_t aport, const std::array<std::uint8_t, 16>& b, std::uint16_t bport) {
    const bool a_low = a < b || (a == b && aport <= bport);
    const auto& lo = a_low ? a : b;
    const auto& hi = a_low ? b : a;
    const std::uint16_t lo_port = a_low ? aport : bport, hi_port = a_low ? bport : aport;
    std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a (Fowler, Noll, Vo; draft-eastlake-fnv)
    const auto mix = [&h](std::uint8_t x) {
        h ^= x;
        h *= 0x100000001b3ull;
    };
    mix(ip_version);
    mix(proto);
    for (auto x : lo) mix(x);
    mix(static_cast<std::uint8_t>(lo_port >> 8));
    mix(static_cast<std::uint8_t>(lo_port));
    for (auto x : hi) mix(x);
    mix(static_cast<std::uint8_t>(hi_port >> 8));
    mix(static_cast<std::uint8_t>(hi_port));
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h & ((std::uint64_t{1} << 51) - 1);
}

}  // namespace secengine::host
