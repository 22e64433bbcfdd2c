#pragma once
/// \file Big-endian (network order) loads and stores on byte spans.
///
/// Every read of packet data in the library goes through these helpers, and every caller
/// checks the length first: the parser proves `offset + width <= size` before it loads.
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

namespace secengine::detail {

[[nodiscard]] constexpr std::uint8_t u8(const std::byte* p) noexcept { return static_cast<std::uint8_t>(*p); }

// At run time one (possibly unaligned) load and a byte swap: packet fields are not aligned, and
// the byte-by-byte form costs several instructions per field on the hot path. Both GCC and
// Clang provide the builtins freestanding; RV64GC has no bswap, so there the compiler expands
// it (still fewer instructions than four loads). Targets are little-endian (cross file).
/// Whether a byte swap is one instruction. RV64GC without Zbb has none: GCC then emits a call to
/// libgcc's __bswapsi2 and, for the possibly unaligned load, byte loads anyway, which measured
/// 110 instructions more per packet on the unikernel (docs/performance/unikernel.md) than the
/// byte-by-byte form below.
#if defined(__riscv) && !defined(__riscv_zbb)
inline constexpr bool single_instruction_bswap = false;
#else
inline constexpr bool single_instruction_bswap = true;
#endif

[[nodiscard]] constexpr std::uint16_t load_be16(const std::byte* p) noexcept {
    if (std::is_constant_evaluated() || !single_instruction_bswap) return static_cast<std::uint16_t>((u8(p) << 8) | u8(p + 1));
    std::uint16_t v;
    __builtin_memcpy(&v, p, sizeof v);
    return __builtin_bswap16(v);
}

[[nodiscard]] constexpr std::uint32_t load_be32(const std::byte* p) noexcept {
    if (std::is_constant_evaluated() || !single_instruction_bswap)
        return (std::uint32_t{u8(p)} << 24) | (std::uint32_t{u8(p + 1)} << 16) | (std::uint32_t{u8(p + 2)} << 8) |
               std::uint32_t{u8(p + 3)};
    std::uint32_t v;
    __builtin_memcpy(&v, p, sizeof v);
    return __builtin_bswap32(v);
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
