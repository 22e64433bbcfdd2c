// Fatal trap reporting. Every trap in this kernel is fatal: interrupts stay disabled and the
// event loop polls, so mcause is always an exception (privileged spec v1.12, table 3.6), e.g.
// 2 illegal instruction, 5 load access fault (PMP), 7 store access fault (PMP).
#include "trap.hpp"

#include "memlayout.hpp"
#include "mmio.hpp"
#include "uart.hpp"

namespace board {

void shutdown(std::uint32_t code) {
    io_fence();
    // sifive_test finisher (hw/misc/sifive_test.c): 0x5555 = pass, (code << 16) | 0x3333 = fail.
    mmio_write32(test_base, code == 0 ? 0x5555u : ((code << 16) | 0x3333u));
    for (;;) asm volatile("wfi");
}

void restart() {
    io_fence();
    // A warm restart from the reset entry (boot.S: .data copied again, .bss cleared): QEMU
    // 7.2's system reset (sifive_test 0x7777) does not clear locked PMP entries, so a reset
    // would fault fetching its own reset vector at 0x1000. a1 = 0: no device tree this time.
    asm volatile("li a0, 0\n\tli a1, 0\n\tj _start" ::: "memory");
    __builtin_unreachable();
}

}  // namespace board

namespace {
volatile bool in_trap = false;  // a fault while reporting must not recurse
}

extern "C" void trap_report(std::uint64_t cause, std::uint64_t epc, std::uint64_t tval) {
    if (in_trap) {
        for (;;) asm volatile("wfi");
    }
    in_trap = true;
    board::uart::puts("secengine: trap cause=");
    board::uart::put_dec(cause);
    board::uart::puts(" epc=");
    board::uart::put_hex(epc);
    board::uart::puts(" tval=");
    board::uart::put_hex(tval);
    board::uart::puts("\nsecengine: halted\n");
    // Exit code 2 tells a harness "trapped" apart from a clean stop (0) and QEMU errors (1).
    board::shutdown(2);
}
