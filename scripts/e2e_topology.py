#!/usr/bin/env python3
"""The end-to-end topology (issue 8, docs/testing.md), as root:

    netns client                    QEMU (unikernel, inline)                netns server
    se-tap0 10.0.0.10/24  <->  port 0 (outside) | port 1 (inside)  <->  se-tap1 10.0.0.20/24
                                  appliance 10.0.0.2 (ARP, ping, UDP 7400)     python3 -m http.server 80

Order (QEMU's tap stays attached when the tap moves, docs/testing.md): create both taps,
start QEMU on them, then move each tap into its namespace. IPv6 is off on the taps (no router
solicitations or MLD in the counters). Everything is removed again by `down()`, which runs on
normal exit, on exceptions, on SIGTERM/SIGINT (atexit + signal handlers) - and `up()` first
clears leftovers of an earlier run that was killed hard.

    python3 scripts/e2e_topology.py --elf build/riscv/apps/unikernel/unikernel.elf shell
        brings the topology up, opens a shell, tears it down when the shell exits
    python3 scripts/e2e_topology.py down    removes leftovers

Library use: `with Topology(elf, www_dir) as t: t.client('curl', ...)`.
"""
import argparse
import atexit
import fcntl
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'qemu'))
import qemu_harness  # noqa: E402  (QEMU launcher conventions: UART reader, ready line, stats)

TAPS = ('se-tap0', 'se-tap1')
NETNS = ('client', 'server')
CLIENT_IP, SERVER_IP, APPLIANCE_IP = '10.0.0.10', '10.0.0.20', '10.0.0.2'
FLOOD_IP = '10.0.0.66'  # the flood's (spoofed) source; the e2e test adds it to `client` after the flood
LOCK = '/run/secengine-e2e.lock'


def sh(*cmd, check=True, **kw):
    return subprocess.run(list(cmd), check=check, capture_output=True, text=True, **kw)


def ns(name, *cmd, **kw):
    return sh('ip', 'netns', 'exec', name, *cmd, **kw)


def cleanup():
    """Removes namespaces and taps of this topology (idempotent)."""
    for n in NETNS:
        # Processes left in the namespace (http.server, tcpdump) die with the kill below.
        pids = sh('ip', 'netns', 'pids', n, check=False).stdout.split()
        for p in pids:
            try:
                os.kill(int(p), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        sh('ip', 'netns', 'del', n, check=False)
    for t in TAPS:
        sh('ip', 'link', 'del', t, check=False)


class TapAppliance(qemu_harness.Appliance):
    """qemu_harness.Appliance with two TAP netdevs instead of socket ones."""

    def __init__(self, elf, bootargs, legacy=True, log=None):
        import threading
        self.ports = []
        cmd = [qemu_harness.QEMU, '-machine', 'virt', '-bios', 'none', '-nographic', '-m', '128M', '-kernel', elf,
               '-append', bootargs, '-global', 'virtio-mmio.force-legacy=%s' % ('true' if legacy else 'false')]
        for i, tap in enumerate(TAPS):
            cmd += ['-netdev', 'tap,id=p%d,ifname=%s,script=no,downscript=no' % (i, tap),
                    '-device', 'virtio-net-device,netdev=p%d' % i]
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines = []
        self.cv = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.ready = self.wait_line(r'secengine: ready .*', 30)


class Topology:
    def __init__(self, elf, www=None, bootargs='ip=10.0.0.2/24', log_dir='/tmp'):
        self.elf, self.www, self.bootargs, self.log_dir = elf, www, bootargs, log_dir
        self.qemu = None
        self.http = None
        self.http_log = os.path.join(log_dir, 'e2e-http-server.log')
        self._lock = None
        self._down = False

    # --- lifecycle ---------------------------------------------------------------------
    def up(self):
        if os.geteuid() != 0:
            raise PermissionError('the e2e topology needs root (network namespaces, TAP devices)')
        self._lock = open(LOCK, 'w')
        fcntl.flock(self._lock, fcntl.LOCK_EX)  # one topology per machine: the names are fixed
        atexit.register(self.down)
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, self._on_signal)
        cleanup()
        for t in TAPS:
            sh('ip', 'tuntap', 'add', 'dev', t, 'mode', 'tap')
            sh('sysctl', '-qw', 'net.ipv6.conf.%s.disable_ipv6=1' % t)
        self.qemu = TapAppliance(self.elf, self.bootargs)
        for t, n, ip in ((TAPS[0], 'client', CLIENT_IP), (TAPS[1], 'server', SERVER_IP)):
            sh('ip', 'netns', 'add', n)
            sh('ip', 'link', 'set', t, 'netns', n)
            ns(n, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1')
            ns(n, 'sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1')
            ns(n, 'sysctl', '-qw', 'net.ipv6.conf.%s.disable_ipv6=1' % t)
            ns(n, 'ip', 'link', 'set', 'lo', 'up')
            ns(n, 'ip', 'addr', 'add', ip + '/24', 'dev', t)
            ns(n, 'ip', 'link', 'set', t, 'up')
        if self.www:
            log = open(self.http_log, 'w')
            # HTTP/1.1 so keep-alive works; the request log (stderr) is what "the server saw".
            self.http = subprocess.Popen(['ip', 'netns', 'exec', 'server', sys.executable, '-u', '-m', 'http.server', '80',
                                          '--bind', SERVER_IP, '--protocol', 'HTTP/1.1', '--directory', self.www],
                                         stdout=log, stderr=subprocess.STDOUT)
            deadline = time.time() + 10
            while time.time() < deadline:
                if ns('server', 'ss', '-ltn', 'sport = :80', check=False).stdout.count('LISTEN'):
                    break
                time.sleep(0.1)
            else:
                raise RuntimeError('http.server did not start; log:\n' + open(self.http_log).read())
        return self

    def _on_signal(self, signum, frame):
        self.down()
        sys.exit(128 + signum)

    def down(self):
        if self._down:
            return
        self._down = True
        if self.http and self.http.poll() is None:
            self.http.kill()
            self.http.wait()
        if self.qemu:
            self.qemu.close()
        cleanup()
        if self._lock:
            self._lock.close()

    def __enter__(self):
        try:
            return self.up()
        except BaseException:
            self.down()
            raise

    def __exit__(self, *exc):
        self.down()

    # --- helpers ------------------------------------------------------------------------
    def client(self, *cmd, **kw):
        return ns('client', *cmd, check=kw.pop('check', False), **kw)

    def server(self, *cmd, **kw):
        return ns('server', *cmd, check=kw.pop('check', False), **kw)

    def popen(self, name, *cmd, **kw):
        return subprocess.Popen(['ip', 'netns', 'exec', name, *cmd], **kw)

    def server_log(self):
        return open(self.http_log, errors='replace').read()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--elf', default=os.path.join(HERE, '..', 'build', 'riscv', 'apps', 'unikernel', 'unikernel.elf'))
    ap.add_argument('--www', default=None, help='directory served by http.server in `server`')
    ap.add_argument('--bootargs', default='ip=10.0.0.2/24')
    ap.add_argument('action', choices=['shell', 'down'])
    a = ap.parse_args()
    if a.action == 'down':
        cleanup()
        return 0
    with Topology(a.elf, a.www, a.bootargs) as t:
        print('topology up: ip netns exec client curl http://%s/ ; UART: %s' % (SERVER_IP, t.qemu.ready.group(0)))
        subprocess.run([os.environ.get('SHELL', '/bin/bash')])
    return 0


if __name__ == '__main__':
    sys.exit(main())
