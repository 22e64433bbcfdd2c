#pragma once
/// \file The Internet checksum (RFC 1071) and the TCP/UDP/ICMPv6 pseudo-header sums.
#include <cstddef>
#include <cstdint>
#include <span>

namespace secengine::net {

/// Running one's-complement sum of 16-bit big-endian words (RFC 1071 section 4.1); add
/// pieces in order, then `fold()`. An odd-length piece is padded with a zero byte, so only
/// the last piece may have odd length.
class checksum_accumulator {
public:
    constexpr void add(std::span<const std::byte> bytes) noexcept {
        std::size_t i = 0;
        for (; i + 1 < bytes.size(); i += 2)
            sum_ += (std::uint32_t{static_cast<std::uint8_t>(bytes[i])} << 8) | static_cast<std::uint8_t>(bytes[i + 1]);
        if (i < bytes.size()) sum_ += std::uint32_t{static_cast<std::uint8_t>(bytes[i])} << 8;
    }
    constexpr void add16(std::uint16_t v) noexcept { sum_ += v; }
    constexpr void add32(std::uint32_t v) noexcept { sum_ += (v >> 16) + (v & 0xffffu); }
    /// The checksum field value: complement of the folded sum.
    [[nodiscard]] constexpr std::uint16_t fold() const noexcept {
        std::uint64_t s = sum_;
        while (s >> 16) s = (s & 0xffffu) + (s >> 16);
        return static_cast<std::uint16_t>(~s & 0xffffu);
    }

private:
    std::uint64_t sum_ = 0;
};

[[nodiscard]] constexpr std::uint16_t internet_checksum(std::span<const std::byte> bytes) noexcept {
    checksum_accumulator c;
    c.add(bytes);
    return c.fold();
}

}  // namespace secengine::net
