#!/usr/bin/env python3
"""RISC-V benchmark of the unikernel (`make bench`): guest instructions per packet and at boot.

QEMU runs with `-icount shift=0,sleep=off`, so `minstret` counts guest instructions exactly and
repeatably (docs/unikernel.md "QEMU command lines"). The kernel booted with `bench=1` adds, for every
event-loop iteration that moved a frame, the instructions it retired (RX ring pickup, the six
stages, TX or drop, ring refill, doorbells, TX completion) to a counter shown on its stats line;
instructions per packet = delta(insns) / delta(frames) over a batch of one traffic mix.
Prints the `name=value` lines of docs/performance.md.
"""
import os
import re
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'qemu'))
from qemu_harness import ACK, FIN, HOST_A, HOST_B, PSH, SYN, URG, Appliance, eth, tcp  # noqa: E402

ARGS = [x for x in sys.argv[1:] if not x.startswith('--')]
ELF = ARGS[0] if ARGS else os.path.join(HERE, '..', 'build', 'riscv', 'apps', 'unikernel', 'unikernel.elf')
ICOUNT = ['-icount', 'shift=0,sleep=off']
N = int(os.environ.get('BENCH_FRAMES', '1000'))


def boot(args):
    return Appliance(ELF, ports=2, legacy=True, bootargs='ip=10.0.0.2/24 bench=1 report_ms=3600000 ' + args, extra=ICOUNT)


class Drain:
    """Reads both host sockets so forwarded frames never pile up."""

    def __init__(self, a, keep=None):
        self.stop = threading.Event()
        self.keep = keep  # the port whose frames are kept (in arrival order), or None
        self.kept = []
        self.ports_kept = a.ports[keep] if keep is not None else None
        self.threads = [threading.Thread(target=self.run, args=(p,), daemon=True) for p in a.ports]
        for t in self.threads:
            t.start()

    def run(self, port):
        while not self.stop.is_set():
            f = port.recv(0.05)
            if f is not None and self.keep is not None and port is self.ports_kept:
                self.kept.append(f)

    def close(self):
        self.stop.set()
        for t in self.threads:
            t.join()


def send_paced(a, frames, port=0, chunk=25):
    st = a.stats()
    taken = st['rx'] + st['echo']
    for i in range(0, len(frames), chunk):
        part = frames[i:i + chunk]
        for f in part:
            a.ports[port].send(f)
        taken += len(part)
        st = a.wait_rx(taken, timeout=60)
        if st['rx'] + st['echo'] < taken:
            raise SystemExit('bench: frames lost (%d < %d)' % (st['rx'] + st['echo'], taken))


def per_packet(a, frames):
    s0 = a.stats()
    send_paced(a, frames)
    s1 = a.stats()
    return (s1['insns'] - s0['insns']) / max(1, s1['frames'] - s0['frames']), s1


def frame64(f):
    assert len(f) <= 64, len(f)
    return f + b'\0' * (64 - len(f))


def established_flow(a, c='10.0.0.10', s='10.0.0.20'):
    setup = [(0, eth(HOST_B, HOST_A, 0x0800, tcp(c, s, 41000, 80, SYN, seq=1))),
             (1, eth(HOST_A, HOST_B, 0x0800, tcp(s, c, 80, 41000, SYN | ACK, seq=9, ack=2))),
             (0, eth(HOST_B, HOST_A, 0x0800, tcp(c, s, 41000, 80, ACK, seq=2, ack=10)))]
    for port, f in setup:
        send_paced(a, [f], port=port)
    return [frame64(eth(HOST_B, HOST_A, 0x0800, tcp(c, s, 41000, 80, PSH | ACK, seq=2 + 10 * i, ack=10, payload=b'0123456789')))
            for i in range(N)]


def breakdown():
    """Established-flow cost with only some stages enabled: where the instructions go."""
    for stages in ('', '1', '2', '3', '4', '1234'):
        a = boot('pps=0 stages=' + stages)
        d = Drain(a)
        try:
            est = established_flow(a)
            per_packet(a, est[:100])
            s0 = a.stats()
            send_paced(a, est)
            s1 = a.stats()
            n = s1['frames'] - s0['frames']
            print('stages=%-5s total=%.1f engine=%.1f board=%.1f' % (
                stages or 'none', (s1['insns'] - s0['insns']) / n, (s1['engine_insns'] - s0['engine_insns']) / n,
                (s1['insns'] - s0['insns'] - s1['engine_insns'] + s0['engine_insns']) / n))
        finally:
            d.close()
            a.close()


def send_bursts(a, frames, burst):
    """Sends `frames` on port 0 in bursts of `burst`, each burst only after the kernel took the last."""
    st = a.stats()
    taken = st['rx'] + st['echo']
    for i in range(0, len(frames), burst):
        part = frames[i:i + burst]
        for f in part:
            a.ports[0].send(f)
        taken += len(part)
        st = a.wait_rx(taken, timeout=60)
        if st['rx'] + st['echo'] < taken:
            raise SystemExit('bench: frames lost (%d < %d)' % (st['rx'] + st['echo'], taken))


def bursts():
    """Per-packet cost of an established flow when the host sends bursts of 1, 8 and 32 frames:
    the frames a loop pass finds (at most rx_buffers per port), RV64 instructions per packet for
    the whole pass (board + engine) and for the board alone, and queue doorbells per packet.
    Every frame must come out of port 1 in order (checked on the forwarded copies)."""
    for stages in ('1234', None):
        for burst in (1, 8, 32):
            a = boot('pps=0' + ('' if stages is None else ' stages=' + stages))
            d = Drain(a)
            try:
                est = established_flow(a)
                send_bursts(a, est[:64], burst)
                time.sleep(0.3)
                d.close()
                d = Drain(a, keep=1)
                s0 = a.stats()
                send_bursts(a, est, burst)
                s1 = a.stats()
                deadline = time.time() + 5
                while len(d.kept) < len(est) and time.time() < deadline:
                    time.sleep(0.05)
                d.close()
                got = d.kept
                if got != est:
                    raise SystemExit('bench: burst %d: %d of %d frames forwarded%s' % (
                        burst, len(got), len(est), '' if len(got) < len(est) else ', not in order'))
                x = {k: s1[k] - s0[k] for k in ('insns', 'engine_insns', 'frames', 'passes', 'doorbells')}
                n = x['frames']
                print('stages=%-4s burst=%-2d frames_per_pass=%.2f insns_per_packet=%.1f board=%.1f engine=%.1f doorbells_per_packet=%.3f' % (
                    stages or 'all', burst, n / max(1, x['passes']), x['insns'] / n, (x['insns'] - x['engine_insns']) / n,
                    x['engine_insns'] / n, x['doorbells'] / n))
            finally:
                d.close()
                a.close()


def main():
    if '--breakdown' in sys.argv:
        return breakdown()
    if '--bursts' in sys.argv:
        return bursts()
    out = {}
    c, s = '10.0.0.10', '10.0.0.20'
    # Boot 1: bans off (pps=0) so the per-source threshold cannot interfere with these mixes.
    a = boot('pps=0')
    d = Drain(a)
    try:
        m = a.wait_line(r'boot insns=(\d+) engine_bytes=(\d+) flow_capacity=(\d+)', 10)
        out['riscv.insns_reset_to_ready'] = int(m.group(1))
        out['flow.capacity_in_image'] = int(m.group(3))
        out['riscv.ram_used'] = int(re.search(r'ram_used=(\d+)', a.ready.string).group(1))
        # established: a 3-way handshake, then 64-byte data segments of that flow, outside -> inside.
        est = established_flow(a, c, s)
        per_packet(a, est[:100])  # warm the translation cache and the flow
        out['riscv.insns_per_packet.established'], _ = per_packet(a, est)
        # new_flow: every frame a SYN of a connection not seen before, from many clients.
        new = [frame64(eth(HOST_B, HOST_A, 0x0800, tcp('10.1.%d.%d' % (i // 250, 1 + i % 250), s, 1024 + i, 80, SYN)))
               for i in range(N)]
        out['riscv.insns_per_packet.new_flow'], _ = per_packet(a, new)
        # xmas: FIN+PSH+URG probes (dropped by stage 3).
        xmas = [frame64(eth(HOST_B, HOST_A, 0x0800, tcp('10.2.0.1', s, 40000, 1 + i % 1024, FIN | PSH | URG))) for i in range(N)]
        out['riscv.insns_per_packet.xmas'], st = per_packet(a, xmas)
        out['riscv.stack_max'] = st['stack_max']
    finally:
        d.close()
        a.close()
    # Boot 2: SYN flood from one source with a low threshold: after the ban every SYN is a
    # penalty-box drop in stage 1 (the steady state of a flood).
    a = boot('pps=50')
    d = Drain(a)
    try:
        flood = [frame64(eth(HOST_B, HOST_A, 0x0800, tcp('10.6.6.6', s, 1024 + (i % 60000), 80, SYN, seq=i))) for i in range(N + 200)]
        send_paced(a, flood[:200])
        out['riscv.insns_per_packet.synflood'], st = per_packet(a, flood[200:])
        if st.get('penalty_box', 0) < N:
            raise SystemExit('bench: synflood was not penalty-boxed: %s' % st)
    finally:
        d.close()
        a.close()
    size = subprocess.run(['riscv64-linux-gnu-size', '-A', ELF], capture_output=True, text=True, check=True).stdout
    out['riscv.text_bytes'] = int(re.search(r'^\.text\s+(\d+)', size, re.M).group(1))
    for k in ('riscv.insns_per_packet.established', 'riscv.insns_per_packet.new_flow', 'riscv.insns_per_packet.synflood',
              'riscv.insns_per_packet.xmas', 'riscv.insns_reset_to_ready', 'riscv.text_bytes', 'riscv.ram_used',
              'riscv.stack_max', 'flow.capacity_in_image'):
        v = out[k]
        print('%s=%s' % (k, ('%.1f' % v) if isinstance(v, float) else v))


if __name__ == '__main__':
    main()
