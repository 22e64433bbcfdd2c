#!/usr/bin/env python3
"""`secbpf verify --limits appliance` (apps/common/appliance_fit.hpp): a program longer than the
appliance's slot verifies with host limits, and is refused against the appliance's slot with
both numbers named; one that fits passes both; a bad option is a usage error (64).

usage: secbpf_limits.py SECBPF
"""
import os
import subprocess
import sys
import tempfile


def program(n):
    return 'mov %r0, 2\n' + 'add %r0, 0\n' * (n - 2) + 'exit\n'


def verify(secbpf, path, *opts):
    r = subprocess.run([secbpf, 'verify', path] + list(opts), capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


def main():
    secbpf = sys.argv[1]
    with tempfile.TemporaryDirectory() as d:
        long_s, short_s = os.path.join(d, 'long.s'), os.path.join(d, 'short.s')
        with open(long_s, 'w') as f:
            f.write(program(74))
        with open(short_s, 'w') as f:
            f.write(program(10))
        rc, out = verify(secbpf, long_s)
        assert rc == 0 and out.startswith('ok: 74 instructions') and 'host limits' in out, out
        rc, out = verify(secbpf, long_s, '--limits', 'appliance')
        assert rc == 1 and "too_large: 74 instructions, the appliance's slot holds 64" in out, out
        rc, out = verify(secbpf, short_s, '--limits', 'appliance')
        assert rc == 0 and "fits the appliance's slot" in out, out
        rc, out = verify(secbpf, short_s, '--limits', 'kernel')
        assert rc == 64 and "--limits must be host or appliance, got 'kernel'" in out, out
        rc, out = verify(secbpf, short_s, '--frob')
        assert rc == 64 and "unknown option '--frob'" in out, out
    print('ok: secbpf verify --limits appliance names the slot')


if __name__ == '__main__':
    main()
