#!/usr/bin/env python3
"""QEMU tests of the unikernel (issue 3). Usage: test_qemu.py ELF CASE legacy|modern

Each case boots its own QEMU, so a crash in one cannot hide in another.
"""
import random
import re
import struct
import sys
import time

from qemu_harness import (ACK, BCAST, FIN, HOST_A, HOST_B, KERNEL_IP, KERNEL_MAC, PSH, RST, SYN, URG, Appliance,
                          arp, check_invariant, csum, eth, icmp_echo, ip4, ipv4, mac, pad60, tcp, udp)

ELF = sys.argv[1]
CASE = sys.argv[2]
LEGACY = sys.argv[3] == 'legacy'


def boot(**kw):
    kw.setdefault('legacy', LEGACY)
    return Appliance(ELF, **kw)


def arp_request(sha, spa, tpa):
    return pad60(eth(BCAST, sha, 0x0806, arp(1, sha, spa, b'\0' * 6, tpa)))


def ping(src_mac, src_ip, ident, seq, data=b'secengine-ping-0123456789abcdef', dst_mac=None):
    return eth(dst_mac or KERNEL_MAC[0], src_mac, 0x0800, icmp_echo(src_ip, KERNEL_IP, ident, seq, data))


def expect_ping_reply(a, port, src_mac, src_ip, ident=0x1234, seq=1):
    data = bytes(range(48))
    a.ports[port].send(ping(src_mac, src_ip, ident, seq, data, KERNEL_MAC[port]))
    r = a.ports[port].recv(3)
    assert r is not None, 'no echo reply on port %d' % port
    assert r[0:6] == src_mac and r[6:12] == KERNEL_MAC[port], r[:12].hex()
    assert r[12:14] == b'\x08\x00'
    ip = r[14:34]
    assert csum(ip) == 0, 'bad IP header checksum'
    assert ip[12:16] == ip4(KERNEL_IP) and ip[16:20] == ip4(src_ip)
    total = struct.unpack('!H', ip[2:4])[0]
    icmp = r[34:14 + total]
    assert icmp[0] == 0 and icmp[1] == 0, 'not an echo reply'
    assert csum(icmp) == 0, 'bad ICMP checksum'
    assert struct.unpack('!HH', icmp[4:8]) == (ident, seq)
    assert icmp[8:] == data, 'echo data changed'


def case_ready():
    for ports, mode in ((1, 'endpoint'), (2, 'inline')):
        with boot(ports=ports) as a:
            m = re.search(r'ram_used=(\d+) ram_limit=65536 ports=(\d) mode=(\w+) ip=([\d.]+)', a.ready.string)
            assert m, a.ready.string
            assert int(m.group(1)) <= 65536, m.group(1)
            assert int(m.group(2)) == ports and m.group(3) == mode and m.group(4) == KERNEL_IP, a.ready.string
            kind = 'legacy' if LEGACY else 'modern'
            assert a.uart().count(' %s mac=' % kind) == ports, a.uart()
    # Boot args: a non-default IP is used, unknown args reported, a bad value keeps the default.
    with boot(ports=1, bootargs='ip=192.168.7.9/16 bogus=1 mgmt_port=x key=00112233445566778899aabbccddeeff') as a:
        assert 'ip=192.168.7.9' in a.ready.string, a.ready.string
        u = a.uart()
        assert "unknown boot arg 'bogus=1'" in u and "bad boot arg 'mgmt_port=x'" in u, u
        assert 'demo key' not in u, u
    with boot(ports=1) as a:
        assert 'demo key' in a.uart()


def case_arp():
    for ports in (1, 2):
        with boot(ports=ports) as a:
            for port in range(ports):
                a.ports[port].send(arp_request(HOST_A, '10.0.0.1', KERNEL_IP))
                r = a.ports[port].recv(3)
                assert r is not None, 'no ARP reply on port %d' % port
                assert len(r) >= 60 and r[0:6] == HOST_A and r[6:12] == KERNEL_MAC[port] and r[12:14] == b'\x08\x06'
                htype, ptype, hlen, plen, op, sha, spa, tha, tpa = struct.unpack('!HHBBH6s4s6s4s', r[14:42])
                assert (htype, ptype, hlen, plen, op) == (1, 0x800, 6, 4, 2)
                assert sha == KERNEL_MAC[port] and spa == ip4(KERNEL_IP) and tha == HOST_A and tpa == ip4('10.0.0.1')
            # A request for another address is not answered by us (inline: forwarded instead).
            a.ports[0].send(arp_request(HOST_A, '10.0.0.1', '10.0.0.77'))
            if ports == 2:
                f = a.ports[1].recv(3)
                assert f == arp_request(HOST_A, '10.0.0.1', '10.0.0.77'), 'ARP for others must be bridged'
            assert a.ports[0].recv(0.5) is None
            st = a.stats()
            assert st['arp'] == ports, st
            check_invariant(st)


def case_ping():
    for ports in (1, 2):
        with boot(ports=ports) as a:
            for port in range(ports):
                expect_ping_reply(a, port, HOST_A if port == 0 else HOST_B, '10.0.0.1' if port == 0 else '10.0.0.3')
            # Bad ICMP checksum: silently discarded (RFC 1122 3.2.2).
            f = bytearray(ping(HOST_A, '10.0.0.1', 1, 1))
            f[14 + 20 + 2] ^= 0xff
            a.ports[0].send(bytes(f))
            assert a.ports[0].recv(0.5) is None, 'answered a ping with a bad checksum'
            st = a.stats()
            assert st['ping'] == ports and st['self'] == ports + 1, st
            check_invariant(st)


def benign_frames(direction):
    """UDP and TCP frames of one conversation, client 10.0.0.10 on port 0, server 10.0.0.20 on port 1."""
    c, s = '10.0.0.10', '10.0.0.20'
    out = []
    if direction == 0:
        out.append(eth(HOST_B, HOST_A, 0x0800, udp(c, s, 40000, 53, b'query-' + bytes(range(40)))))
        out.append(eth(HOST_B, HOST_A, 0x0800, tcp(c, s, 41000, 80, SYN, seq=100)))
        out.append(eth(HOST_B, HOST_A, 0x0800, tcp(c, s, 41000, 80, ACK, seq=101, ack=501)))
        out.append(eth(HOST_B, HOST_A, 0x0800, tcp(c, s, 41000, 80, PSH | ACK, seq=101, ack=501,
                                                   payload=b'GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n')))
    else:
        out.append(eth(HOST_A, HOST_B, 0x0800, udp(s, c, 53, 40000, b'answer-' + bytes(range(40)))))
        out.append(eth(HOST_A, HOST_B, 0x0800, tcp(s, c, 80, 41000, SYN | ACK, seq=500, ack=101)))
        out.append(eth(HOST_A, HOST_B, 0x0800, tcp(s, c, 80, 41000, PSH | ACK, seq=501, ack=144,
                                                   payload=b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')))
    return out


def case_forward():
    with boot(ports=2) as a:
        fwd = [benign_frames(0), benign_frames(1)]
        order = [(0, fwd[0][0]), (1, fwd[1][0]), (0, fwd[0][1]), (1, fwd[1][1]), (0, fwd[0][2]), (0, fwd[0][3]),
                 (1, fwd[1][2])]
        for port, f in order:
            a.ports[port].send(f)
            got = a.ports[1 - port].recv(3)
            assert got == f, 'frame not forwarded byte-identical %d->%d:\n%s\n%s' % (
                port, 1 - port, f.hex(), got.hex() if got else None)
            assert a.ports[port].recv(0.05) is None, 'frame came back on its ingress port'
        # Large frame (1514 bytes) crosses intact too.
        big = eth(HOST_B, HOST_A, 0x0800, udp('10.0.0.10', '10.0.0.20', 40000, 53, bytes(i & 0xff for i in range(1472))))
        assert len(big) == 1514
        a.ports[0].send(big)
        assert a.ports[1].recv(3) == big
        st = a.stats()
        assert st['fwd'] == len(order) + 1 and st['drop'] == 0, st
        check_invariant(st)


def malformed_frames(rng):
    c, s = '10.0.0.10', '10.0.0.20'
    good = eth(HOST_B, HOST_A, 0x0800, udp(c, s, 1111, 2222, b'x' * 30))
    frames = []
    frames.append(good[:14 + 10])                                              # truncated IP header
    frames.append(pad60(eth(HOST_B, HOST_A, 0x0800, ipv4(c, s, 17, b'\0' * 8, total=200))))  # total > frame
    for ihl in (0, 1, 4, 15):                                                  # bad IHL
        frames.append(eth(HOST_B, HOST_A, 0x0800, ipv4(c, s, 17, b'\0' * 30, ihl=ihl)))
    frames.append(eth(HOST_B, HOST_A, 0x0800, bytes([0x65]) + good[15:]))       # version 6 in an IPv4 frame
    frames.append(eth(HOST_B, HOST_A, 0x0800, tcp(c, s, 1, 2, SYN)[:30]))       # truncated TCP, padded IP len
    frames.append(good[:10])                                                  # shorter than Ethernet
    frames.append(eth(HOST_B, HOST_A, 0x0800, udp(c, s, 1, 2, b'y' * 1480)) + b'z' * 6)  # 1520 > max frame
    for _ in range(30):                                                       # IPv4 ethertype, random body, version != 4
        body = bytearray(rng.randbytes(rng.randrange(1, 200)))
        body[0] = (body[0] & 0x0f) | 0x50
        frames.append(eth(HOST_B, HOST_A, 0x0800, bytes(body)))
    return frames


def case_malformed():
    rng = random.Random(1)
    with boot(ports=2) as a:
        frames = malformed_frames(rng)
        for f in frames:
            a.ports[0].send(f)
        leaked = a.ports[1].drain(0.5)
        assert not leaked, 'malformed frame forwarded: %s' % leaked[0].hex()
        # Oversized for the RX buffer (QEMU drops it) and pure random bytes: only "no crash".
        a.ports[0].send(b'\xab' * 2000)
        for _ in range(200):
            a.ports[0].send(rng.randbytes(rng.randrange(0, 1600)))
        a.ports[1].drain(0.5)
        expect_ping_reply(a, 0, HOST_A, '10.0.0.1')
        st = a.stats()
        assert st['malformed'] >= len(frames) - 1, st   # the 10-byte frame may be padded by QEMU
        check_invariant(st)


def case_selftest_pmp():
    a = boot(ports=1, bootargs='selftest=pmp')
    try:
        m = a.wait_line(r'secengine: trap cause=(\d+) epc=0x([0-9a-f]+) tval=0x([0-9a-f]+)', 10)
        assert m.group(1) == '5', 'expected a load access fault, got cause %s' % m.group(1)
        a.proc.wait(10)
        assert a.proc.returncode == 2, a.proc.returncode
    finally:
        a.close()


CASES = {k[5:]: v for k, v in globals().items() if k.startswith('case_')}

if __name__ == '__main__':
    t = time.time()
    CASES[CASE]()
    print('%s %s: ok (%.1f s)' % (CASE, sys.argv[3], time.time() - t))
