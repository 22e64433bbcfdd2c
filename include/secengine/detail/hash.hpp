#pragma once
/// \file 64-bit mixing functions shared by the sketch, the flow table and the penalty box.
///
/// These are not cryptographic. They are the finaliser of MurmurHash3 / SplitMix64 (Steele,
/// Lea, Flood: "Fast splittable pseudorandom number generators", OOPSLA 2014): every input bit
/// affects every output bit with probability close to 1/2, which is what open addressing and
/// count-min rows need. A per-boot seed is mixed in so that an attacker who does not know it
/// cannot aim many keys at one bucket (docs/flow_table.md discusses the limits of that).
#include <cstdint>

namespace secengine::detail {

[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/// Hash of two 64-bit words under a seed; the multiply by distinct odd constants keeps
/// (a, b) and (b, a) apart.
[[nodiscard]] constexpr std::uint64_t hash2(std::uint64_t a, std::uint64_t b, std::uint64_t seed) noexcept {
    return mix64(a * 0x9e3779b97f4a7c15ULL ^ mix64(b ^ seed) ^ seed);
}

static_assert(mix64(0) == 0, "mix64 is a bijection fixing 0; callers seed their input");
static_assert(hash2(1, 2, 0) != hash2(2, 1, 0));

}  // namespace secengine::detail
