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

wire::siphash_key make_key(const std::array<std::uint8_t, 16>& k) {
    std::array<std::byte, 16> b{};
    for (std::size_t i = 0; i < 16; ++i) b[i] = static_cast<std::byte>(k[i]);
    return wire::siphash_key::from_bytes(b);
}

std::uint64_t now_us() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
}

}  // namespace console
