#!/bin/sh
# RISC-V benchmark (`make bench`): instructions per packet and at boot under QEMU -icount, then
# the per-eBPF-instruction and per-payload-byte costs from the kernel's selfbench=1 boot.
# See scripts/bench_riscv.py, scripts/bench_riscv_vm.py and docs/performance/unikernel.md.
cd "$(dirname "$0")/.." || exit 1
python3 scripts/bench_riscv.py build/riscv/apps/unikernel/unikernel.elf || exit 1
exec python3 scripts/bench_riscv_vm.py build/riscv/apps/unikernel/unikernel.elf
