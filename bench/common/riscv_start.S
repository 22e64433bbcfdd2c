# Bare-metal entry of the RV64 benchmarks (bench/common/riscv_harness.hpp, run by
# scripts/bench_bare_riscv.sh): QEMU -bios none jumps to 0x80000000 in M-mode with a0 = hart id.
# One hart runs; the others park. .bss is not cleared: QEMU's RAM starts zeroed.
    .section .text.boot, "ax"
    .globl _start
_start:
    csrr t0, mhartid
    bnez t0, park
    la sp, stack_top
    call bench_main
park:
    wfi
    j park

    .section .bss
    .balign 16
    .space 16384
stack_top:
