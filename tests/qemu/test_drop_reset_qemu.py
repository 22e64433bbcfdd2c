#!/usr/bin/env python3
"""`drop_reset=1` in the kernel (docs/unikernel.md "Boot arguments", docs/rules.md): every drop of
slot 6 answers the client with a TCP reset, as a `reject` rule does - here without root, over
QEMU socket netdevs (tests/e2e/test_sqlmap.py shows what it does to sqlmap).

Invariants, each with its twin: an injection the detector drops and a request a built-in drop
rule drops are both answered with exactly one reset from the server's address and port, SEQ =
the request's ACK (RFC 9293 3.10.7.1), and neither is forwarded; a benign request is forwarded and
answered by nothing; the same injection on a kernel booted without drop_reset is dropped in
silence; a retransmission of a dropped request gets no second reset.

usage: test_drop_reset_qemu.py KERNEL.elf legacy|modern
"""
import sys

import qemu_harness as h

ELF = sys.argv[1]
LEGACY = sys.argv[2] == 'legacy'
C, S = '10.0.0.10', '10.0.0.20'
INJECTION = b'/item?id=1%27%20AND%207029%3D8688%20AND%20%27a%27%3D%27a'  # sqlmap's boolean probe: the detector
LITERAL = b'/item?id=1%20UNION%20SELECT%20password'                       # built-in rule 1001 (action drop)
BENIGN = b'/search?q=union+station+boots'


def resets(frames, sport):
    """SEQ of each TCP reset from S:80 to the client port `sport` among `frames`."""
    out = []
    for fr in frames:
        if len(fr) < 54 or fr[12:14] != b'\x08\x00' or fr[23] != 6:
            continue
        tcp = fr[14 + (fr[14] & 15) * 4:]
        if fr[26:30] == h.ip4(S) and int.from_bytes(tcp[0:2], 'big') == 80 and \
                int.from_bytes(tcp[2:4], 'big') == sport and tcp[13] & h.RST:
            out.append(int.from_bytes(tcp[4:8], 'big'))
    return out


def run(bootargs, cases):
    a = h.Appliance(ELF, ports=2, legacy=LEGACY, bootargs=bootargs)
    try:
        for sport, target, forwarded, want_resets in cases:
            a.ports[0].drain(0.1)
            a.ports[1].drain(0.1)
            a.ports[0].send(h.eth(h.HOST_B, h.HOST_A, 0x0800, h.tcp(C, S, sport, 80, h.SYN)))
            data = h.eth(h.HOST_B, h.HOST_A, 0x0800, h.tcp(C, S, sport, 80, h.PSH | h.ACK, seq=1, ack=4242,
                         payload=b'GET ' + target + b' HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: qemu-test\r\n\r\n'))
            a.ports[0].send(data)
            back, ahead = a.ports[0].drain(0.8), a.ports[1].drain(0.3)
            got = resets(back, sport)
            assert (data in ahead) == forwarded, (bootargs, target, 'forwarded' if data in ahead else 'dropped')
            assert got == want_resets, (bootargs, target, 'resets with SEQ', got, 'expected', want_resets)
            if not forwarded:  # the retransmission: dropped by the verdict ring, no second answer
                a.ports[0].send(data)
                assert resets(a.ports[0].drain(0.5), sport) == [], (bootargs, target, 'second reset')
        return a.stats()
    finally:
        a.close()


st = run('ip=10.0.0.2/24 drop_reset=1', [(43001, INJECTION, False, [4242]), (43002, LITERAL, False, [4242]),
                                         (43003, BENIGN, True, [])])
assert st.get('rejects', 0) == 2 and st.get('dpi_signature', 0) >= 2, st
st0 = run('ip=10.0.0.2/24', [(43011, INJECTION, False, []), (43012, BENIGN, True, [])])
assert st0.get('rejects', 0) == 0 and st0.get('dpi_signature', 0) >= 1, st0
print('ok: drop_reset=1 answers detector and rule drops with one reset each (SEQ = ACK); silent without it')
