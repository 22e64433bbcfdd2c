#!/usr/bin/env python3
"""Writes the benchmark capture: browser-like HTTP sessions (keep-alive, several requests per
connection, realistic headers, HTML responses of a few KiB) plus some DNS, deterministic.
    gen_traffic.py OUT.pcap [--sessions N]
"""
import os
import random
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'http'))
from pcapgen import PcapWriter, TcpSession, udp  # noqa: E402

PATHS = ['/', '/index.html', '/static/app.js', '/static/site.css', '/img/hero.jpg', '/search?q=winter+boots&page=2',
         '/api/v2/cart/items?session=8f2a', '/blog/2024/05/a-long-article-title-with-words', '/account/settings', '/help/faq']


def main():
    out = sys.argv[1]
    sessions = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    rng = random.Random(5)
    w = PcapWriter(out)
    for k in range(sessions):
        s = TcpSession(w, ('203.0.113.%d' % (1 + k % 200), 30000 + k % 30000), ('10.0.0.20', 80))
        s.open()
        for _ in range(rng.randint(1, 4)):
            path = rng.choice(PATHS)
            req = (f'GET {path} HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:121.0) '
                   f'Gecko/20100101 Firefox/121.0\r\nAccept: text/html,application/xhtml+xml,*/*;q=0.8\r\n'
                   f'Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: identity\r\nCookie: sid={rng.getrandbits(64):x}\r\n'
                   f'Referer: https://www.example.com/\r\nConnection: keep-alive\r\n\r\n').encode()
            s.client(req)
            body = (b'<html><head><title>page</title></head><body>' + b'<p>lorem ipsum dolor sit amet</p>' * rng.randint(10, 120) +
                    b'</body></html>')
            s.server(b'HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n' % len(body) + body)
        s.close()
        if k % 10 == 0:
            q = struct.pack('!HHHHHH', k & 0xFFFF, 0x0100, 1, 0, 0, 0) + b'\x03www\x07example\x03com\x00' + struct.pack('!HH', 1, 1)
            udp(w, ('10.0.0.30', 40000 + k % 20000), ('10.0.0.53', 53), q)
    w.close()
    print(w.count, file=sys.stderr)


if __name__ == '__main__':
    main()
