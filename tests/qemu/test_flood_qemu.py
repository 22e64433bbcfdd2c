#!/usr/bin/env python3
"""New-flow admission in the kernel (docs/flow_table.md "New-flow admission"): booted with
`syn_budget=10` (10 new TCP flows a second: a grant of 2 per 0.105 s window of the flow clock),
through the INLINE appliance:
 - a connection opened before the flood keeps being served during and after it (its data is
   forwarded by its entry: no SYN budget is charged for it);
 - of a burst of SYNs from 200 random sources, at most the windows' grants are forwarded; the
   rest are dropped in stage 2 and counted as `syn_budget`, and forwarded + refused == sent;
 - the first SYN of a new client after the burst, once a window has passed, is forwarded again.

usage: test_flood_qemu.py KERNEL.elf legacy|modern
"""
import random
import struct
import sys
import time

import qemu_harness as h

ELF = sys.argv[1]
LEGACY = sys.argv[2] == 'legacy'
C, S = '10.0.0.10', '10.0.0.20'
WINDOW_S = (1 << 20) / 10_000_000  # the coarse flow clock: 2^20 ticks at 10 MHz
GRANT = 2                          # ceil(10 * WINDOW_S)


def tcp_frames(frames, dport=80):
    """(source address, source port, flags, payload length) of the TCP frames to `dport`."""
    out = []
    for fr in frames:
        if len(fr) < 54 or fr[12:14] != b'\x08\x00' or fr[23] != 6:
            continue
        ihl = (fr[14] & 15) * 4
        t = fr[14 + ihl:]
        sport, dp = struct.unpack('!HH', t[:4])
        if dp != dport:
            continue
        total = struct.unpack('!H', fr[16:18])[0]
        out.append(('.'.join(str(b) for b in fr[26:30]), sport, t[13], total - ihl - (t[12] >> 4) * 4))
    return out


def main():
    a = h.Appliance(ELF, ports=2, legacy=LEGACY, bootargs='ip=10.0.0.2/24 syn_budget=10')
    try:
        # A connection opened before the flood.
        p, isn, sisn = 41000, 1000, 50000
        a.ports[1].drain(0.2)
        a.ports[0].send(h.eth(h.HOST_B, h.HOST_A, 0x0800, h.tcp(C, S, p, 80, h.SYN, seq=isn)))
        a.ports[1].send(h.eth(h.HOST_A, h.HOST_B, 0x0800, h.tcp(S, C, 80, p, h.SYN | h.ACK, seq=sisn, ack=isn + 1)))
        a.ports[0].send(h.eth(h.HOST_B, h.HOST_A, 0x0800, h.tcp(C, S, p, 80, h.ACK, seq=isn + 1, ack=sisn + 1)))
        got = tcp_frames(a.ports[1].drain(0.5))
        assert any(f[0] == C and f[2] & h.SYN for f in got), ('the first SYN was not forwarded', got)
        time.sleep(2 * WINDOW_S)
        st0 = a.stats()

        # The burst: 200 SYNs from random sources, interleaved with the connection's data.
        rng = random.Random(16)
        sent, t0 = 200, time.time()
        seq = isn + 1
        for i in range(sent):
            src = '11.%d.%d.%d' % (rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))
            a.ports[0].send(h.eth(h.HOST_B, h.HOST_A, 0x0800, h.tcp(src, S, rng.randrange(1024, 65536), 80, h.SYN, seq=rng.randrange(1 << 32))))
            if i % 50 == 25:
                body = b'GET /during-%03d HTTP/1.1\r\nHost: shop.example\r\n\r\n' % i
                a.ports[0].send(h.eth(h.HOST_B, h.HOST_A, 0x0800, h.tcp(C, S, p, 80, h.PSH | h.ACK, seq=seq, ack=sisn + 1, payload=body)))
                seq += len(body)
        got = tcp_frames(a.ports[1].drain(1.0))
        st = a.stats()
        elapsed = time.time() - t0
        flood_fwd = [f for f in got if f[0] != C and f[2] & h.SYN]
        data_fwd = [f for f in got if f[0] == C and f[3] > 0]
        refused = st.get('syn_budget', 0) - st0.get('syn_budget', 0)
        windows = int(elapsed / WINDOW_S) + 2
        print('info: %d SYNs in %.2f s: %d forwarded, %d refused (syn_budget), bound %d; connection data forwarded %d/4'
              % (sent, elapsed, len(flood_fwd), refused, GRANT * windows, len(data_fwd)), flush=True)
        assert len(data_fwd) == 4, ('the established connection was not served during the flood', data_fwd, st)
        assert len(flood_fwd) + refused == sent, (len(flood_fwd), refused, st)
        assert len(flood_fwd) <= GRANT * windows, ('more new flows than the budget', len(flood_fwd), windows)
        assert refused > 0, st

        # A window later a new client's SYN is admitted again, and the old connection still served.
        time.sleep(2 * WINDOW_S)
        a.ports[0].send(h.eth(h.HOST_B, h.HOST_A, 0x0800, h.tcp('10.0.0.11', S, 41001, 80, h.SYN, seq=7)))
        body = b'GET /after HTTP/1.1\r\nHost: shop.example\r\n\r\n'
        a.ports[0].send(h.eth(h.HOST_B, h.HOST_A, 0x0800, h.tcp(C, S, p, 80, h.PSH | h.ACK, seq=seq, ack=sisn + 1, payload=body)))
        got = tcp_frames(a.ports[1].drain(0.8))
        assert any(f[0] == '10.0.0.11' and f[2] & h.SYN for f in got), ('a new SYN after the burst was refused', got)
        assert any(f[0] == C and f[3] == len(body) for f in got), ('the connection was not served after the flood', got)
        h.check_invariant(a.stats())
        print('ok: syn_budget=10 admitted %d of %d flood SYNs (bound %d), refused %d as syn_budget; the established '
              'connection was served during and after the flood' % (len(flood_fwd), sent, GRANT * windows, refused))
    finally:
        a.close()


main()
