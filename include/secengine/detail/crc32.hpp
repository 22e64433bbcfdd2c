#pragma once
/// \file CRC-32 (IEEE 802.3 / zlib polynomial 0x04C11DB7, reflected 0xEDB88320, init and final
/// xor 0xffffffff) with the classic 256-entry byte table (Sarwate, "Computation of cyclic
/// redundancy checks via table look-up", CACM 1988): 1 KiB of .rodata, which lives in flash or
/// the image, not in the RAM window; one lookup per byte (boot replays every stored record). Detects every burst up to 32 bits - a torn word - and is
/// the cheap first check of a store record before its MAC, and the rule database's checksum (rules/format.hpp) (Koopman, "32-bit cyclic redundancy
/// codes for Internet applications", DSN 2002, on CRC-32's error detection).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace secengine::detail {

[[nodiscard]] constexpr std::array<std::uint32_t, 256> make_crc_table() noexcept {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t n = 0; n < 256; ++n) {
        std::uint32_t c = n;
        for (int k = 0; k < 8; ++k) c = (c & 1u) ? (c >> 1) ^ 0xedb88320u : c >> 1;
        t[n] = c;
    }
    return t;
}
inline constexpr std::array<std::uint32_t, 256> crc_table = make_crc_table();

/// Running CRC-32: `crc32 c; c.update(a); c.update(b); c.value()` == CRC of a||b.
class crc32 {
public:
    constexpr void update(std::span<const std::byte> d) noexcept {
        for (const std::byte b : d) {
            c_ = (c_ >> 8) ^ crc_table[(c_ ^ static_cast<std::uint8_t>(b)) & 0xffu];
        }
    }
    [[nodiscard]] constexpr std::uint32_t value() const noexcept { return ~c_; }

private:
    std::uint32_t c_ = 0xffffffffu;
};

[[nodiscard]] constexpr std::uint32_t crc32_of(std::span<const std::byte> d) noexcept {
    crc32 c;
    c.update(d);
    return c.value();
}

// The standard check value: CRC-32 of "123456789" is 0xCBF43926.
static_assert([] {
    const std::array<std::byte, 9> s{std::byte{'1'}, std::byte{'2'}, std::byte{'3'}, std::byte{'4'}, std::byte{'5'},
                                     std::byte{'6'}, std::byte{'7'}, std::byte{'8'}, std::byte{'9'}};
    return crc32_of(s) == 0xcbf43926u;
}());

}  // namespace secengine::detail
