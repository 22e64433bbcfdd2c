#pragma once
// Field formats shared by every EVE JSON writer of the host tools (Suricata's eve.json shapes,
// docs.suricata.io "Eve JSON Format").
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

}  // namespace secengine::host
