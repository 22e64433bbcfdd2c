#pragma once
/// \file Big-endian (network order) loads and stores on byte spans.
///
/// Every read of packet data in the library goes through these helpers, and every caller
/// checks the length first: the parser proves `offset + width <= size` before it loads.
#include <cstddef>
#include <cstdint>
#include <span>

namespace secengine::detail {

[[nodiscard]] constexpr std::uint8_t u8(const std::byte* p) noexcept { return static_cast<std::uint8_t>(*p); }

[[nodiscard]] constexpr std::uint16_t load_be16(const std::byte* p) noexcept {
    return static_cast<std::uint16_t>((u8(p) << 8) | u8(p + 1));
}

[[nodiscard]] constexpr std::uint32_t load_be32(const std::byte* p) noexcept {
    return (std::uint32_t{u8(p)} << 24) | (std::uint32_t{u8(p + 1)} << 16) | (std::uint32_t{u8(p + 2)} << 8) |
           std::uint32_t{u8(p + 3)};
}

constexpr void store_be16(std::byte* p, std::uint16_t v) noexcept {
    p[0] = static_cast<std::byte>(v >> 8);
    p[1] = static_cast<std::byte>(v);
}

constexpr void store_be32(std::byte* p, std::uint32_t v) noexcept {
    p[0] = static_cast<std::byte>(v >> 24);
    p[1] = static_cast<std::byte>(v >> 16);
    p[2] = static_cast<std::byte>(v >> 8);
    p[3] = static_cast<std::byte>(v);
}

}  // namespace secengine::detail
