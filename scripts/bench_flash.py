#!/usr/bin/env python3
"""RISC-V benchmark of the flash boot (`make bench`, docs/store.md): guest instructions from reset
to the ready line under `-icount shift=0,sleep=off` (exact and repeatable), booting from pflash
bank 0 with a state bank that holds only the provisioned base (`riscv.insns_flash_boot`), and
what 100 stored changes add to it (`riscv.insns_state_load`: read, checked and replayed). Also
`riscv.flash_ack_ms`: the median time from sending a change to its ack (record programmed and
read back first), measured from the host, so it includes the host side of the round trip.
`riscv.insns_compaction`: the kernel's log compaction of 300 stored changes (to
`riscv.compacted_records` records: the snapshot and one block_port per port rule in force).
State images come from `secctl provision`; the 100 records are written with the test's own
independent record writer (tests/qemu/test_flash.py).
"""
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'qemu'))
import qemu_harness as h  # noqa: E402
import test_flash as tf  # noqa: E402

ROOT = os.path.join(HERE, '..')
FLASH = os.path.join(ROOT, 'build', 'riscv', 'apps', 'unikernel', 'unikernel.flash')
SECCTL = os.path.join(ROOT, 'build', 'host', 'apps', 'secctl', 'secctl')
ICOUNT = ['-icount', 'shift=0,sleep=off']


def boot_insns(state):
    a = h.Appliance(FLASH, ports=1, mcast=True, state=state, extra=ICOUNT)
    try:
        # The phases line (every boot): the flash boot reads no boot args, so its `boot insns=`
        # is not printed; under -icount the phases' total is the same minstret reading.
        return int(a.wait_line(r'secengine: boot phases .* total=(\d+)', 20).group(1)), a.uart()
    finally:
        a.close()


def main():
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        b = tf.Bench(FLASH, SECCTL, tmp)
        empty = b.provision('empty.img')
        out['riscv.insns_flash_boot'], _ = boot_insns(empty)
        img = bytearray(open(empty, 'rb').read())
        typ_block, typ_unblock = tf.wire_type('block_port'), tf.wire_type('unblock_port')
        end = tf.records_end(img)
        items = []
        for i in range(100):  # alternate block / unblock so the rule table never fills
            rule = tf.port_rule(6, 1000 + i // 2, 0)
            items.append((2, typ_block if i % 2 == 0 else typ_unblock, 2 + i, rule))
        blob = tf.chained(items, tf.KEY)  # segments of 8, as the kernel writes them
        img[end:end + len(blob)] = blob
        full = os.path.join(tmp, 'full.img')
        with open(full, 'wb') as f:
            f.write(img)
        n, uart = boot_insns(full)
        if 'replayed=100' not in uart:
            raise SystemExit('bench: the 100 records were not all replayed:\n' + uart)
        out['riscv.insns_state_load'] = n - out['riscv.insns_flash_boot']
        # The kernel's log compaction (apps/unikernel/compaction.hpp): 300 stored block/unblock
        # changes on 24 ports are compacted at the first idle turn after boot; its UART line
        # gives the instructions it took (minstret: exact under -icount).
        img = bytearray(open(empty, 'rb').read())
        items = []
        for i in range(300):
            rule = tf.port_rule(6, 1000 + (i * 7) % 24, 0)
            items.append((2, typ_block if i % 3 != 2 else typ_unblock, 2 + i, rule))
        blob = tf.chained(items, tf.KEY)
        img[end:end + len(blob)] = blob
        many = os.path.join(tmp, 'many.img')
        with open(many, 'wb') as f:
            f.write(img)
        a = h.Appliance(FLASH, ports=1, mcast=True, state=many, extra=ICOUNT)
        try:
            m = a.wait_line(r'secengine: state: compacted records=301->(\d+) .* insns=(\d+)', 30)
            out['riscv.insns_compaction'] = int(m.group(2))
            out['riscv.compacted_records'] = int(m.group(1))
        finally:
            a.close()
        # Ack latency (no -icount: wall time of the real path, host client included).
        a = b.boot(b.provision('latency.img'))
        try:
            times = []
            for i in range(20):
                t0 = time.monotonic()
                res = b.secctl('block', 'tcp', str(2000 + i), 'in')
                assert 'block_port: ok' in res, res
                times.append((time.monotonic() - t0) * 1000)
            # secctl's own start-up (ping + boot id) is in each; subtract a ping-only run's time.
            base = []
            for _ in range(20):
                t0 = time.monotonic()
                b.secctl('config')
                base.append((time.monotonic() - t0) * 1000)
        finally:
            b.kill()
        times.sort()
        base.sort()
        out['riscv.flash_ack_ms'] = max(0.0, times[len(times) // 2] - base[len(base) // 2] / 2)
    for k in ('riscv.insns_flash_boot', 'riscv.insns_state_load', 'riscv.insns_compaction', 'riscv.compacted_records',
              'riscv.flash_ack_ms'):
        v = out[k]
        print('%s=%s' % (k, ('%.1f' % v) if isinstance(v, float) else v))


if __name__ == '__main__':
    main()
