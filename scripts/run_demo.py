#!/usr/bin/env python3
"""`make run`: boot the appliance inline between a traffic generator and a sink, show it filtering.

QEMU gets two unprivileged socket netdevs (no root, no TAP): port 0 "outside" faces the traffic
generator below, port 1 "inside" faces a small sink that plays the protected server (it answers
SYNs and HTTP requests, so replies cross the appliance too). The kernel's UART counter line
(once per second) is shown live. Traffic, by source:

  10.0.1.x   benign HTTP-like TCP conversations (SYN, ACK, GET, server reply) all along
  10.6.6.6   a UDP flood above the per-source threshold (stage 1: heavy hitter, penalty box)
  10.6.6.7   an Xmas scan over 200 ports (stage 3: scan)
  10.6.6.8   HTTP requests carrying SQL injection (stage 6: DPI signature)

Ends by itself after --seconds (default 20) or on Ctrl-C, with a summary table that counts what
an operator means per category - HTTP requests, UDP datagrams, scan probes - not packets: the
TCP handshake packets that carry a request are not counted, so "sql injection: sent 166, reached
the server 0" says that every injection was stopped (and its SYN, which carries nothing, passed).
"""
import argparse
import os
import random
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'qemu'))
from qemu_harness import ACK, FIN, HOST_A, HOST_B, PSH, SYN, URG, Appliance, eth, ip4, tcp, udp  # noqa: E402

SERVER = '10.0.0.20'
CATEGORIES = {'10.0.1.': 'benign', '10.6.6.6': 'flood', '10.6.6.7': 'xmas scan', '10.6.6.8': 'sql injection'}
# What one unit of each category is, and so what "sent" and "reached the server" count.
UNITS = {'benign': 'HTTP requests', 'flood': 'UDP datagrams', 'xmas scan': 'scan probes', 'sql injection': 'HTTP requests'}
SQLI = [b"GET /item?id=1' OR '1'='1 HTTP/1.1\r\nHost: shop\r\n\r\n",
        b"GET /search?q=x' UNION SELECT username,password FROM users-- HTTP/1.1\r\nHost: shop\r\n\r\n",
        b"POST /login HTTP/1.1\r\nHost: shop\r\nContent-Length: 30\r\n\r\nuser=admin' or 1=1--&pass=x"]


def category(src):
    for prefix, name in CATEGORIES.items():
        if src.startswith(prefix):
            return name
    return 'other'


class Demo:
    def __init__(self, elf, legacy, seconds):
        self.seconds = seconds
        self.sent = {k: 0 for k in CATEGORIES.values()}
        self.passed = {k: 0 for k in CATEGORIES.values()}
        self.replies = 0
        self.stop = threading.Event()
        self.uart_done = threading.Event()  # set before the final stats: the summary prints them once
        print('secengine demo: booting %s in QEMU (2 socket ports, %s VirtIO)' % (elf, 'legacy' if legacy else 'modern'))
        self.a = Appliance(elf, ports=2, legacy=legacy, bootargs='ip=10.0.0.2/24 mgmt_port=7400')
        print(' '.join(self.a.cmd))
        for line in self.a.lines:
            if line:
                print('  uart| ' + line)
        self.shown = len(self.a.lines)

    def send(self, cat, frame, unit=True):
        """Sends a frame; `unit` frames are what the category counts (a request, not its SYN)."""
        self.a.ports[0].send(frame)
        if unit:
            self.sent[cat] += 1

    @staticmethod
    def is_unit(cat, f):
        """Is this frame, seen at the sink, one unit of its category (see UNITS)?"""
        if cat in ('benign', 'sql injection'):
            return f[23] == 6 and len(f) > 47 and bool(f[47] & PSH)  # the request segment
        if cat == 'flood':
            return f[23] == 17
        return f[23] == 6  # every Xmas probe is one frame

    def sink(self):
        """Port 1: count what got through; answer like a web server would."""
        p = self.a.ports[1]
        while not self.stop.is_set():
            f = p.recv(0.1)
            if f is None or len(f) < 34 or f[12:14] != b'\x08\x00':
                continue
            src = '.'.join(str(b) for b in f[26:30])
            cat = category(src)
            if cat in self.passed and self.is_unit(cat, f):
                self.passed[cat] += 1
            if cat != 'benign' or f[23] != 6:
                continue
            sport, dport = int.from_bytes(f[34:36], 'big'), int.from_bytes(f[36:38], 'big')
            flags = f[47]
            if flags & SYN:
                reply = tcp(SERVER, src, dport, sport, SYN | ACK, seq=1000, ack=1)
            elif flags & PSH:
                reply = tcp(SERVER, src, dport, sport, PSH | ACK, seq=1001, ack=100,
                            payload=b'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello')
            else:
                continue
            p.send(eth(HOST_A, HOST_B, 0x0800, reply))

    def outside_listener(self):
        """Port 0: replies from the server crossing the appliance back to the clients."""
        while not self.stop.is_set():
            if self.a.ports[0].recv(0.1) is not None:
                self.replies += 1

    def uart(self):
        while not self.stop.is_set() and not self.uart_done.is_set():
            with self.a.cv:
                self.a.cv.wait(0.2)
                new = self.a.lines[self.shown:]
                self.shown = len(self.a.lines)
            for line in new:
                if line is None:
                    print('  uart| <QEMU exited>')
                    self.stop.set()
                    return
                print('  uart| ' + line)

    def traffic(self):
        rng = random.Random(7)
        start = time.time()
        conv = 0
        phase_shown = set()

        def phase(name, text):
            if name not in phase_shown:
                phase_shown.add(name)
                print('  gen | t=%4.1fs %s' % (time.time() - start, text))
        while not self.stop.is_set():
            t = time.time() - start
            if t >= self.seconds:
                break
            # benign: a few conversations per tick from 10.0.1.x
            for _ in range(3):
                conv += 1
                c = '10.0.1.%d' % (1 + conv % 200)
                sp = 20000 + conv % 40000
                self.send('benign', eth(HOST_B, HOST_A, 0x0800, tcp(c, SERVER, sp, 80, SYN, seq=0)), unit=False)
                self.send('benign', eth(HOST_B, HOST_A, 0x0800, tcp(c, SERVER, sp, 80, ACK, seq=1, ack=1001)), unit=False)
                self.send('benign', eth(HOST_B, HOST_A, 0x0800, tcp(c, SERVER, sp, 80, PSH | ACK, seq=1, ack=1001,
                                                                     payload=b'GET /index.html HTTP/1.1\r\nHost: shop\r\n\r\n')))
            phase('benign', 'benign HTTP-like TCP from 10.0.1.0/24 (all along)')
            if 4 <= t < 8:   # UDP flood from one source, ~4000 frames/s for 4 s (threshold: 2000/s)
                phase('flood', 'UDP flood from 10.6.6.6 starts (~4000 pps)')
                for _ in range(40):
                    self.send('flood', eth(HOST_B, HOST_A, 0x0800, udp('10.6.6.6', SERVER, rng.randrange(1024, 65535), 80, b'x' * 64)))
            if 10 <= t < 12:  # Xmas scan: FIN+PSH+URG probes over 200 ports
                phase('xmas', 'Xmas scan from 10.6.6.7 over ports 1-200')
                for _ in range(2):
                    port = 1 + self.sent['xmas scan'] % 200
                    self.send('xmas scan', eth(HOST_B, HOST_A, 0x0800, tcp('10.6.6.7', SERVER, 40000, port, FIN | PSH | URG)))
            if 14 <= t < 16:  # SQL injection in HTTP requests on established-looking flows
                phase('sqli', 'SQL injection requests from 10.6.6.8')
                sp = 50000 + self.sent['sql injection']
                self.send('sql injection', eth(HOST_B, HOST_A, 0x0800, tcp('10.6.6.8', SERVER, sp, 80, SYN)), unit=False)
                self.send('sql injection', eth(HOST_B, HOST_A, 0x0800, tcp('10.6.6.8', SERVER, sp, 80, PSH | ACK, seq=1, ack=1,
                                                                            payload=rng.choice(SQLI))))
            time.sleep(0.01)

    def run(self):
        threads = [threading.Thread(target=f, daemon=True) for f in (self.sink, self.outside_listener, self.uart)]
        for th in threads:
            th.start()
        try:
            self.traffic()
            time.sleep(1.5)  # let the last counter line come out
            self.uart_done.set()
            threads[2].join(1)
            st = self.a.stats()
        except KeyboardInterrupt:
            print('\ninterrupted')
            st = None
        finally:
            self.stop.set()
            for th in threads:
                th.join(1)
            self.a.close()
        print('\n%-14s %-14s %8s %18s %8s' % ('traffic', 'counted in', 'sent', 'reached the server', 'stopped'))
        for k in self.sent:
            print('%-14s %-14s %8d %18d %8d' % (k, UNITS[k], self.sent[k], self.passed[k], self.sent[k] - self.passed[k]))
        print('server replies that crossed back to the outside: %d' % self.replies)
        print('("reached the server" = the request itself (not its handshake), datagram or probe arrived behind'
              ' the appliance; "stopped" = dropped by the kernel, or lost in the host socket buffers while the'
              ' flood ran: the kernel\'s own packet counts below are exact)')
        if st:
            reasons = {k: v for k, v in st.items() if k not in ('t', 'rx', 'fwd', 'drop', 'self', 'echo', 'arp', 'ping',
                                                                'mgmt', 'insns', 'frames', 'flows', 'hh')}
            print('kernel (packets): rx=%d forwarded=%d dropped=%d to-self=%d flows=%d banned=%d' % (
                st['rx'], st['fwd'], st['drop'], st['self'], st['flows'], st['hh']))
            print('kernel drops by reason: ' + (', '.join('%s=%d' % kv for kv in reasons.items()) or 'none'))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--elf', default='build/riscv/apps/unikernel/unikernel.elf')
    ap.add_argument('--seconds', type=float, default=20)
    ap.add_argument('--modern', action='store_true', help='VirtIO 1.x (default: legacy)')
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    Demo(args.elf, not args.modern, args.seconds).run()


if __name__ == '__main__':
    main()
