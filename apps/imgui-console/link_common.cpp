// Small helpers of the link layer and result::describe.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>

#include "control_client.hpp"
#include "link.hpp"

namespace console {

std::string result::describe() const {
    // The shared client's wording (apps/common/control_client.cpp), so that the console and
    // secctl name a refusal the same way: status names, verifier errors by name and pc.
    control::response r;
    r.answered = answered;
    r.type = type;
    r.ack = ack;
    r.error = error;
    r.request = request;
    r.made_against = made_against;
    return r.describe();
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
