// Small helpers of the link layer and result::describe.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>

#include "link.hpp"

namespace console {

std::string result::describe() const {
    if (!answered) return "timeout";
    if (type == wire::msg_type::error_reply)
        return "error_reply " + std::string(wire::name(error.error));
    if (type != wire::msg_type::ack) return "ok";
    std::string s(wire::name(ack.result));
    if (ack.result == wire::status::verifier_rejected)
        s += " (error " + std::to_string(ack.error_code) + " at pc " + std::to_string(ack.detail) + ")";
    return s;
}

bool parse_key(const std::string& hex, std::array<std::uint8_t, 16>& out) {
    if (hex.size() != 32) return false;
    for (std::size_t i = 0; i < 16; ++i) {
        const auto hi = static_cast<unsigned char>(hex[2 * i]), lo = static_cast<unsigned char>(hex[2 * i + 1]);
        if (!std::isxdigit(hi) || !std::isxdigit(lo)) return false;
        const auto nib = [](unsigned char c) { return std::isdigit(c) ? c - '0' : std::tolower(c) - 'a' + 10; };
        out[i] = static_cast<std::uint8_t>(nib(hi) << 4 | nib(lo));
    }
    return true;
}

wire::siphash_key make_key(const std::array<std::uint8_t, 16>& k) {
    std::array<std::byte, 16> b{};
    for (std::size_t i = 0; i < 16; ++i) b[i] = static_cast<std::byte>(k[i]);
    return wire::siphash_key::from_bytes(b);
}

std::string ipv4_text(std::uint32_t ip) {
    char buf[20];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255u, (ip >> 8) & 255u, ip & 255u);
    return buf;
}

std::string address_text(const std::array<std::uint8_t, 16>& a) {
    static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(a.begin(), a.begin() + 12, mapped))
        return ipv4_text(std::uint32_t{a[12]} << 24 | std::uint32_t{a[13]} << 16 | std::uint32_t{a[14]} << 8 | a[15]);
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(AF_INET6, a.data(), buf, sizeof buf);
    return buf;
}

std::string source_key_text(std::uint64_t key) {
    if ((key >> 63) == 0) return ipv4_text(static_cast<std::uint32_t>(key));
    char buf[32];
    std::snprintf(buf, sizeof buf, "v6#%012llx", static_cast<unsigned long long>(key & 0xffffffffffffull));
    return buf;
}

bool parse_ipv4(const std::string& s, std::uint32_t& out) {
    in_addr a{};
    if (inet_pton(AF_INET, s.c_str(), &a) != 1) return false;
    out = ntohl(a.s_addr);
    return true;
}

std::uint64_t now_us() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
}

}  // namespace console
