// The one spelling of addresses and keys (address_text.hpp).
#include "address_text.hpp"
#include "text_input.hpp"  // hex_digit (inline: nothing to link)

#include <arpa/inet.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <limits>

namespace secengine::host {

bool parse_ipv4(std::string_view s, std::uint32_t& out) {
    if (s.empty() || s.size() > 15) return false;
    const std::string z(s);  // inet_pton wants a terminated string
    in_addr a{};
    if (inet_pton(AF_INET, z.c_str(), &a) != 1) return false;
    out = ntohl(a.s_addr);
    return true;
}

std::string ipv4_text(std::uint32_t ip) {
    char b[16];
    std::snprintf(b, sizeof b, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255u, (ip >> 8) & 255u, ip & 255u);
    return b;
}

std::string address_text(const std::array<std::uint8_t, 16>& a) {
    static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(a.begin(), a.begin() + 12, mapped)) return address_text(a, 4);
    return address_text(a, 6);
}

std::string address_text(const std::array<std::uint8_t, 16>& a, std::uint8_t ip_version) {
    if (ip_version == 4)
        return ipv4_text(std::uint32_t{a[12]} << 24 | std::uint32_t{a[13]} << 16 | std::uint32_t{a[14]} << 8 | a[15]);
    char b[INET6_ADDRSTRLEN] = {};
    if (ip_version == 6 && inet_ntop(AF_INET6, a.data(), b, sizeof b)) return b;
    return "-";
}

std::string source_key_text(std::uint64_t key) {
    if ((key >> 63) == 0) return ipv4_text(static_cast<std::uint32_t>(key));
    char b[32];
    std::snprintf(b, sizeof b, "ipv6-key:0x%016" PRIx64, key);
    return b;
}

bool parse_source_key(std::string_view s, std::uint64_t& out) {
    if (s.substr(0, ipv6_key_prefix.size()) == ipv6_key_prefix) {
        const std::string_view h = s.substr(ipv6_key_prefix.size());
        if (h.empty() || h.size() > 16) return false;
        std::uint64_t v = 0;
        for (char c : h) {
            const int d = hex_digit(c);
            if (d < 0) return false;
            v = v << 4 | static_cast<std::uint64_t>(d);
        }
        if ((v >> 63) == 0) return false;  // not an IPv6 key: IPv4 sources are written dotted
        out = v;
        return true;
    }
    std::uint32_t ip = 0;
    if (!parse_ipv4(s, ip) || ip == 0) return false;
    out = ip;
    return true;
}

bool parse_key(std::string_view hex, std::array<std::uint8_t, 16>& out) {
    if (hex.size() != 32) return false;
    std::array<std::uint8_t, 16> k{};
    for (std::size_t i = 0; i < 16; ++i) {
        const int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        k[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    out = k;
    return true;
}

bool parse_number(std::string_view token, std::string_view what, std::uint64_t lo, std::uint64_t hi, std::uint64_t& out,
                  std::string& err) {
    const auto fail = [&] {
        err = std::string(what) + " must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got '" +
              std::string(token) + "'";
        return false;
    };
    if (token.empty() || token.size() > 20) return fail();
    std::uint64_t v = 0;
    for (char ch : token) {
        if (ch < '0' || ch > '9') return fail();
        const auto d = static_cast<std::uint64_t>(ch - '0');
        if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return fail();
        v = v * 10 + d;
    }
    if (v < lo || v > hi) {
        err = std::string(what) + " must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + std::string(token);
        return false;
    }
    out = v;
    return true;
}

}  // namespace secengine::host
