#!/usr/bin/env python3
"""Run a clang-compiled XDP filter through `secbpf run` on crafted frames and check the verdicts
(XDP_ABORTED=0, DROP=1, PASS=2) and the map contents the filter leaves behind.

usage: xdp_filters.py SECBPF OBJECT CASE
"""
import os
import struct
import subprocess
import sys
import tempfile

ABORTED, DROP, PASS = 0, 1, 2


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(a):
    return bytes(int(x) for x in a.split('.'))


def eth(proto, vlans=()):
    h = b'\x02\0\0\0\0\x01' + b'\x02\0\0\0\0\x02'
    tpids = [0x88a8] * (len(vlans) - 1) + [0x8100] if vlans else []
    for tpid, vid in zip(tpids, vlans):
        h += struct.pack('!HH', tpid, vid)
    return h + struct.pack('!H', proto) if not vlans else h[:12] + b''.join(
        struct.pack('!HH', t, v) for t, v in zip(tpids, vlans)) + struct.pack('!H', proto)


def ipv4(src, dst, proto, payload, options=b''):
    ihl = 5 + len(options) // 4
    hdr = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, 4 * ihl + len(payload), 1, 0, 64, proto, 0, ip4(src), ip4(dst))
    hdr += options
    hdr = hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:]
    return hdr + payload


def tcp(sport, dport, flags=0x02):
    return struct.pack('!HHIIBBHHH', sport, dport, 1, 0, 5 << 4, flags, 8192, 0, 0)


def udp(sport, dport, data=b'x'):
    return struct.pack('!HHHH', sport, dport, 8 + len(data), 0) + data


def tcp_frame(src='10.0.0.1', dst='10.0.0.2', dport=80, flags=0x02, vlans=(), options=b''):
    return eth(0x0800, vlans) + ipv4(src, dst, 6, tcp(40000, dport, flags), options)


def udp_frame(src='10.0.0.1', dst='10.0.0.2', dport=53):
    return eth(0x0800) + ipv4(src, dst, 17, udp(40000, dport))


ARP = eth(0x0806) + bytes(28)

def with_flags(frame, flags_offset):
    """IPv4 frame with the flags/fragment-offset word replaced (header checksum recomputed)."""
    hdr = bytearray(frame[14:34])
    hdr[6:8] = struct.pack('!H', flags_offset)
    hdr[10:12] = b'\0\0'
    hdr[10:12] = struct.pack('!H', csum(bytes(hdr)))
    return frame[:14] + bytes(hdr) + frame[34:]


CASES = {
    'appliance': [
        ('plain tcp passes', [tcp_frame()], [PASS]),
        ('reserved flag bit dropped', [with_flags(tcp_frame(), 0x8000)], [DROP]),
        ('DF set passes', [with_flags(tcp_frame(), 0x4000)], [PASS]),
        ('loose source route dropped', [tcp_frame(options=bytes([131, 7, 4]) + bytes(5))], [DROP]),
        ('strict source route dropped', [tcp_frame(options=bytes([137, 7, 4]) + bytes(5))], [DROP]),
        ('record route passes', [tcp_frame(options=bytes([7, 7, 4]) + bytes(5))], [PASS]),
        ('vlan-tagged passes', [tcp_frame(vlans=(5,))], [PASS]),
        ('arp passes', [ARP], [PASS]),
        ('runt frame passes', [b'\0' * 34], [PASS]),
    ],
    'drop_port': [
        ('tcp to 23 is dropped', [tcp_frame(dport=23)], [DROP]),
        ('tcp to 80 passes', [tcp_frame(dport=80)], [PASS]),
        ('udp to 23 passes', [eth(0x0800) + ipv4('10.0.0.1', '10.0.0.2', 17, udp(1, 23))], [PASS]),
        ('arp passes', [ARP], [PASS]),
        ('ip options before tcp/23', [tcp_frame(dport=23, options=b'\x01' * 8)], [DROP]),
        ('truncated tcp header aborts', [tcp_frame(dport=23)[:14 + 20 + 10]], [ABORTED]),
        ('runt frame passes', [b'\0' * 10], [PASS]),
    ],
    'drop_prefix': [
        ('192.0.2.7 dropped and counted', [tcp_frame(src='192.0.2.7')], [DROP], ['counter[0]=1']),
        ('192.0.3.1 passes', [tcp_frame(src='192.0.3.1')], [PASS]),
        ('three from the prefix', [udp_frame(src='192.0.2.1'), tcp_frame(src='192.0.2.200'),
                                   tcp_frame(src='10.1.1.1'), udp_frame(src='192.0.2.99')],
         [DROP, DROP, PASS, DROP], ['counter[0]=3']),
        ('runt frame passes', [b'\0' * 20], [PASS]),
    ],
    'count_proto': [
        ('per protocol and per source',
         [tcp_frame(src='10.0.0.1'), tcp_frame(src='10.0.0.1'), udp_frame(src='10.0.0.9'), ARP],
         [PASS] * 4,
         ['map proto_count', '  key=06000000 value=0200000000000000 (2)', '  key=11000000 value=0100000000000000 (1)',
          'map src_count', '  key=0a000001 value=0200000000000000 (2)', '  key=0a000009 value=0100000000000000 (1)']),
    ],
    'vlan_tcp': [
        ('vlan 100 syn to 22 dropped', [tcp_frame(dport=22, vlans=(100,))], [DROP],
         ['  key=00000000 value=0100000000000000 (1)']),
        ('vlan 100 syn+ack passes', [tcp_frame(dport=22, flags=0x12, vlans=(100,))], [PASS]),
        ('vlan 200 passes', [tcp_frame(dport=22, vlans=(200,))], [PASS]),
        ('untagged passes', [tcp_frame(dport=22)], [PASS]),
        ('q-in-q outer 300 inner 100 dropped', [tcp_frame(dport=22, vlans=(300, 100))], [DROP]),
        ('ip options then tcp', [tcp_frame(dport=22, vlans=(100,), options=b'\x01' * 12)], [DROP]),
        ('truncated after vlan passes', [tcp_frame(dport=22, vlans=(100,))[:16]], [PASS]),
        ('tcp to 80 passes', [tcp_frame(dport=80, vlans=(100,))], [PASS]),
    ],
}


def main():
    secbpf, obj, case = sys.argv[1], sys.argv[2], sys.argv[3]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for entry in CASES[case]:
            name, frames, want = entry[0], entry[1], entry[2]
            lines = entry[3] if len(entry) > 3 else []
            args = [secbpf, 'run', '--xdp', obj]
            for k, f in enumerate(frames):
                p = os.path.join(tmp, '%d.bin' % k)
                with open(p, 'wb') as fh:
                    fh.write(f)
                args += ['--packet', p]
            out = subprocess.run(args, capture_output=True, text=True)
            got = [int(l.split('=')[1]) for l in out.stdout.splitlines() if l.startswith('return=')]
            ok = out.returncode == 0 and got == want and all(any(o.startswith(l) for o in out.stdout.splitlines()) for l in lines)
            print('%s %s: returns %s (want %s)' % ('PASS' if ok else 'FAIL', name, got, want))
            if not ok:
                failed += 1
                print(out.stdout + out.stderr)
    print('%d passed, %d failed' % (len(CASES[case]) - failed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
