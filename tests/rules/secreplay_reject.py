#!/usr/bin/env python3
"""`reject` rules through secreplay (--reject-out): every rejected TCP connection gets one reset
from the server side that the client's stack would accept (RFC 9293 section 3.10.7.1: SEQ = the
offending segment's ACK, addressed to the client's port), every rejected UDP datagram one ICMP
port unreachable quoting its IP header and 8 bytes; connections that match nothing or an
`alert`/`drop` rule get none; the summary counts what was written. Sessions are generated with
random sizes and segmentation; the expectations come from the generator, not from secreplay."""
import os
import random
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'http'))
from pcapgen import PcapWriter, TcpSession, udp  # noqa: E402

RULES = '''reject http any any -> any any (msg:"reject admin"; flow:established,to_server; http.uri; content:"/admin"; sid:1;)
drop http any any -> any any (msg:"drop secret"; flow:established,to_server; http.uri; content:"/secret"; sid:2;)
alert http any any -> any any (msg:"alert hello"; flow:established,to_server; http.uri; content:"/hello"; sid:3;)
reject udp any any -> any 9999 (msg:"reject udp"; content:"EVIL"; sid:4;)
'''


def read_pcap(path):
    data = open(path, 'rb').read()
    frames, at = [], 24
    while at + 16 <= len(data):
        _, _, caplen, _ = struct.unpack_from('<IIII', data, at)
        frames.append(data[at + 16:at + 16 + caplen])
        at += 16 + caplen
    return frames


def main():
    secreplay = sys.argv[1]
    rng = random.Random(7)
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        rules, pcap, out = (os.path.join(tmp, n) for n in ('r.rules', 'in.pcap', 'rejects.pcap'))
        open(rules, 'w').write(RULES)
        w = PcapWriter(pcap)
        want_tcp, want_udp = {}, []  # client port -> the ack number its reset must carry; udp datagrams
        for i in range(120):
            kind = rng.choice(['admin', 'secret', 'hello', 'plain'])
            client = (f'10.1.{i // 200}.{1 + i % 200}', 20000 + i)
            s = TcpSession(w, client, ('10.9.0.1', 80), isn_client=rng.randrange(1 << 32), isn_server=rng.randrange(1 << 32))
            s.open()
            req = f'GET /{kind}/{rng.randrange(10**6)} HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n\r\n'.encode()
            server_seq = s.sseq  # what the client acknowledges in its request segments
            s.client(req, segment=rng.choice([7, 40, 1400]))
            if kind == 'admin':
                want_tcp[client[1]] = (client[0], server_seq)
            s.server(b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
            s.close()
        for i in range(40):
            evil = rng.random() < 0.5
            payload = (b'xx' + (b'EVIL' if evil else b'GOOD') + bytes(rng.randrange(256) for _ in range(rng.randrange(60))))
            client = (f'10.2.0.{1 + i}', 30000 + i)
            udp(w, client, ('10.9.0.2', 9999), payload)
            if evil:
                want_udp.append((client, payload))
        w.close()
        p = subprocess.run([secreplay, '-S', rules, '--no-detect', '--quiet', '--reject-out', out, pcap],
                           capture_output=True, text=True)
        if p.returncode != 0:
            print(p.stdout, p.stderr)
            return 1
        summary = dict(l.split('=', 1) for l in p.stdout.splitlines() if '=' in l)
        frames = read_pcap(out)
        if summary.get('rules.rejects_sent') != str(len(frames)):
            failures.append(f"summary rules.rejects_sent={summary.get('rules.rejects_sent')} but {len(frames)} frames written")
        got_tcp, got_udp = {}, []
        for f in frames:
            if struct.unpack_from('!H', f, 12)[0] != 0x0800:
                failures.append('non-IPv4 answer')
                continue
            ihl = (f[14] & 15) * 4
            proto, src, dst = f[23], f[26:30], f[30:34]
            l4 = f[14 + ihl:]
            if proto == 6:
                sport, dport, seq, ack, off_flags = struct.unpack_from('!HHIIH', l4, 0)
                if off_flags & 0x3F != 0x04 or sport != 80:
                    failures.append(f'tcp answer flags {off_flags & 0x3F:#x} sport {sport}')
                if dport in got_tcp:
                    failures.append(f'second reset to port {dport}')
                got_tcp[dport] = ('.'.join(map(str, dst)), seq)
            elif proto == 1:
                typ, code = l4[0], l4[1]
                quoted = l4[8:]
                qsport, qdport = struct.unpack_from('!HH', quoted, 20)
                if (typ, code) != (3, 3) or len(quoted) != 28:
                    failures.append(f'icmp answer {typ}/{code}, {len(quoted)} bytes quoted')
                got_udp.append(((('.'.join(map(str, dst))), qsport), quoted))
        if got_tcp != want_tcp:
            failures.append(f'resets: {len(got_tcp)} written, {len(want_tcp)} owed; '
                            f'differ at {sorted(set(got_tcp.items()) ^ set(want_tcp.items()))[:4]}')
        want_clients = sorted(c for c, _ in want_udp)
        if sorted(c for c, _ in got_udp) != want_clients:
            failures.append(f'icmp answers to {sorted(c for c, _ in got_udp)[:4]}..., owed to {want_clients[:4]}...')
        for (client, quoted), (_, payload) in zip(sorted(got_udp), sorted(want_udp)):
            # The quote: the datagram's IP header (to the UDP server) and its UDP header.
            qdst = '.'.join(map(str, quoted[16:20]))
            qdport, qlen = struct.unpack_from('!HH', quoted, 22)
            if qdst != '10.9.0.2' or qdport != 9999 or qlen != 8 + len(payload):
                failures.append(f'quote to {client}: {qdst}:{qdport} length {qlen}, sent {8 + len(payload)}')
    for f in failures:
        print('secreplay_reject: FAIL', f)
    if not failures:
        print(f'secreplay_reject: {len(want_tcp)} resets and {len(want_udp)} ICMP answers as owed, none else')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
