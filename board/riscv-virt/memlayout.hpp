#pragma once
/// \file Physical memory map of QEMU `virt` (hw/riscv/virt.c, QEMU 7.2) and the symbols the
/// linker script (kernel.ld) exports. Board code only: never includes secengine.
#include <cstddef>
#include <cstdint>

namespace board {

inline constexpr std::uintptr_t test_base = 0x00100000;     ///< sifive_test: write 0x5555 = pass, (code<<16)|0x3333 = fail
inline constexpr std::uintptr_t clint_base = 0x02000000;    ///< CLINT, 64 KiB; mtime at +0xbff8
inline constexpr std::size_t clint_size = 0x10000;
inline constexpr std::uintptr_t uart0_base = 0x10000000;    ///< NS16550A
inline constexpr std::uintptr_t virtio0_base = 0x10001000;  ///< eight virtio-mmio slots, 4 KiB apart
inline constexpr std::size_t virtio_slot_size = 0x1000;
inline constexpr int virtio_slots = 8;
/// UART and the eight virtio-mmio slots fit one 64 KiB naturally aligned region (one PMP entry).
inline constexpr std::uintptr_t mmio_base = 0x10000000;
inline constexpr std::size_t mmio_size = 0x10000;
/// QEMU virt pflash (CFI01, Intel command set, bank width 4; docs/unikernel.md, "QEMU command lines"): bank 0 holds
/// the flash-boot image (executed in place), bank 1 the appliance state (board/riscv-virt/flash.hpp).
inline constexpr std::uintptr_t flash0_base = 0x20000000;
inline constexpr std::uintptr_t flash1_base = 0x22000000;
inline constexpr std::size_t flash_bank_size = 0x2000000;  ///< 32 MiB each
inline constexpr std::uintptr_t dram_base = 0x80000000;
inline constexpr std::size_t ram_window_limit = 0x10000;    ///< the 64 KiB budget (docs/memory.md)

}  // namespace board

// Linker-script symbols: only their addresses are meaningful.
extern "C" {
extern char __ram_start[], __ram_end[], __data_start[], __data_end[], __bss_start[], __bss_end[];
extern char __stack_guard[], __stack_bottom[], __stack_top[], __rom_end[], __init_array_start[], __init_array_end[];
extern char _start[], __rom_start[];
}
