// SipHash-2-4 against the reference implementation's published vectors (Aumasson, Bernstein,
// github.com/veorq/SipHash vectors.h `vectors_sip64`): key 00 01 .. 0f, message 00 01 .. (n-1)
// for n = 0..63; the 64-bit tags below are those vectors' 8 bytes read little-endian.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include <secengine/wire/siphash.hpp>

using namespace secengine::wire;

namespace {

constexpr std::array<std::uint64_t, 64> vectors = {
    0x726fdb47dd0e0e31, 0x74f839c593dc67fd, 0x0d6c8009d9a94f5a, 0x85676696d7fb7e2d, 0xcf2794e0277187b7,
    0x18765564cd99a68d, 0xcbc9466e58fee3ce, 0xab0200f58b01d137, 0x93f5f5799a932462, 0x9e0082df0ba9e4b0,
    0x7a5dbbc594ddb9f3, 0xf4b32f46226bada7, 0x751e8fbc860ee5fb, 0x14ea5627c0843d90, 0xf723ca908e7af2ee,
    0xa129ca6149be45e5, 0x3f2acc7f57c29bdb, 0x699ae9f52cbe4794, 0x4bc1b3f0968dd39c, 0xbb6dc91da77961bd,
    0xbed65cf21aa2ee98, 0xd0f2cbb02e3b67c7, 0x93536795e3a33e88, 0xa80c038ccd5ccec8, 0xb8ad50c6f649af94,
    0xbce192de8a85b8ea, 0x17d835b85bbb15f3, 0x2f2e6163076bcfad, 0xde4daaaca71dc9a5, 0xa6a2506687956571,
    0xad87a3535c49ef28, 0x32d892fad841c342, 0x7127512f72f27cce, 0xa7f32346f95978e3, 0x12e0b01abb051238,
    0x15e034d40fa197ae, 0x314dffbe0815a3b4, 0x027990f029623981, 0xcadcd4e59ef40c4d, 0x9abfd8766a33735c,
    0x0e3ea96b5304a7d0, 0xad0c42d6fc585992, 0x187306c89bc215a9, 0xd4a60abcf3792b95, 0xf935451de4f21df2,
    0xa9538f0419755787, 0xdb9acddff56ca510, 0xd06c98cd5c0975eb, 0xe612a3cb9ecba951, 0xc766e62cfcadaf96,
    0xee64435a9752fe72, 0xa192d576b245165a, 0x0a8787bf8ecb74b2, 0x81b3e73d20b49b6f, 0x7fa8220ba3b2ecea,
    0x245731c13ca42499, 0xb78dbfaf3a8d83bd, 0xea1ad565322a1a0b, 0x60e61c23a3795013, 0x6606d7e446282b93,
    0x6ca4ecb15c5f91e1, 0x9f626da15c9625f3, 0xe51b38608ef25f57, 0x958a324ceb064572,
};

constexpr std::array<std::byte, 64> counting_bytes() {
    std::array<std::byte, 64> a{};
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<std::byte>(i);
    return a;
}
constexpr auto message = counting_bytes();
constexpr siphash_key reference_key = siphash_key::from_bytes(std::span<const std::byte, 16>(message.data(), 16));

constexpr bool all_vectors_match() {
    for (std::size_t n = 0; n < vectors.size(); ++n)
        if (siphash(reference_key, std::span(message).first(n)) != vectors[n]) return false;
    return true;
}

}  // namespace

// The whole table is also checked at compile time: the MAC is usable in constant expressions.
static_assert(reference_key.k0 == 0x0706050403020100ULL && reference_key.k1 == 0x0f0e0d0c0b0a0908ULL);
static_assert(all_vectors_match());

TEST_CASE("SipHash-2-4 matches the 64 reference vectors", "[siphash]") {
    for (std::size_t n = 0; n < vectors.size(); ++n) {
        INFO("message length " << n);
        CHECK(siphash(reference_key, std::span(message).first(n)) == vectors[n]);
    }
}

TEST_CASE("streaming in any split equals one call", "[siphash][property]") {
    std::mt19937_64 rng(6);
    for (int iter = 0; iter < 5000; ++iter) {
        const siphash_key key{rng(), rng()};
        std::vector<std::byte> data(rng() % 300);
        for (auto& b : data) b = static_cast<std::byte>(rng());
        const std::uint64_t whole = siphash(key, data);
        siphash24 h(key);
        std::size_t pos = 0;
        while (pos < data.size()) {
            const std::size_t n = std::min<std::size_t>(rng() % 20, data.size() - pos);
            h.update(std::span(data).subspan(pos, n));
            pos += n;
        }
        REQUIRE(h.finish() == whole);
    }
}

TEST_CASE("every key bit and message bit changes the tag", "[siphash][property]") {
    // Not a proof of anything cryptographic: it catches a key or byte that is never absorbed.
    std::mt19937_64 rng(7);
    for (int iter = 0; iter < 200; ++iter) {
        const siphash_key key{rng(), rng()};
        std::vector<std::byte> data(1 + rng() % 64);
        for (auto& b : data) b = static_cast<std::byte>(rng());
        const std::uint64_t tag = siphash(key, data);
        for (int bit = 0; bit < 64; ++bit) {
            CHECK(siphash({key.k0 ^ (1ULL << bit), key.k1}, data) != tag);
            CHECK(siphash({key.k0, key.k1 ^ (1ULL << bit)}, data) != tag);
        }
        for (std::size_t i = 0; i < data.size() * 8; ++i) {
            auto copy = data;
            copy[i / 8] ^= static_cast<std::byte>(1u << (i % 8));
            CHECK(siphash(key, copy) != tag);
        }
        // Length is absorbed too: a trailing zero byte is a different message.
        auto longer = data;
        longer.push_back(std::byte{0});
        CHECK(siphash(key, longer) != tag);
    }
}
