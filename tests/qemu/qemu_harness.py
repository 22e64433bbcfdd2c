"""Boot the secengine unikernel in QEMU with unprivileged socket netdevs and exchange frames.

Python standard library only. Each port is a QEMU `-netdev socket,udp=127.0.0.1:A,localaddr=
127.0.0.1:B`: QEMU sends the guest's frames as UDP datagrams to A (where this harness listens)
and accepts frames on B (where this harness sends), one Ethernet frame per datagram.
The kernel's UART (QEMU stdio) is read line by line; writing `s` to it asks for a stats line.
"""
import os
import random
import re
import select
import socket
import struct
import subprocess
import threading
import time

QEMU = os.environ.get('QEMU', 'qemu-system-riscv64')
KERNEL_MAC = [bytes.fromhex('525400123456'), bytes.fromhex('525400123457')]
KERNEL_IP = '10.0.0.2'


# --- frames -------------------------------------------------------------------------------
def mac(s):
    return bytes.fromhex(s.replace(':', ''))


def ip4(s):
    return socket.inet_aton(s)


def csum(data):
    """RFC 1071 Internet checksum."""
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def eth(dst, src, ethertype, payload):
    return dst + src + struct.pack('!H', ethertype) + payload


def ipv4(src, dst, proto, payload, ttl=64, ident=0, frag=0, options=b'', total=None, ihl=None):
    hl = 20 + len(options)
    ihl = hl // 4 if ihl is None else ihl
    total = hl + len(payload) if total is None else total
    hdr = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, total, ident, frag, ttl, proto, 0, ip4(src), ip4(dst)) + options
    hdr = hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:]
    return hdr + payload


def _l4_csum(src, dst, proto, seg):
    return csum(ip4(src) + ip4(dst) + struct.pack('!BBH', 0, proto, len(seg)) + seg)


def tcp(src, dst, sport, dport, flags, seq=0, ack=0, payload=b'', window=65535):
    seg = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 0x50, flags, window, 0, 0) + payload
    c = _l4_csum(src, dst, 6, seg)
    return ipv4(src, dst, 6, seg[:16] + struct.pack('!H', c) + seg[18:])


def udp(src, dst, sport, dport, payload=b''):
    seg = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    c = _l4_csum(src, dst, 17, seg) or 0xffff
    return ipv4(src, dst, 17, seg[:6] + struct.pack('!H', c) + seg[8:])


def icmp_echo(src, dst, ident, seq, data=b'', type_=8):
    msg = struct.pack('!BBHHH', type_, 0, 0, ident, seq) + data
    msg = msg[:2] + struct.pack('!H', csum(msg)) + msg[4:]
    return ipv4(src, dst, 1, msg)


def arp(op, sha, spa, tha, tpa):
    return struct.pack('!HHBBH6s4s6s4s', 1, 0x0800, 6, 4, op, sha, ip4(spa), tha, ip4(tpa))


FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
HOST_A = mac('02:00:00:00:00:0a')  # "outside" client, on port 0
HOST_B = mac('02:00:00:00:00:0b')  # "inside" server, on port 1
BCAST = b'\xff' * 6


def pad60(frame):
    return frame + b'\0' * max(0, 60 - len(frame))


# --- QEMU ---------------------------------------------------------------------------------
def _free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Port:
    """Host end of one QEMU socket netdev."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        self.sock.bind(('127.0.0.1', 0))
        self.listen = self.sock.getsockname()[1]   # QEMU sends here
        self.qemu = _free_udp_port()               # QEMU listens here

    def netdev(self, i):
        return 'socket,id=p%d,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d' % (i, self.listen, self.qemu)

    def send(self, frame):
        self.sock.sendto(frame, ('127.0.0.1', self.qemu))

    def recv(self, timeout=2.0):
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return None
        return self.sock.recv(65536)

    def drain(self, quiet=0.3):
        out = []
        while True:
            f = self.recv(quiet)
            if f is None:
                return out
            out.append(f)


class McastPort(Port):
    """Host end of a QEMU multicast socket netdev (a shared segment; QEMU hears itself too)."""

    def __init__(self):
        self.group = '239.192.77.%d' % random.randrange(1, 250)
        self.port = _free_udp_port()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind((self.group, self.port))
        lo = socket.inet_aton('127.0.0.1')
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(self.group) + lo)
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, lo)
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)

    def netdev(self, i):
        return 'socket,id=p%d,mcast=%s:%d,localaddr=127.0.0.1' % (i, self.group, self.port)

    def send(self, frame):
        self.sock.sendto(frame, (self.group, self.port))


class Appliance:
    """One QEMU running the kernel; `ports` socket netdevs; UART lines collected."""

    def __init__(self, elf, ports=2, legacy=True, bootargs='ip=10.0.0.2/24', extra=(), wait_ready=True, mcast=False,
                 state=None):
        """`state`: a state image path; then `elf` is the flash image (unikernel.flash) and the
        kernel boots from pflash bank 0 with the state in bank 1 (docs/unikernel.md, "Fixed interfaces"; no
        -kernel, no -append: the boot configuration is in the state image).
        `mcast`: every port on a multicast segment; 'first': only port 0 (inline tests with
        secctl: a forwarded frame keeps its sender's MAC, so a multicast port 1 would hear it
        back and loop it)."""
        self.ports = [McastPort() if mcast is True or (mcast == 'first' and i == 0) else Port() for i in range(ports)]
        if '-icount' in extra and 'icount=' not in bootargs:
            bootargs += ' icount=1'  # minstret counts instructions: the kernel may report them
        if state is None:
            boot = ['-kernel', elf, '-append', bootargs]
        else:
            boot = ['-drive', 'if=pflash,unit=0,format=raw,readonly=on,file=%s' % elf,
                    '-drive', 'if=pflash,unit=1,format=raw,file=%s' % state]
        cmd = [QEMU, '-machine', 'virt', '-bios', 'none', '-nographic', '-m', '128M'] + boot + [
               '-global', 'virtio-mmio.force-legacy=%s' % ('true' if legacy else 'false')]
        for i, p in enumerate(self.ports):
            cmd += ['-netdev', p.netdev(i), '-device', 'virtio-net-device,netdev=p%d' % i]
        cmd += list(extra)
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines = []
        self.cv = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if wait_ready:
            self.ready = self.wait_line(r'secengine: ready ', 20)

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode('utf-8', 'replace').rstrip('\r\n')
            with self.cv:
                self.lines.append(line)
                self.cv.notify_all()
        with self.cv:
            self.lines.append(None)  # EOF marker
            self.cv.notify_all()

    def wait_line(self, pattern, timeout=10, start=0):
        """Waits for a UART line matching `pattern` (from line index `start`); returns the match."""
        rx = re.compile(pattern)
        deadline = time.time() + timeout
        i = start
        with self.cv:
            while True:
                while i < len(self.lines):
                    line = self.lines[i]
                    i += 1
                    if line is None:
                        raise AssertionError('QEMU exited before %r; UART:\n%s' % (pattern, self.uart()))
                    m = rx.search(line)
                    if m:
                        self.last_index = i
                        return m
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError('timeout waiting for %r; UART:\n%s' % (pattern, self.uart()))
                self.cv.wait(left)

    def uart(self):
        return '\n'.join(l for l in self.lines if l is not None)

    def stats(self, timeout=5):
        """Asks for a stats line now and returns it as a dict of ints."""
        with self.cv:
            start = len(self.lines)
        self.proc.stdin.write(b's')
        self.proc.stdin.flush()
        m = self.wait_line(r'secengine: stats (.*)', timeout, start)
        return {k: int(v) for k, v in (kv.split('=') for kv in m.group(1).split())}

    def wait_rx(self, n, timeout=20):
        """Polls stats until the kernel has taken `n` frames (rx + echo) off its rings."""
        deadline = time.time() + timeout
        while True:
            st = self.stats()
            if st['rx'] + st['echo'] >= n or time.time() > deadline:
                return st
            time.sleep(0.002)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for p in self.ports:
            p.sock.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def check_invariant(st):
    """rx == fwd + drop + self, and the per-reason drops add up to drop."""
    assert st['rx'] == st['fwd'] + st['drop'] + st['self'], st
    known = {'t', 'rx', 'fwd', 'drop', 'self', 'echo', 'arp', 'ping', 'mgmt', 'insns', 'frames', 'flows', 'hh',
             'engine_insns', 'stack_max', 'passes', 'doorbells'}
    reasons = sum(v for k, v in st.items() if k not in known)
    assert reasons == st['drop'], ('per-reason drops do not add up', st)
