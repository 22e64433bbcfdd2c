// PMP lockdown. Privileged spec v1.12, section 3.7.1: pmpcfg0 holds the 8-bit configs of
// entries 0-7 on RV64, pmpcfg2 those of entries 8-15 (R=1, W=2, X=4, A at bits 3-4: 0 OFF,
// 1 TOR, 3 NAPOT; L=0x80). Section 3.7.1.2: the lowest-numbered matching entry decides; an
// M-mode access that matches no entry succeeds, so the last entry is a locked "whole address
// space, no permissions" NAPOT region that turns everything else into an access fault. Locked
// entries apply to M-mode.
//
// The state bank (flash boot, docs/memory.md "Flash layout"; issue 14: "read-only to the engine except through the
// flash driver's program/erase path") cannot be a locked entry - locked entries cannot change
// until reset, and the driver must write it. It is an UNLOCKED read-only entry instead, which
// binds only accesses checked as U-mode; the kernel runs with mstatus.MPRV=1 and MPP=U, so its
// loads and stores are checked as U-mode (spec 3.1.6.3: MPRV "modifies the privilege level at
// which loads and stores execute"), while instruction fetch stays M-mode. Locked entries bind
// both, so nothing else changes. write_open() clears MPRV: the access is M-mode again, matches
// the unlocked entry, and an unlocked match succeeds for M-mode.
#include "pmp.hpp"

#include "memlayout.hpp"

namespace board::pmp {
namespace {
constexpr std::uint64_t r = 0x01, w = 0x02, x = 0x04, tor = 0x08, napot = 0x18, lock = 0x80;
constexpr std::uint64_t mstatus_mprv = 1ull << 17, mstatus_mpp = 3ull << 11;  // spec 3.1.6

/// pmpaddr for a NAPOT region of `size` bytes (power of two >= 8) at `base` (aligned to size):
/// the address >> 2 with the low bits set to encode the size (section 3.7.1, table 3.10).
constexpr std::uint64_t napot_addr(std::uint64_t base, std::uint64_t size) { return (base >> 2) | ((size >> 3) - 1); }
/// MPRV is on (lockdown with the state bank). Before that, write_close must not set it: with
/// no PMP entry programmed, every U-mode-checked access would fail (spec 3.7.1).
bool mprv = false;
}  // namespace

int lockdown(bool state_bank) {
    const auto rom_start = reinterpret_cast<std::uint64_t>(__rom_start);
    const auto rom_end = reinterpret_cast<std::uint64_t>(__rom_end);
    const auto window = reinterpret_cast<std::uint64_t>(__ram_start) & ~std::uint64_t{ram_window_limit - 1};
    const auto guard = reinterpret_cast<std::uint64_t>(__stack_guard);
    // Entry 0 only provides the lower bound of the TOR region of entry 1 (A = OFF).
    const std::uint64_t a0 = rom_start >> 2;
    const std::uint64_t a1 = rom_end >> 2;                             // [__rom_start, __rom_end): code + rodata, R+X
    const std::uint64_t a2 = napot_addr(guard, 64);                    // stack guard: no access (wins over entry 3)
    const std::uint64_t a3 = napot_addr(window, ram_window_limit);     // RAM window, R+W
    const std::uint64_t a4 = napot_addr(mmio_base, mmio_size);         // UART + virtio-mmio, R+W
    const std::uint64_t a5 = napot_addr(clint_base, clint_size);       // CLINT (mtime), R+W
    const std::uint64_t a6 = napot_addr(test_base, 0x1000);            // sifive_test finisher, R+W
    const std::uint64_t a7 = napot_addr(flash1_base, flash_bank_size); // state bank: R (unlocked, see above)
    const std::uint64_t all = ~std::uint64_t{0};                       // everything else: no access
    const std::uint64_t rw = lock | napot | r | w;
    const std::uint64_t low = (lock << 0) | ((lock | tor | r | x) << 8) | ((lock | napot) << 16) | (rw << 24) |
                              (rw << 32) | (rw << 40) | (rw << 48);
    asm volatile("csrw pmpaddr0, %0" ::"r"(a0));
    asm volatile("csrw pmpaddr1, %0" ::"r"(a1));
    asm volatile("csrw pmpaddr2, %0" ::"r"(a2));
    asm volatile("csrw pmpaddr3, %0" ::"r"(a3));
    asm volatile("csrw pmpaddr4, %0" ::"r"(a4));
    asm volatile("csrw pmpaddr5, %0" ::"r"(a5));
    asm volatile("csrw pmpaddr6, %0" ::"r"(a6));
    if (!state_bank) {
        asm volatile("csrw pmpaddr7, %0" ::"r"(all));
        // Writing the configs last makes the whole set take effect at once; sfence.vma is only
        // required with virtual memory, and this kernel runs bare.
        asm volatile("csrw pmpcfg0, %0" ::"r"(low | ((lock | napot) << 56)) : "memory");
        return 8;
    }
    asm volatile("csrw pmpaddr7, %0" ::"r"(a7));
    asm volatile("csrw pmpaddr8, %0" ::"r"(all));
    // Entries 0-7 first: entry 8 takes effect the moment pmpcfg2 is written, and before
    // pmpcfg0 nothing would allow the next instruction fetch.
    asm volatile("csrw pmpcfg0, %0" ::"r"(low | ((napot | r) << 56)) : "memory");
    asm volatile("csrw pmpcfg2, %0" ::"r"(lock | napot) : "memory");  // entry 8: the catch-all
    // MPP = U (00), then MPRV: from here on loads and stores are checked as U-mode.
    asm volatile("csrc mstatus, %0" ::"r"(mstatus_mpp) : "memory");
    asm volatile("csrs mstatus, %0" ::"r"(mstatus_mprv) : "memory");
    mprv = true;
    return 9;
}

void write_open() {
    if (mprv) asm volatile("csrc mstatus, %0" ::"r"(mstatus_mprv) : "memory");
}
void write_close() {
    if (mprv) asm volatile("csrs mstatus, %0" ::"r"(mstatus_mprv) : "memory");
}

}  // namespace board::pmp
