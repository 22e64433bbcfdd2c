#pragma once
/// \file CLINT machine timer as the tick source (10 MHz on QEMU virt: hw/riscv/virt.c,
/// RISCV_ACLINT_DEFAULT_TIMEBASE_FREQ) and the retired-instruction counter.
#include <cstdint>

#include "memlayout.hpp"
#include "mmio.hpp"

namespace board {

inline constexpr std::uint64_t ticks_per_second = 10'000'000;

/// CLINT `mtime` (SiFive CLINT layout: 64-bit at +0xbff8; RV64 reads it in one access).
inline std::uint64_t now_ticks() { return mmio_read64(clint_base + 0xbff8); }

/// `minstret`: exact guest instructions when QEMU runs with -icount shift=0,sleep=off.
inline std::uint64_t instret() {
    std::uint64_t v;
    asm volatile("csrr %0, minstret" : "=r"(v));
    return v;
}

}  // namespace board
