#!/usr/bin/env python3
"""RV64 cost of the eBPF interpreter and the DPI scan (`make bench`, via scripts/bench_riscv.sh).

Boots the unikernel under `-icount shift=0,sleep=off` (minstret = guest instructions, exactly;
docs/unikernel.md "QEMU command lines") with `selfbench=1` (apps/unikernel/selfbench.hpp). The kernel
prints differences of two minstret measurements that share all fixed costs (csrr reads, calls,
eBPF verifier and per-run setup, empty DPI scan), so the figures are marginal costs:
  riscv.insns_per_ebpf_insn    = guest insns per interpreted eBPF ALU-loop instruction
  riscv.insns_per_payload_byte = guest insns per byte of a 1460-byte HTTP-like payload scanned
                                 with the kernel's default automaton (both lanes, no normaliser)
  riscv.insns_per_http_request = guest insns slot 6 (built-in rules + injection detector) spends on
                                 one ~330-byte browser GET in one segment, beyond an empty segment
  riscv.insns_per_payload_byte.rules = guest insns per byte of the same 1460-byte payload walked by
                                 the rule prefilter with the built-in database (stage 6's loop)
Usage: bench_riscv_vm.py [unikernel.elf]
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'qemu'))
from qemu_harness import Appliance  # noqa: E402

ELF = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, '..', 'build', 'riscv', 'apps', 'unikernel', 'unikernel.elf')


def main():
    a = Appliance(ELF, ports=1, legacy=True, bootargs='ip=10.0.0.2/24 selfbench=1 report_ms=3600000',
                  extra=['-icount', 'shift=0,sleep=off'])
    try:
        e = a.wait_line(r'selfbench ebpf_insns=(\d+) riscv_insns=(\d+)', 60)
        d = a.wait_line(r'selfbench dpi_bytes=(\d+) riscv_insns=(\d+) matches=(\d+)', 60)
        r = a.wait_line(r'selfbench http_requests=(\d+) riscv_insns=(\d+) request_bytes=(\d+)', 60)
        w = a.wait_line(r'selfbench rules_bytes=(\d+) riscv_insns=(\d+) candidates=(\d+)', 60)
    finally:
        a.close()
    ebpf_n, ebpf_m = int(e.group(1)), int(e.group(2))
    dpi_n, dpi_m = int(d.group(1)), int(d.group(2))
    if not (ebpf_n and ebpf_m and dpi_n and dpi_m):
        raise SystemExit('bench_riscv_vm: zero measurement: %s / %s' % (e.string, d.string))
    print('riscv.insns_per_ebpf_insn=%.2f' % (ebpf_m / ebpf_n))
    print('riscv.insns_per_payload_byte=%.2f' % (dpi_m / dpi_n))
    req_n, req_m = int(r.group(1)), int(r.group(2))
    if req_n and req_m:
        print('riscv.insns_per_http_request=%.0f' % (req_m / req_n))
        print('riscv.insns_per_http_request_byte=%.2f' % (req_m / req_n / int(r.group(3))))
    walk_n, walk_m = int(w.group(1)), int(w.group(2))
    if not (walk_n and walk_m):
        raise SystemExit('bench_riscv_vm: zero measurement: %s' % w.string)
    print('riscv.insns_per_payload_byte.rules=%.2f' % (walk_m / walk_n))


if __name__ == '__main__':
    main()
