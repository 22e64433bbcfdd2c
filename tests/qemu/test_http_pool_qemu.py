#!/usr/bin/env python3
"""Slot 6's request buffers and port reuse in the kernel (docs/rules.md "In the appliance",
docs/inject.md "In the kernel"), over QEMU socket netdevs, booted with drop_reset=1.

Invariants, each with its twin:
  - two interleaved POSTs (A's header, B's header, A's body, B's body: sqlmap's POST run sends
    header and body in two segments) are both inspected whole: the benign body is forwarded, the
    injection's is not (with one request buffer the benign one was dropped as http_uninspected);
  - a port reused after a dropped request: the new SYN is forwarded (not dropped by the old
    flow's verdict), the server's challenge ACK for the stale connection and the client's RST
    answering it are forwarded (they end the server's half-open connection), and the new
    connection's benign request is forwarded while an injection on it is dropped and reset.

usage: test_http_pool_qemu.py KERNEL.elf legacy|modern
"""
import sys

import qemu_harness as h

ELF = sys.argv[1]
LEGACY = sys.argv[2] == 'legacy'
C, S = '10.0.0.10', '10.0.0.20'
INJECTION = b'q=boots%27%29%20AND%202603%3D%28SELECT%20COUNT%28%2A%29%20FROM%20GENERATE_SERIES%281%2C5000000%29%29%20AND%20%28%27x%27%3D%27x&id=2'
BENIGN = b'q=o%27neil+boots&id=2'


def out(sport, flags, seq, ack=4242, payload=b''):
    return h.eth(h.HOST_B, h.HOST_A, 0x0800, h.tcp(C, S, sport, 80, flags, seq=seq, ack=ack, payload=payload))


def back(sport, flags, seq, ack):
    return h.eth(h.HOST_A, h.HOST_B, 0x0800, h.tcp(S, C, 80, sport, flags, seq=seq, ack=ack))


def post_head(body):
    return (b'POST /search HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: qemu-test\r\n'
            b'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n' % len(body))


a = h.Appliance(ELF, ports=2, legacy=LEGACY, bootargs='ip=10.0.0.2/24 drop_reset=1')
try:
    # Two interleaved POSTs, each in two segments.
    ha, hb = post_head(BENIGN), post_head(INJECTION)
    a.ports[0].send(out(44001, h.SYN, 0))
    a.ports[0].send(out(44002, h.SYN, 0))
    a.ports[0].send(out(44001, h.PSH | h.ACK, 1, payload=ha))
    a.ports[0].send(out(44002, h.PSH | h.ACK, 1, payload=hb))
    a.ports[1].drain(0.5)
    body_a = out(44001, h.PSH | h.ACK, 1 + len(ha), payload=BENIGN)
    body_b = out(44002, h.PSH | h.ACK, 1 + len(hb), payload=INJECTION)
    a.ports[0].send(body_a)
    a.ports[0].send(body_b)
    ahead = a.ports[1].drain(0.8)
    assert body_a in ahead, 'the benign POST interleaved with another was not forwarded (request buffer contention?)'
    assert body_b not in ahead, 'the injection in the interleaved POST was forwarded'

    # A dropped request, then its port comes round again.
    p = 44100
    a.ports[0].send(out(p, h.SYN, 0))
    req = out(p, h.PSH | h.ACK, 1, payload=b'GET /item?id=1%27%20AND%207029%3D8688%20AND%20%27a%27%3D%27a HTTP/1.1\r\nHost: shop.example\r\n\r\n')
    a.ports[0].send(req)
    assert req not in a.ports[1].drain(0.8), 'the injection was forwarded'
    a.ports[0].drain(0.2)
    isn = 900000
    syn = out(p, h.SYN, isn, ack=0)
    a.ports[0].send(syn)
    assert syn in a.ports[1].drain(0.8), 'the SYN of a reused port was dropped (old verdict)'
    challenge = back(p, h.ACK, 7777, 1)          # the server's stale connection: RCV.NXT = 1
    a.ports[1].send(challenge)
    assert challenge in a.ports[0].drain(0.8), "the server's challenge ACK was dropped"
    rst = out(p, h.RST, 1, ack=0)                # the client's answer: SEQ = the challenge's ACK
    a.ports[0].send(rst)
    assert rst in a.ports[1].drain(0.8), "the client's RST to the challenge ACK was dropped"
    a.ports[0].send(syn)
    assert syn in a.ports[1].drain(0.8), 'the retransmitted SYN was dropped'
    synack = back(p, h.SYN | h.ACK, 5000, isn + 1)
    a.ports[1].send(synack)
    assert synack in a.ports[0].drain(0.8), 'the SYN-ACK was dropped'
    benign = out(p, h.PSH | h.ACK, isn + 1, ack=5001, payload=b'GET /search?q=union+station HTTP/1.1\r\nHost: shop.example\r\n\r\n')
    a.ports[0].send(benign)
    assert benign in a.ports[1].drain(0.8), 'the benign request on the reused port was not forwarded'
    st = a.stats()
    assert st.get('dpi_signature', 0) >= 2, st
    print('ok: interleaved POSTs both inspected; a reused port gets through and is inspected', st)
finally:
    a.close()
