#!/usr/bin/env python3
"""Inline normalisation in the kernel (docs/stream.md): through the INLINE appliance, with the
protected host modelled by a first-copy TCP reassembly of what port 1 forwards.
 - a spoofed server-to-client ACK before any connection creates no flow (dropped, `no_flow`),
   so a port blocked with `secctl block tcp 2222 in` stays unreachable: the client's SYN, ACK and
   data to it never leave port 1;
 - an injection sent one byte per TCP segment never reaches the host whole (dropped by slot 6);
 - an overlapping retransmission that rewrites inspected bytes is dropped (`stream_rewrite`), a
   segment after a hole is dropped (`stream_out_of_order`), a segment with a bad TCP checksum is
   dropped (`bad_checksum`), and the same benign request split one byte per segment arrives whole.

usage: test_stream_qemu.py KERNEL.elf SECCTL legacy|modern
"""
import re
import subprocess
import struct
import sys

import qemu_harness as h

ELF, SECCTL = sys.argv[1], sys.argv[2]
LEGACY = sys.argv[3] == 'legacy'
KEY = '8f1e2d3c4b5a69788796a5b4c3d2e1f0'
C, S = '10.0.0.10', '10.0.0.20'
ISN, SISN = 1000, 50000


def secctl(netdev, *args):
    r = subprocess.run([SECCTL, '--netdev', netdev, '--key', KEY, '--timeout', '400'] + list(args),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, (args, r.stdout + r.stderr)
    return r.stdout + r.stderr


def client(p, dport, flags, seq, payload=b'', ack=SISN + 1):
    return h.eth(h.HOST_B, h.HOST_A, 0x0800, h.tcp(C, S, p, dport, flags, seq=seq, ack=ack, payload=payload))


def reassemble(frames, p, dport):
    """The host's first-copy reassembly of the client's bytes among the forwarded frames."""
    data, nxt = {}, ISN + 1
    for fr in frames:
        if len(fr) < 54 or fr[12:14] != b'\x08\x00' or fr[23] != 6:
            continue
        ihl = (fr[14] & 15) * 4
        t = fr[14 + ihl:]
        sport, dp, seq = struct.unpack('!HHI', t[:8])
        if sport != p or dp != dport:
            continue
        total = struct.unpack('!H', fr[16:18])[0]
        body = t[(t[12] >> 4) * 4: total - ihl]
        for i, b in enumerate(body):
            data.setdefault(seq + i, b)
    out = bytearray()
    while nxt in data:
        out.append(data[nxt])
        nxt += 1
    return bytes(out)


def main():
    a = h.Appliance(ELF, ports=2, mcast='first', legacy=LEGACY, bootargs='ip=10.0.0.2/24 mgmt_port=7400 bench=1 key=' + KEY)
    try:
        netdev = 'mcast=%s:%d' % (a.ports[0].group, a.ports[0].port)
        assert 'block_port: ok' in secctl(netdev, 'block', 'tcp', '2222', 'in')
        st0 = a.stats()

        # 1. Spoofed server-to-client ACK, then a connection to the blocked port.
        p = 43000
        a.ports[1].drain(0.2)
        a.ports[0].send(h.eth(h.HOST_B, h.HOST_A, 0x0800, h.tcp(S, C, 2222, p, h.ACK, seq=SISN + 1, ack=ISN + 1)))
        a.ports[0].send(client(p, 2222, h.SYN, ISN, ack=0))
        a.ports[0].send(client(p, 2222, h.ACK, ISN + 1))
        a.ports[0].send(client(p, 2222, h.PSH | h.ACK, ISN + 1, b'SSH-2.0-probe\r\n'))
        got = [f for f in a.ports[1].drain(0.8) if len(f) > 37 and f[23] == 6]
        assert not got, ('blocked port reached', len(got))
        st = a.stats()
        assert st.get('no_flow', 0) - st0.get('no_flow', 0) >= 1, st
        assert st.get('port_blocked', 0) - st0.get('port_blocked', 0) >= 3, st

        def connection(p, segments):
            """Handshake (the server's SYN-ACK from port 1), then `segments` (offset, bytes[, bad])."""
            a.ports[1].drain(0.2)
            a.ports[0].send(client(p, 80, h.SYN, ISN, ack=0))
            a.ports[1].send(h.eth(h.HOST_A, h.HOST_B, 0x0800, h.tcp(S, C, 80, p, h.SYN | h.ACK, seq=SISN, ack=ISN + 1)))
            a.ports[0].send(client(p, 80, h.ACK, ISN + 1))
            for seg in segments:
                fr = bytearray(client(p, 80, h.PSH | h.ACK, ISN + 1 + seg[0], seg[1]))
                if len(seg) > 2:
                    fr[-1] ^= 0x01  # after the checksum was made
                a.ports[0].send(bytes(fr))
            return reassemble(a.ports[1].drain(0.8), p, 80)

        attack = b'GET /item?id=1%20UNION%20SELECT%20password HTTP/1.1\r\nHost: shop.example\r\n\r\n'
        benign = b'GET /index.html?id=42 HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: qemu-test\r\n\r\n'

        # 2. One byte per segment: the injection never arrives whole; a benign request does.
        host = connection(43001, [(i, attack[i:i + 1]) for i in range(len(attack))])
        assert len(host) < len(attack) and attack.startswith(host), host
        host = connection(43002, [(i, benign[i:i + 1]) for i in range(len(benign))])
        assert host == benign, host

        # 3. Out of order, a bad checksum, an overlapping rewrite, then the attack in order.
        st1 = a.stats()
        harmless = attack[:14] + b'a' * 30
        host = connection(43003, [(20, attack[20:]),                 # after a hole
                                  (0, harmless),                     # in order, harmless
                                  (14, attack[14:44] + b'', True),   # bad checksum
                                  (10, attack[10:])])                # rewrites [14, 44)
        assert host == harmless, host
        st = a.stats()
        for reason in ('stream_out_of_order', 'bad_checksum', 'stream_rewrite'):
            assert st.get(reason, 0) - st1.get(reason, 0) >= 1, (reason, st)
        stack = int(a.wait_line(r'secengine: boot .*stack=(\d+)', 5).group(1))
        assert st['stack_max'] <= stack - 256, (stack, st)
        print('ok: blocked port closed to spoofed ACKs; one-byte segments, reordering, bad checksums and rewrites '
              'never deliver the injection; stack_max=%d' % st['stack_max'])
    finally:
        a.close()


main()
