// Small helpers of the link layer: the session key from key bytes, the wall clock in microseconds.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>

#include "control_client.hpp"
#include "link.hpp"

namespace console {

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
