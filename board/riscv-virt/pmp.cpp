// PMP lockdown. Privileged spec v1.12, section 3.7.1: pmpcfg0 holds the 8-bit configs of
// entries 0-7 on RV64 (R=1, W=2, X=4, A at bits 3-4: 0 OFF, 1 TOR, 3 NAPOT; L=0x80).
// Section 3.7.1.2: the lowest-numbered matching entry decides; an M-mode access that matches
// no entry succeeds, so the last entry is a locked "whole address space, no permissions" NAPOT
// region that turns everything else into an access fault. Locked entries apply to M-mode.
#include "pmp.hpp"

#include "memlayout.hpp"

namespace board::pmp {
namespace {
constexpr std::uint64_t r = 0x01, w = 0x02, x = 0x04, tor = 0x08, napot = 0x18, lock = 0x80;

/// pmpaddr for a NAPOT region of `size` bytes (power of two >= 8) at `base` (aligned to size):
/// the address >> 2 with the low bits set to encode the size (section 3.7.1, table 3.10).
constexpr std::uint64_t napot_addr(std::uint64_t base, std::uint64_t size) { return (base >> 2) | ((size >> 3) - 1); }
}  // namespace

int lockdown() {
    const auto rom_end = reinterpret_cast<std::uint64_t>(__rom_end);
    const auto window = reinterpret_cast<std::uint64_t>(__ram_start) & ~std::uint64_t{ram_window_limit - 1};
    const auto guard = reinterpret_cast<std::uint64_t>(__stack_guard);
    // Entry 0 only provides the lower bound of the TOR region of entry 1 (A = OFF).
    const std::uint64_t a0 = dram_base >> 2;
    const std::uint64_t a1 = rom_end >> 2;                             // [0x80000000, __rom_end): code + rodata, R+X
    const std::uint64_t a2 = napot_addr(guard, 64);                    // stack guard: no access (wins over entry 3)
    const std::uint64_t a3 = napot_addr(window, ram_window_limit);     // RAM window, R+W
    const std::uint64_t a4 = napot_addr(mmio_base, mmio_size);         // UART + virtio-mmio, R+W
    const std::uint64_t a5 = napot_addr(clint_base, clint_size);       // CLINT (mtime), R+W
    const std::uint64_t a6 = napot_addr(test_base, 0x1000);            // sifive_test finisher, R+W
    const std::uint64_t a7 = ~std::uint64_t{0};                        // everything else: no access
    const std::uint64_t rw = lock | napot | r | w;
    const std::uint64_t cfg = (lock << 0) | ((lock | tor | r | x) << 8) | ((lock | napot) << 16) | (rw << 24) |
                              (rw << 32) | (rw << 40) | (rw << 48) | ((lock | napot) << 56);
    asm volatile("csrw pmpaddr0, %0" ::"r"(a0));
    asm volatile("csrw pmpaddr1, %0" ::"r"(a1));
    asm volatile("csrw pmpaddr2, %0" ::"r"(a2));
    asm volatile("csrw pmpaddr3, %0" ::"r"(a3));
    asm volatile("csrw pmpaddr4, %0" ::"r"(a4));
    asm volatile("csrw pmpaddr5, %0" ::"r"(a5));
    asm volatile("csrw pmpaddr6, %0" ::"r"(a6));
    asm volatile("csrw pmpaddr7, %0" ::"r"(a7));
    // Writing the configs last makes the whole set take effect at once; sfence.vma is only
    // required with virtual memory, and this kernel runs bare.
    asm volatile("csrw pmpcfg0, %0" ::"r"(cfg) : "memory");
    return 8;
}

}  // namespace board::pmp
