#!/bin/sh
# RISC-V benchmark (`make bench`): instructions per packet and at boot under QEMU -icount.
# See scripts/bench_riscv.py and docs/performance/unikernel.md.
cd "$(dirname "$0")/.." && exec python3 scripts/bench_riscv.py build/riscv/apps/unikernel/unikernel.elf
