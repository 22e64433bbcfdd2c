#pragma once
/// \file The one MMIO accessor (xv6 style) and the fences device drivers need.
///
/// Device registers are read and written through volatile pointers so the compiler neither
/// merges nor reorders them. RISC-V orders memory and I/O separately (RVWMO, unprivileged spec
/// chapter 17): a driver that writes a ring in RAM and then rings a doorbell in MMIO needs
/// `fence w,o` between the two; `io_fence()` is the conservative full barrier.
#include <cstddef>
#include <cstdint>

namespace board {

inline std::uint32_t mmio_read32(std::uintptr_t addr) { return *reinterpret_cast<volatile std::uint32_t*>(addr); }
inline void mmio_write32(std::uintptr_t addr, std::uint32_t v) { *reinterpret_cast<volatile std::uint32_t*>(addr) = v; }
inline std::uint8_t mmio_read8(std::uintptr_t addr) { return *reinterpret_cast<volatile std::uint8_t*>(addr); }
inline void mmio_write8(std::uintptr_t addr, std::uint8_t v) { *reinterpret_cast<volatile std::uint8_t*>(addr) = v; }
inline std::uint64_t mmio_read64(std::uintptr_t addr) { return *reinterpret_cast<volatile std::uint64_t*>(addr); }

/// Orders all earlier memory and I/O accesses before all later ones.
inline void io_fence() { asm volatile("fence iorw, iorw" ::: "memory"); }
/// Orders RAM reads and writes only (ring entries before/after index updates).
inline void mem_fence() { asm volatile("fence rw, rw" ::: "memory"); }

}  // namespace board
