#!/usr/bin/env python3
"""secconsole's scripted flags end to end, without a window (--null): a bad flag value exits 64
naming the token before anything is sent; an appliance that never answers is reported as
waiting, with the reason, not with numbers.

usage: scripted_flags.py SECCONSOLE
"""
import socket
import subprocess
import sys


def run(exe, *args):
    r = subprocess.run([exe] + list(args), capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def main():
    exe = sys.argv[1]
    rc, out = run(exe, '--null', '--block', '70000')
    assert rc == 64 and '--block port must be 1..65535, got 70000' in out, (rc, out)
    rc, out = run(exe, '--null', '--appliance', '10.0.0.2:abc')
    assert rc == 64 and "--appliance port must be 1..65535, got 'abc'" in out, (rc, out)
    rc, out = run(exe, '--null', '--blok', '22')
    assert rc == 64 and "unknown option '--blok' (did you mean --block?)" in out, (rc, out)
    rc, out = run(exe, '--null', '--frobnicate')
    assert rc == 64 and "unknown option '--frobnicate'" in out and 'did you mean' not in out, (rc, out)
    rc, out = run(exe, '--help')
    assert rc == 0 and '--block PORT' in out and '--generate S:PPS:SECS' in out, (rc, out)
    # A UDP port on 127.0.0.1 that nobody answers on: the console must not show it as live.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    rc, out = run(exe, '--null', '--appliance', '127.0.0.1:%d' % port, '--frames', '10', '--no-subscribe')
    s.close()
    assert rc == 0, (rc, out)
    assert '[waiting for telemetry] no authenticated reply' in out, out
    assert '[live]' not in out, out
    print('ok: scripted flags checked; a silent appliance is shown as waiting, with the reason')


if __name__ == '__main__':
    main()
