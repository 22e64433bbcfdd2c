#!/usr/bin/env python3
"""QEMU tests of the unikernel (issue 3). Usage: test_qemu.py ELF CASE legacy|modern

Each case boots its own QEMU, so a crash in one cannot hide in another.
"""
import os
import random
import re
import struct
import sys
import threading
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
    # Boot args: a non-default IP is used, unknown args reported (not fatal), a key far past byte
    # 255 of a long command line is read whole (the kernel parses the property in place).
    pad = ' '.join('pad%d=x' % i for i in range(40))
    with boot(ports=1, bootargs='ip=192.168.7.9/16 bogus=1 ' + pad + ' key=00112233445566778899aabbccddeeff') as a:
        assert 'ip=192.168.7.9' in a.ready.string, a.ready.string
        u = a.uart()
        assert "unknown boot arg 'bogus=1'" in u, u
        assert 'demo key' not in u, u
    with boot(ports=1) as a:
        assert 'PUBLIC demo key' in a.uart()


def case_bootargs():
    # Fail closed: a bad key, an unusable address, a bad port or an empty stages= halt the kernel
    # (exit status 4) with a UART line naming the argument - it never reaches "ready", so it never
    # runs with the demo key or a default address.
    pad = ' '.join('pad%d=x' % i for i in range(40))
    for args, bad, why in (
            ('key=0011223344556677889aabbccddeeff', 'key=0011223344556677889aabbccddeeff', 'bad_key'),
            ('key=00112233445566778899aabbccddeefg', 'key=00112233445566778899aabbccddeefg', 'bad_key'),
            (pad + ' key=0011223344556677', 'key=0011223344556677', 'bad_key'),
            ('ip=255.255.255.255', 'ip=255.255.255.255', 'unusable_address'),
            ('ip=0.0.0.0/0', 'ip=0.0.0.0/0', 'bad_prefix'),
            ('ip=10.0.0.255/24', 'ip=10.0.0.255/24', 'unusable_address'),
            ('mgmt_port=0', 'mgmt_port=0', 'bad_value'),
            ('stages=', 'stages=', 'bad_stages')):
        a = boot(ports=1, bootargs='bogus=1 ' + args, wait_ready=False)
        try:
            m = a.wait_line(r"secengine: fatal bootargs '([^']*)': (\w+)", 10)
            assert m.group(1) == bad and m.group(2) == why, (args, m.string)
            a.wait_line(r'secengine: fatal bootargs: 1 bad argument\(s\), halting', 10)
            a.proc.wait(10)
            assert a.proc.returncode == 4, (args, a.proc.returncode)
            u = a.uart()
            assert 'ready' not in u and 'demo key' not in u, u
            assert "unknown boot arg 'bogus=1'" in u, u
        finally:
            a.close()


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


def send_paced(a, port, frames, chunk=200):
    """Sends frames in chunks, waiting for the kernel to take each chunk off its ring before the
    next, so no frame is lost in QEMU's socket buffer (the counters can then be exact)."""
    base = a.stats()
    taken = base['rx'] + base['echo']
    for i in range(0, len(frames), chunk):
        for f in frames[i:i + chunk]:
            a.ports[port].send(f)
        taken += len(frames[i:i + chunk])
        st = a.wait_rx(taken)
        assert st['rx'] + st['echo'] >= taken, ('frames lost before the kernel', taken, st)
    return st


def case_xmas():
    with boot(ports=2) as a:
        c, s = '10.0.0.10', '10.0.0.20'
        scans = [FIN | PSH | URG, 0, SYN | FIN, SYN | RST, 0xff]   # Xmas, NULL, SYN+FIN, SYN+RST, all flags
        for i, flags in enumerate(scans):
            a.ports[0].send(eth(HOST_B, HOST_A, 0x0800, tcp(c, s, 50000 + i, 80, flags, seq=7)))
        assert a.ports[1].drain(0.5) == [], 'a scan probe was forwarded'
        good = eth(HOST_B, HOST_A, 0x0800, tcp(c, s, 51000, 80, SYN, seq=7))
        a.ports[0].send(good)
        assert a.ports[1].recv(3) == good, 'a plain SYN must still pass'
        st = a.stats()
        assert st.get('scan', 0) == len(scans) and st['fwd'] == 1, st
        check_invariant(st)


def case_dpi():
    """Stage 6 in the image (the built-in rule set in .rodata): SQL injection in an HTTP request is
    dropped, also when split across two segments of one flow; a benign request passes."""
    with boot(ports=2) as a:
        c, s = '10.0.0.10', '10.0.0.20'

        def seg(sport, payload, seq=1):
            return eth(HOST_B, HOST_A, 0x0800, tcp(c, s, sport, 80, PSH | ACK, seq=seq, ack=1, payload=payload))
        for sport in (41000, 41001, 41002):
            a.ports[0].send(eth(HOST_B, HOST_A, 0x0800, tcp(c, s, sport, 80, SYN)))
        assert len(a.ports[1].drain(0.5)) == 3
        good = seg(41000, b'GET /index.html?id=42 HTTP/1.1\r\nHost: shop\r\n\r\n')
        a.ports[0].send(good)
        assert a.ports[1].recv(3) == good, 'benign request dropped'
        a.ports[0].send(seg(41001, b"GET /item?id=1%27%20UNION%20SELECT%20password%20FROM%20users HTTP/1.1\r\n\r\n"))
        # Split inside the request target: the rule (http.uri, built-in sid 1001) sees the whole
        # normalised URI once the second segment completes the request line.
        first = seg(41002, b'GET /item?id=1%27%20UNI')
        a.ports[0].send(first)
        a.ports[0].send(seg(41002, b'ON%20SELECT%201 HTTP/1.1\r\n\r\n', seq=24))
        got = a.ports[1].drain(0.5)
        assert got == [first], got   # the first half alone is harmless; the second completes the signature
        st = a.stats()
        assert st.get('dpi_signature', 0) == 2, st
        check_invariant(st)


def case_flood():
    # Threshold lowered by boot arg so the test needs few frames: 300 packets/s per source.
    with boot(ports=2, bootargs='ip=10.0.0.2/24 pps=300 ban_s=60') as a:
        flood = [eth(HOST_B, HOST_A, 0x0800, udp('10.6.6.6', '10.0.0.20', 1024 + (i % 5000), 80, b'flood' * 10))
                 for i in range(1500)]
        got = []
        stop = threading.Event()

        def sink():
            while not stop.is_set():
                f = a.ports[1].recv(0.1)
                if f is not None:
                    got.append(f)
        t = threading.Thread(target=sink)
        t.start()
        st = send_paced(a, 0, flood, chunk=100)
        # Another source still passes while the flooder serves its ban.
        other = eth(HOST_B, HOST_A, 0x0800, udp('10.0.0.10', '10.0.0.20', 40000, 53, b'legit' * 10))
        for _ in range(5):
            a.ports[0].send(other)
        deadline = time.time() + 10   # the sink thread may lag behind on a loaded machine
        while time.time() < deadline and sum(1 for f in list(got) if f == other) < 5:
            time.sleep(0.05)
        stop.set()
        t.join()
        flood_fwd = sum(1 for f in got if f[26:30] == ip4('10.6.6.6'))
        other_fwd = sum(1 for f in got if f == other)
        st = a.stats()
        assert other_fwd == 5, ('other source blocked', other_fwd, st)
        assert flood_fwd <= 300 * 2, ('flood not contained', flood_fwd, st)   # at most two windows' worth
        assert st.get('heavy_hitter', 0) >= 1 and st.get('penalty_box', 0) >= 1500 - flood_fwd - st['heavy_hitter'], st
        assert st['hh'] >= 1, st
        check_invariant(st)


def mixed_frames(rng, n):
    c_ips = ['10.0.%d.%d' % (1 + i // 200, 1 + i % 200) for i in range(400)]
    frames = []
    for i in range(n):
        k = rng.random()
        c = rng.choice(c_ips)
        if k < 0.55:    # benign UDP/TCP from many clients
            if rng.random() < 0.5:
                frames.append(eth(HOST_B, HOST_A, 0x0800, udp(c, '10.0.0.20', 30000 + rng.randrange(50), 53, b'q' * rng.randrange(0, 200))))
            else:
                frames.append(eth(HOST_B, HOST_A, 0x0800, tcp(c, '10.0.0.20', 30000 + rng.randrange(50), 80, rng.choice([SYN, ACK, PSH | ACK]),
                                                              payload=b'GET / HTTP/1.1\r\n' * rng.randrange(0, 4))))
        elif k < 0.65:  # scans
            frames.append(eth(HOST_B, HOST_A, 0x0800, tcp(c, '10.0.0.20', 40000, rng.randrange(1, 1024), rng.choice([FIN | PSH | URG, 0, SYN | FIN]))))
        elif k < 0.80:  # flood from one source
            frames.append(eth(HOST_B, HOST_A, 0x0800, udp('10.6.6.6', '10.0.0.20', rng.randrange(1024, 65535), 80, b'F' * 18)))
        elif k < 0.90:  # malformed and random
            body = bytearray(rng.randbytes(rng.randrange(1, 300)))
            body[0] = (body[0] & 0x0f) | (0x50 if rng.random() < 0.5 else 0x40)
            frames.append(eth(HOST_B, HOST_A, 0x0800, bytes(body)))
        elif k < 0.95:  # ARP for us and others
            frames.append(arp_request(HOST_A, c, KERNEL_IP if rng.random() < 0.5 else '10.0.0.99'))
        else:           # pings to us
            frames.append(ping(HOST_A, c, rng.randrange(65536), i & 0xffff, dst_mac=KERNEL_MAC[0]))
    return frames


def case_mixed():
    rng = random.Random(100000)
    total = int(os.environ.get('SECENGINE_MIXED_FRAMES', '100000'))
    with boot(ports=2, bootargs='ip=10.0.0.2/24 report_ms=60000 pps=300 bench=1') as a:
        counts = [0, 0]
        stop = threading.Event()

        def sink(port):
            while not stop.is_set():
                if a.ports[port].recv(0.1) is not None:
                    counts[port] += 1
        threads = [threading.Thread(target=sink, args=(p,)) for p in (0, 1)]
        for t in threads:
            t.start()
        sent = 0
        try:
            while sent < total:
                batch = mixed_frames(rng, min(5000, total - sent))
                st = send_paced(a, 0, batch, chunk=100)
                sent += len(batch)
            st = a.stats()
            deadline = time.time() + 15   # let the sink threads catch up with what the kernel sent
            while time.time() < deadline and (counts[1] < st['fwd'] or counts[0] < st['arp'] + st['ping']):
                time.sleep(0.05)
            time.sleep(0.2)               # and make sure nothing extra trickles in
        finally:
            stop.set()
            for t in threads:
                t.join()
        st = a.stats()
        assert st['rx'] == total and st['echo'] == 0, ('frames lost or duplicated', total, st)
        check_invariant(st)
        assert counts[1] == st['fwd'], ('sink saw a different number of frames than forwarded', counts, st)
        assert counts[0] == st['arp'] + st['ping'], ('replies on port 0 do not match', counts, st)
        assert st.get('scan', 0) > 0 and st.get('malformed', 0) > 0 and st.get('penalty_box', 0) > 0, st
        # The stack (stack= on the boot line, guarded by PMP) keeps a 768-byte margin after every path ran.
        stack = int(a.wait_line(r'secengine: boot .*stack=(\d+)', 5).group(1))
        assert st['stack_max'] <= stack - 768, ('stack high-water mark too close to the guard', stack, st)
        expect_ping_reply(a, 0, HOST_A, '10.0.0.1')
        print('mixed: %d frames: %s' % (total, st))


def case_echo():
    """Frames with our own source MAC are QEMU echoing our transmissions: counted, never
    forwarded or answered. On a multicast segment (endpoint mode) every reply comes back to the
    kernel, which must not answer it again (a naive echo kernel storms)."""
    with boot(ports=2) as a:
        f = eth(HOST_B, KERNEL_MAC[0], 0x0800, udp('10.0.0.10', '10.0.0.20', 1, 2, b'x' * 30))
        a.ports[0].send(f)
        a.ports[1].send(eth(HOST_A, KERNEL_MAC[1], 0x0800, udp('10.0.0.20', '10.0.0.10', 2, 1, b'y' * 30)))
        assert a.ports[1].drain(0.3) == [] and a.ports[0].drain(0.1) == []
        st = a.stats()
        assert st['echo'] == 2 and st['rx'] == 0, st
    with boot(ports=1, mcast=True) as a:
        a.ports[0].send(arp_request(HOST_A, '10.0.0.1', KERNEL_IP))
        a.ports[0].send(ping(HOST_A, '10.0.0.1', 7, 1))
        time.sleep(0.5)
        seen = a.ports[0].drain(0.5)
        replies = [x for x in seen if x[6:12] == KERNEL_MAC[0]]
        assert len(replies) == 2, ('expected one ARP reply and one echo reply', [x.hex() for x in seen])
        st = a.stats()
        # Our two requests were received; both replies came back as echoes and were ignored.
        assert st['rx'] == 2 and st['echo'] == 2 and st['arp'] == 1 and st['ping'] == 1, st
        check_invariant(st)


def case_selftest_pmp():
    # Outside the window: load access fault (5) on the device tree; stack guard: store access
    # fault (7) just below the stack. Both stop QEMU with exit status 2.
    for arg, cause, what in (('pmp', '5', 'selftest pmp: reading 0x([0-9a-f]+)'),
                             ('stack', '7', 'selftest stack: writing 0x([0-9a-f]+)')):
        a = boot(ports=1, bootargs='selftest=' + arg)
        try:
            addr = a.wait_line(what, 10).group(1)
            m = a.wait_line(r'secengine: trap cause=(\d+) epc=0x([0-9a-f]+) tval=0x([0-9a-f]+)', 10)
            assert m.group(1) == cause, 'selftest=%s: expected cause %s, got %s' % (arg, cause, m.group(1))
            assert m.group(3) == addr, 'tval %s is not the address touched (%s)' % (m.group(3), addr)
            a.proc.wait(10)
            assert a.proc.returncode == 2, a.proc.returncode
        finally:
            a.close()


def case_selfbench():
    # selfbench=1 (apps/unikernel/selfbench.hpp) under -icount: minstret counts guest
    # instructions exactly, so the eBPF count is the ALU loop's own arithmetic and both
    # instruction counts are non-zero and at least one per eBPF instruction / payload byte.
    # Afterwards slot 5 must hold the default program again: a frame with the IPv4 reserved
    # flag bit set (RFC 791 3.1), which only that program drops, is dropped with reason ebpf.
    a = boot(ports=2, bootargs='ip=10.0.0.2/24 selfbench=1', extra=['-icount', 'shift=0,sleep=off'])
    try:
        a.wait_line('selfbench slot 5 default program reloaded', 10)
        e = a.wait_line(r'selfbench ebpf_insns=(\d+) riscv_insns=(\d+) load_and_runs_insns=(\d+)', 10)
        d = a.wait_line(r'selfbench dpi_bytes=(\d+) riscv_insns=(\d+) matches=(\d+) empty_scan_insns=(\d+)', 10)
        hr = a.wait_line(r'selfbench http_requests=(\d+) riscv_insns=(\d+) request_bytes=(\d+) empty_packet_insns=(\d+)', 20)
        assert int(hr.group(1)) > 0 and int(hr.group(2)) > int(hr.group(3)), hr.string  # more than one insn per byte
        ebpf_n, ebpf_m, fixed = (int(x) for x in e.groups())
        assert ebpf_n == 7 * 999 * 20, e.string  # 20 runs x (1000 - 1) extra loop rounds of 7 insns
        assert ebpf_n <= ebpf_m < 1000 * ebpf_n and fixed > 0, e.string
        dpi_n, dpi_m, matches, empty = (int(x) for x in d.groups())
        assert dpi_n == 8 * 1460 and dpi_n <= dpi_m < 1000 * dpi_n and empty > 0, d.string
        assert matches == 0, 'benign HTTP-like payload matched a signature: %s' % d.string
        assert 'FAILED' not in a.uart(), a.uart()
        good = eth(HOST_B, HOST_A, 0x0800, udp('10.0.0.10', '10.0.0.20', 5000, 53, b'q' * 20))
        seg = udp('10.0.0.10', '10.0.0.20', 5001, 53, b'q' * 20)[20:]
        bad = eth(HOST_B, HOST_A, 0x0800, ipv4('10.0.0.10', '10.0.0.20', 17, seg, frag=0x8000))
        a.ports[0].send(good)
        assert a.ports[1].recv(3) is not None, 'benign frame not forwarded after selfbench'
        a.ports[0].send(bad)
        st = a.wait_rx(2)
        assert st['rx'] == 2 and st['fwd'] == 1 and st.get('ebpf', 0) == 1, st
    finally:
        a.close()


def case_bursts():
    """RX/TX batching (issue 15): bursts of 1, 8 and 32 frames, then seeded random bursts of 1-40
    in random directions, through an established TCP flow. Invariants: every frame comes out of
    the other port byte-identical and in the order sent (per direction: no loss, no reordering
    across a pass's batch or across the RX ring's wrap); fwd and the bench's frame count grow by
    the frames sent, drop not at all; a pass takes at most rx_buffers (6) frames per port, and a
    frame causes at most two doorbells (its TX kick and its buffer's RX refill), never more."""
    rng = random.Random(15)
    with boot(ports=2, bootargs='ip=10.0.0.2/24 bench=1 pps=0') as a:
        c, s = '10.0.0.10', '10.0.0.20'
        setup = [(0, eth(HOST_B, HOST_A, 0x0800, tcp(c, s, 41000, 80, SYN, seq=1))),
                 (1, eth(HOST_A, HOST_B, 0x0800, tcp(s, c, 80, 41000, SYN | ACK, seq=9, ack=2))),
                 (0, eth(HOST_B, HOST_A, 0x0800, tcp(c, s, 41000, 80, ACK, seq=2, ack=10)))]
        for port, f in setup:
            a.ports[port].send(f)
            assert a.ports[1 - port].recv(3) == f, 'handshake frame not forwarded'
        got = ([], [])  # frames seen on port 0 and on port 1
        stop = threading.Event()

        def reader(port):
            while not stop.is_set():
                f = a.ports[port].recv(0.05)
                if f is not None:
                    got[port].append(f)
        threads = [threading.Thread(target=reader, args=(p,), daemon=True) for p in (0, 1)]
        for t in threads:
            t.start()
        seq = [2, 10]  # next sequence number of the client (port 0) and of the server (port 1)
        sent = ([], [])  # frames sent on port 0 and on port 1

        def frame(port, i):
            payload = b'%010d' % i
            if port == 0:
                f = eth(HOST_B, HOST_A, 0x0800, tcp(c, s, 41000, 80, PSH | ACK, seq=seq[0], ack=10, payload=payload))
            else:
                f = eth(HOST_A, HOST_B, 0x0800, tcp(s, c, 80, 41000, PSH | ACK, seq=seq[1], ack=2, payload=payload))
            seq[port] += len(payload)
            return pad60(f)
        plan = [(0, 1), (0, 8), (0, 32), (1, 1), (1, 8), (1, 32)]
        plan += [(rng.randrange(2), rng.randint(1, 40)) for _ in range(40)]
        s0 = a.stats()
        taken = s0['rx'] + s0['echo']
        n = 0
        for port, size in plan:
            burst = [frame(port, n + k) for k in range(size)]
            n += size
            for f in burst:
                a.ports[port].send(f)
            sent[port].extend(burst)
            taken += size
            st = a.wait_rx(taken, timeout=30)
            assert st['rx'] + st['echo'] >= taken, ('frames lost before the kernel', size, st)
        deadline = time.time() + 10
        while (len(got[1]) < len(sent[0]) or len(got[0]) < len(sent[1])) and time.time() < deadline:
            time.sleep(0.05)
        stop.set()
        for t in threads:
            t.join()
        s1 = a.stats()
        for port in (0, 1):
            out = got[1 - port]
            assert len(out) == len(sent[port]), ('frames lost or duplicated from port %d' % port, len(out), len(sent[port]))
            for i, (x, y) in enumerate(zip(sent[port], out)):
                assert x == y, 'port %d frame %d came out changed or out of order:\n%s\n%s' % (port, i, x.hex(), y.hex())
        d = {k: s1[k] - s0[k] for k in ('rx', 'fwd', 'drop', 'frames', 'passes', 'doorbells')}
        assert d['rx'] == n and d['fwd'] == n and d['drop'] == 0 and d['frames'] == n, (d, n)
        assert 0 < d['passes'] <= n and d['frames'] <= 6 * 2 * d['passes'], ('a pass took more than its rings hold', d)
        assert d['doorbells'] <= 2 * n, ('more than two doorbells per frame', d)
        check_invariant(s1)
        print('bursts: %d frames in %d bursts, %.2f frames per pass, %.3f doorbells per frame' % (
            n, len(plan), d['frames'] / d['passes'], d['doorbells'] / n))


CASES = {k[5:]: v for k, v in globals().items() if k.startswith('case_')}

if __name__ == '__main__':
    t = time.time()
    CASES[CASE]()
    print('%s %s: ok (%.1f s)' % (CASE, sys.argv[3], time.time() - t))
