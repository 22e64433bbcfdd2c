/* Reset entry and trap vector (RISC-V privileged spec v1.12, M-mode only).
 *
 * QEMU virt with -bios none starts every hart at 0x80000000 in M-mode with a0 = mhartid and
 * a1 = the device tree blob (docs/unikernel.md "Boot, step by step"). Hart 0 runs the kernel; the others
 * park in wfi with interrupts off, so they never wake.
 */
    .section .text.boot, "ax"
    .globl _start
_start:
    .option push
    .option norelax              /* gp is not set yet: its own load must not be gp-relative */
    la      gp, __global_pointer$
    .option pop
    csrw    mie, zero
    li      t0, (1 << 17)        /* mstatus.MPRV off: a warm restart (board::restart) comes with */
    csrc    mstatus, t0          /* it on, and the state bank probe below must write as M-mode */
    csrr    t0, mhartid
    bnez    t0, park
    la      sp, __stack_top
    la      t0, trap_entry
    csrw    mtvec, t0            /* direct mode: the vector is 4-byte aligned */
    li      t0, (1 << 13)        /* mstatus.FS = initial: the compiler may use FP registers */
    csrs    mstatus, t0
    csrw    fcsr, zero
    mv      s0, a0
    mv      s1, a1

    /* .data: copy from its load address in ROM into the RAM window */
    la      t0, __data_load
    la      t1, __data_start
    la      t2, __data_end
1:  bgeu    t1, t2, 2f
    ld      t3, 0(t0)
    sd      t3, 0(t1)
    addi    t0, t0, 8
    addi    t1, t1, 8
    j       1b
2:  /* .bss: zero, 32 bytes per iteration (start and end 32-byte aligned by the linker script) */
    la      t1, __bss_start
    la      t2, __bss_end
3:  bgeu    t1, t2, 4f
    sd      zero, 0(t1)
    sd      zero, 8(t1)
    sd      zero, 16(t1)
    sd      zero, 24(t1)
    addi    t1, t1, 32
    j       3b
4:  /* stack: paint with a pattern so the kernel can report its high-water mark */
    la      t1, __stack_bottom
    addi    t2, sp, -64          /* leave the frames in use right now alone */
    li      t3, 0x5afe5afe5afe5afe
5:  bgeu    t1, t2, 6f
    sd      t3, 0(t1)
    addi    t1, t1, 8
    j       5b
6:  /* static constructors (.init_array), in case the compiler emitted any */
    la      s2, __init_array_start
    la      s3, __init_array_end
7:  bgeu    s2, s3, 8f
    ld      t0, 0(s2)
    jalr    t0
    addi    s2, s2, 8
    j       7b
8:  mv      a0, s0
    mv      a1, s1
    call    kernel_main
    /* kernel_main does not return; if it did, treat it as a fatal trap */
    li      a0, 0xff
    mv      a1, ra
    li      a2, 0
    call    trap_report

park:
    wfi
    j       park

/* Every trap is fatal in this kernel (interrupts stay disabled; the event loop polls).
 * Reset sp so that even a stack overflow can be reported, then print and stop. */
    .section .text.trap, "ax"
    .balign 4
    .globl trap_entry
trap_entry:
    la      sp, __stack_top
    csrr    a0, mcause
    csrr    a1, mepc
    csrr    a2, mtval
    call    trap_report
9:  wfi
    j       9b
