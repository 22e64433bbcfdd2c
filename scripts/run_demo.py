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

Every TCP conversation is a real one, driven by what crosses the appliance: the client sends a
SYN; only when the server's SYN-ACK comes back through the appliance does it send the ACK and its
request; the server answers the request and closes with FIN, the client closes too. So the
appliance's TCP checks (stream normaliser, flow admission) see ordinary TCP, flows end and leave
the table, and an injection is stopped by what looks at its payload, not by a broken handshake.

Ends by itself after --seconds (default 20) or on Ctrl-C, with a summary table that counts what
an operator means per category - HTTP conversations or requests, UDP datagrams, scan probes - not
packets: "benign: sent 1800, reached the server 1800" says every benign request was served, and
"sql injection: sent 130, reached the server 0" that every injection was stopped (its handshake,
which carries nothing, passed). The kernel's drop reasons close the summary.
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
UNITS = {'benign': 'conversations', 'flood': 'UDP datagrams', 'xmas scan': 'scan probes', 'sql injection': 'HTTP requests'}
BENIGN_REQUEST = b'GET /index.html HTTP/1.1\r\nHost: shop\r\n\r\n'
RESPONSE = b'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'
CLIENT_ISN, SERVER_ISN = 0, 1000
# Injections as a browser or sqlmap sends them: URL-encoded in the query, form-encoded in a body
# of the length announced (a malformed request line would test the parser, not the detector).
SQLI = [b"GET /item?id=1%27%20OR%20%271%27%3D%271 HTTP/1.1\r\nHost: shop\r\n\r\n",
        b"GET /search?q=x%27%20UNION%20SELECT%20username%2Cpassword%20FROM%20users--%20 HTTP/1.1\r\nHost: shop\r\n\r\n",
        b"POST /login HTTP/1.1\r\nHost: shop\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 32\r\n\r\nuser=admin%27%20or%201%3D1--&p=x"]


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
        self.count_lock = threading.Lock()  # the traffic thread and the outside listener both send
        self.requests = {}  # client (ip, port) -> its request: sent once the SYN-ACK crossed back
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
        """Sends a frame from the outside; `unit` frames are what the category counts (a benign
        conversation's SYN, an injection request, a datagram, a probe)."""
        self.a.ports[0].send(frame)
        if unit:
            with self.count_lock:
                self.sent[cat] += 1

    @staticmethod
    def is_unit(cat, f):
        """Is this frame, seen at the sink, one unit of its category (see UNITS)?"""
        if cat in ('benign', 'sql injection'):
            return f[23] == 6 and len(f) > 47 and bool(f[47] & PSH)  # the request segment
        if cat == 'flood':
            return f[23] == 17
        return f[23] == 6  # every Xmas probe is one frame

    @staticmethod
    def tcp_fields(f):
        """(src, dst, sport, dport, seq, ack, flags, payload) of an Ethernet/IPv4/TCP frame."""
        ihl = (f[14] & 15) * 4
        t = 14 + ihl
        doff = (f[t + 12] >> 4) * 4
        total = int.from_bytes(f[16:18], 'big')
        src, dst = '.'.join(str(b) for b in f[26:30]), '.'.join(str(b) for b in f[30:34])
        return (src, dst, int.from_bytes(f[t:t + 2], 'big'), int.from_bytes(f[t + 2:t + 4], 'big'),
                int.from_bytes(f[t + 4:t + 8], 'big'), int.from_bytes(f[t + 8:t + 12], 'big'), f[t + 13],
                f[t + doff:14 + total])

    def sink(self):
        """Port 1: count what got through; answer like a web server would (SYN-ACK, the
        response, then FIN; the client's FIN is acknowledged)."""
        p = self.a.ports[1]
        while not self.stop.is_set():
            f = p.recv(0.1)
            if f is None or len(f) < 34 or f[12:14] != b'\x08\x00':
                continue
            src = '.'.join(str(b) for b in f[26:30])
            cat = category(src)
            if cat in self.passed and self.is_unit(cat, f):
                with self.count_lock:
                    self.passed[cat] += 1
            if cat not in ('benign', 'sql injection') or f[23] != 6:
                continue
            src, _, sport, dport, seq, _, flags, payload = self.tcp_fields(f)
            rseq = SERVER_ISN + 1 + len(RESPONSE)
            if flags & SYN:
                reply = [tcp(SERVER, src, dport, sport, SYN | ACK, seq=SERVER_ISN, ack=seq + 1)]
            elif payload:  # the request: the response, and the server closes (HTTP/1.0 style)
                end = seq + len(payload)
                reply = [tcp(SERVER, src, dport, sport, PSH | ACK, seq=SERVER_ISN + 1, ack=end, payload=RESPONSE),
                         tcp(SERVER, src, dport, sport, FIN | ACK, seq=rseq, ack=end)]
            elif flags & FIN:  # the client's FIN: the last ACK
                reply = [tcp(SERVER, src, dport, sport, ACK, seq=rseq + 1, ack=seq + 1)]
            else:
                continue
            for r in reply:
                p.send(eth(HOST_A, HOST_B, 0x0800, r))

    def outside_listener(self):
        """Port 0: the server's segments crossing the appliance back to the clients. A SYN-ACK
        lets the client send its ACK and request; the server's FIN gets the client's FIN-ACK."""
        p = self.a.ports[0]
        while not self.stop.is_set():
            f = p.recv(0.1)
            if f is None:
                continue
            self.replies += 1
            if len(f) < 54 or f[12:14] != b'\x08\x00' or f[23] != 6:
                continue
            _, client, sport, cport, seq, ack, flags, _ = self.tcp_fields(f)
            cat = category(client)
            with self.count_lock:
                request = self.requests.get((client, cport))
            if request is None:
                continue
            if flags & SYN and flags & ACK:
                self.send(cat, eth(HOST_B, HOST_A, 0x0800, tcp(client, SERVER, cport, sport, ACK, seq=ack, ack=seq + 1)),
                          unit=False)
                self.send(cat, eth(HOST_B, HOST_A, 0x0800, tcp(client, SERVER, cport, sport, PSH | ACK, seq=ack,
                                                                ack=seq + 1, payload=request)), unit=cat != 'benign')
            elif flags & FIN:
                self.send(cat, eth(HOST_B, HOST_A, 0x0800, tcp(client, SERVER, cport, sport, FIN | ACK, seq=ack,
                                                                ack=seq + 1)), unit=False)
                with self.count_lock:
                    self.requests.pop((client, cport), None)

    def open_conversation(self, cat, client, port, request):
        """A client's SYN; its request follows when the SYN-ACK comes back (outside_listener)."""
        with self.count_lock:
            self.requests[(client, port)] = request
        self.send(cat, eth(HOST_B, HOST_A, 0x0800, tcp(client, SERVER, port, 80, SYN, seq=CLIENT_ISN)),
                  unit=cat == 'benign')

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
        conv = sqli = 0
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
                self.open_conversation('benign', '10.0.1.%d' % (1 + conv % 200), 20000 + conv % 40000, BENIGN_REQUEST)
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
            if 14 <= t < 16:  # SQL injection in HTTP requests, each on its own handshaken connection
                phase('sqli', 'SQL injection requests from 10.6.6.8')
                sqli += 1
                self.open_conversation('sql injection', '10.6.6.8', 50000 + sqli, rng.choice(SQLI))
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
