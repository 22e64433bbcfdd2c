#pragma once
/// \file The Internet checksum (RFC 1071) and the TCP/UDP/ICMPv6 pseudo-header sums.
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/net/protocol.hpp>

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

/// The sum over an L4 segment and its pseudo header, ready to `fold()`: IPv4 addresses,
/// protocol and length (RFC 9293 section 3.1; none for ICMPv4, RFC 792), or IPv6 addresses,
/// length and next header (RFC 8200 section 8.1, which ICMPv6 uses too: RFC 4443 section 2.3).
/// `ip` is the IP header the addresses are read from. One sum for building and for checking:
/// the builder folds it with the checksum field zero, a verifier expects 0 over the whole segment.
[[nodiscard]] constexpr checksum_accumulator l4_sum(const std::byte* ip, bool v4, std::uint8_t proto,
                                                    std::span<const std::byte> l4) noexcept {
    checksum_accumulator c;
    if (v4) {
        if (proto != ipproto::icmp) {
            c.add({ip + 12, 8});
            c.add16(proto);
            c.add16(static_cast<std::uint16_t>(l4.size()));
        }
    } else {
        c.add({ip + 8, 32});
        c.add32(static_cast<std::uint32_t>(l4.size()));
        c.add16(proto);
    }
    c.add(l4);
    return c;
}

}  // namespace secengine::net
