#pragma once
// Boot self-tests (boot args selftest=pmp / selftest=stack, docs/unikernel.md): each provokes
// the fault PMP must raise; the trap handler reports it and shuts QEMU down. Reaching the end
// of one is the failure.
#include <cstdint>

#include "memlayout.hpp"
#include "trap.hpp"
#include "uart.hpp"

namespace kernel {

[[noreturn, gnu::cold]] inline void pmp_selftest(const void* dtb) {
    // The device tree sits at the top of RAM, outside the window: after lockdown any read of it
    // must raise a load access fault (mcause 5) that the trap handler reports.
    board::uart::puts("secengine: selftest pmp: reading ");
    board::uart::put_hex(reinterpret_cast<std::uintptr_t>(dtb));
    board::uart::putc('\n');
    const volatile std::uint32_t* p = static_cast<const volatile std::uint32_t*>(dtb);
    const std::uint32_t v = *p;
    board::uart::puts("secengine: selftest pmp FAILED: read succeeded, value ");
    board::uart::put_hex(v);
    board::uart::putc('\n');
    board::shutdown(3);
}

[[noreturn, gnu::cold]] inline void stack_selftest() {
    // What a stack overflow does first: store just below __stack_bottom. PMP's guard entry
    // must turn it into a store access fault (mcause 7).
    const std::uintptr_t below = reinterpret_cast<std::uintptr_t>(__stack_bottom) - 8;
    board::uart::puts("secengine: selftest stack: writing ");
    board::uart::put_hex(below);
    board::uart::putc('\n');
    *reinterpret_cast<volatile std::uint64_t*>(below) = 0;
    board::uart::puts("secengine: selftest stack FAILED: write succeeded\n");
    board::shutdown(3);
}

}  // namespace kernel
