#pragma once
/// \file SipHash-2-4 with 64-bit output: the message authentication code of the control protocol.
///
/// Aumasson, Bernstein: "SipHash: a fast short-input PRF" (INDOCRYPT 2012), section 2. A 128-bit
/// key k0 || k1 (two little-endian words) keys four 64-bit lanes; each 8-byte little-endian
/// message word m is absorbed as v3 ^= m, 2 SipRounds, v0 ^= m; the last word carries the
/// message length (mod 256) in its top byte; finalisation is v2 ^= 0xff and 4 SipRounds.
/// Constexpr so that tests can pin the tag of a sealed datagram with static_assert.
/// docs/protocol.md explains why this MAC and not HMAC-SHA-256.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace secengine::wire {

/// A 128-bit SipHash key, as the two little-endian halves of the 16 key bytes.
struct siphash_key {
    std::uint64_t k0 = 0;  ///< key bytes 0..7, little-endian
    std::uint64_t k1 = 0;  ///< key bytes 8..15, little-endian

    /// The key from its 16 bytes (the order in which boot args and key files spell it).
    [[nodiscard]] static constexpr siphash_key from_bytes(std::span<const std::byte, 16> b) noexcept {
        siphash_key k;
        for (int i = 7; i >= 0; --i) {
            const auto u = static_cast<std::size_t>(i);
            k.k0 = (k.k0 << 8) | static_cast<std::uint8_t>(b[u]);
            k.k1 = (k.k1 << 8) | static_cast<std::uint8_t>(b[u + 8]);
        }
        return k;
    }

    /// The same from octets as boot args and key files are parsed into (`std::uint8_t`).
    [[nodiscard]] static constexpr siphash_key from_octets(const std::array<std::uint8_t, 16>& b) noexcept {
        std::array<std::byte, 16> x{};
        for (std::size_t i = 0; i < 16; ++i) x[i] = static_cast<std::byte>(b[i]);
        return from_bytes(x);
    }

    friend constexpr bool operator==(const siphash_key&, const siphash_key&) = default;
};
static_assert(siphash_key::from_octets({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}) ==
              siphash_key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL});

namespace detail {

[[nodiscard]] constexpr std::uint64_t rotl(std::uint64_t x, int b) noexcept {
    return (x << b) | (x >> (64 - b));
}

/// The four-lane state; `round()` is one SipRound (paper, figure 2).
struct sip_state {
    std::uint64_t v0, v1, v2, v3;

    constexpr void round() noexcept {
        v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
        v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
        v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
        v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
    }

    constexpr void absorb(std::uint64_t m) noexcept {
        v3 ^= m;
        round();  // c = 2 compression rounds
        round();
        v0 ^= m;
    }
};

}  // namespace detail

/// Streaming SipHash-2-4: feed the message in pieces (header, then payload), then `finish()`.
/// Same result as one call over the concatenation; used to MAC a datagram without copying it.
class siphash24 {
public:
    constexpr explicit siphash24(siphash_key key) noexcept
        : s_{key.k0 ^ 0x736f6d6570736575ULL, key.k1 ^ 0x646f72616e646f6dULL,
             key.k0 ^ 0x6c7967656e657261ULL, key.k1 ^ 0x7465646279746573ULL} {}

    constexpr void update(std::span<const std::byte> data) noexcept {
        std::size_t i = 0;
        for (; i < data.size() && (length_ & 7) != 0; ++i) push(data[i]);  // complete a partial word
        for (; i + 8 <= data.size(); i += 8) {                              // whole words
            std::uint64_t m = 0;
            for (std::size_t j = 8; j-- > 0;) m = (m << 8) | static_cast<std::uint8_t>(data[i + j]);
            s_.absorb(m);
            length_ += 8;
        }
        for (; i < data.size(); ++i) push(data[i]);  // start the next partial word
    }

    [[nodiscard]] constexpr std::uint64_t finish() const noexcept {
        detail::sip_state s = s_;
        s.absorb(tail_ | (std::uint64_t{length_ & 0xff} << 56));
        s.v2 ^= 0xff;
        for (int i = 0; i < 4; ++i) s.round();  // d = 4 finalisation rounds
        return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
    }

private:
    constexpr void push(std::byte b) noexcept {
        tail_ |= std::uint64_t{static_cast<std::uint8_t>(b)} << (8 * (length_ & 7));
        ++length_;
        if ((length_ & 7) == 0) {
            s_.absorb(tail_);
            tail_ = 0;
        }
    }

    detail::sip_state s_;
    std::uint64_t tail_ = 0;    ///< the incomplete last word, little-endian
    std::uint64_t length_ = 0;  ///< bytes absorbed so far
};

/// SipHash-2-4 of one contiguous message.
[[nodiscard]] constexpr std::uint64_t siphash(siphash_key key, std::span<const std::byte> data) noexcept {
    siphash24 h(key);
    h.update(data);
    return h.finish();
}

}  // namespace secengine::wire
