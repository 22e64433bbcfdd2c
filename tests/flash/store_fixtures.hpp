#pragma once
// What the state-store tests (test_store.cpp, test_chain.cpp) share: a replayed change, random
// payloads, a record writer's words as the bytes they become in flash, and the test keys.
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include <secengine/store/record.hpp>
#include <secengine/wire/siphash.hpp>

namespace store_fixtures {

using bytes = std::vector<std::byte>;

/// One configuration change as the store's load replays it.
struct change {
    std::uint16_t type = 0;
    bytes payload;
    friend bool operator==(const change&, const change&) = default;
};

inline bytes random_bytes(std::mt19937_64& rng, std::size_t n) {
    bytes b(n);
    for (auto& x : b) x = static_cast<std::byte>(rng());
    return b;
}

/// Record words -> bytes (little-endian), as they would sit in flash.
inline bytes record_bytes(const secengine::store::record_writer& w) {
    bytes b(w.words() * 4);
    for (std::size_t i = 0; i < w.words(); ++i)
        for (int k = 0; k < 4; ++k) b[i * 4 + static_cast<std::size_t>(k)] = static_cast<std::byte>(w.word(i) >> (8 * k));
    return b;
}

inline const secengine::wire::siphash_key key_a{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
inline const secengine::wire::siphash_key key_b{0x1111111111111111ull, 0x2222222222222222ull};

}  // namespace store_fixtures
