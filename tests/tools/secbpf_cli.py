#!/usr/bin/env python3
"""secbpf's command line (apps/secbpf, one function per command): every command works on a small
program (asm -> raw bytes -> disasm round trip, verify, run --raw, test on .data files that pass
and fail, plugin), and every usage error exits 64 naming the bad token, with "did you mean" for a
mistyped command; an input that fails (unreadable, rejected) exits 1. Temporary files only.

usage: secbpf_cli.py SECBPF
"""
import os
import subprocess
import sys
import tempfile

PROGRAM = 'mov %r0, 7\nadd %r0, 35\nexit\n'


def run(exe, *args, stdin=None):
    r = subprocess.run([exe] + list(args), capture_output=True, text=True, timeout=60, input=stdin)
    return r.returncode, r.stdout + r.stderr


def expect(got, rc, *needles, absent=()):
    code, out = got
    assert code == rc, (rc, got)
    for n in needles:
        assert n in out, (n, got)
    for n in absent:
        assert n not in out, (n, got)
    return out


def main():
    exe = sys.argv[1]
    with tempfile.TemporaryDirectory() as d:
        s, b = os.path.join(d, 'p.s'), os.path.join(d, 'p.bin')
        with open(s, 'w') as f:
            f.write(PROGRAM)
        # Every command on a good input.
        out = expect(run(exe, 'asm', s), 0)
        words = out.split()
        assert len(words) == 3 and all(w.startswith('0x') and len(w) == 18 for w in words), out
        expect(run(exe, 'asm', s, '-o', b), 0)
        assert os.path.getsize(b) == 24
        dis = expect(run(exe, 'disasm', b), 0, 'exit')
        again = os.path.join(d, 'again.s')
        with open(again, 'w') as f:
            f.write(dis)
        assert run(exe, 'asm', again) == run(exe, 'asm', s), 'disasm output does not assemble to the same bytes'
        expect(run(exe, 'verify', s, '--raw'), 0, 'ok: 3 instructions')
        pkt = os.path.join(d, 'frame.bin')
        with open(pkt, 'wb') as f:
            f.write(bytes(64))
        expect(run(exe, 'run', '--raw', b, '--packet', pkt), 0, 'return=42')
        good, bad = os.path.join(d, 'good.data'), os.path.join(d, 'bad.data')
        with open(good, 'w') as f:
            f.write('-- asm\n' + PROGRAM + '-- result\n0x2a\n')
        with open(bad, 'w') as f:
            f.write('-- asm\n' + PROGRAM + '-- result\n41\n')
        expect(run(exe, 'test', good), 0, 'PASS good.data', '1 passed, 0 failed')
        expect(run(exe, 'test', good, bad), 1, 'FAIL bad.data: r0=0x2a expected 0x29', '1 passed, 1 failed')
        expect(run(exe, 'test', '--negative', bad), 0, 'PASS bad.data: result differs')
        # plugin: program bytes as hex on stdin, r0 in hex out.
        with open(b, 'rb') as f:
            hexprog = f.read().hex()
        expect(run(exe, 'plugin', stdin=hexprog), 0, '2a')
        expect(run(exe, 'plugin', stdin='abc'), 1, 'bad input encoding')
        expect(run(exe, 'embed', b, '--name', 'p'), 0, 'inline constexpr insn p_insns[]')
        # Inputs that fail: exit 1, naming the file or the reason.
        missing = os.path.join(d, 'missing.s')
        expect(run(exe, 'verify', missing), 1, 'cannot read ' + missing)
        odd = os.path.join(d, 'odd.bin')
        with open(odd, 'wb') as f:
            f.write(bytes(12))
        expect(run(exe, 'disasm', odd), 1, '12 bytes, not a positive multiple of 8')
        bad_s = os.path.join(d, 'bad.s')
        with open(bad_s, 'w') as f:
            f.write('mov %r0, 1\nfrob %r1\nexit\n')
        expect(run(exe, 'asm', bad_s), 1, 'line 2')
        # Usage errors: 64, the bad token named, nothing taken silently.
        expect(run(exe), 64, 'usage: secbpf COMMAND')
        expect(run(exe, 'verfy', s), 64, "unknown command 'verfy' (did you mean verify?)")
        expect(run(exe, 'frobnicate'), 64, "unknown command 'frobnicate'", absent=('did you mean',))
        expect(run(exe, 'asm'), 64, 'usage: secbpf asm')
        expect(run(exe, 'asm', s, '-x'), 64, "unexpected '-x'")
        expect(run(exe, 'asm', s, '-o'), 64, '-o wants a value')
        expect(run(exe, 'disasm', b, 'extra'), 64, 'usage: secbpf disasm')
        expect(run(exe, 'embed', b, '--nam', 'x'), 64, "unexpected '--nam'")
        expect(run(exe, 'verify', s, '--frob'), 64, "unknown option '--frob'")
        expect(run(exe, 'verify', s, '--limits'), 64, "--limits must be host or appliance, got ''")
        expect(run(exe, 'run', '--raw', b), 64, 'usage: secbpf run')
        expect(run(exe, 'run', '--raw', b, '--packet'), 64, '--packet wants a value')
        expect(run(exe, 'run', '--raw', b, '--packt', pkt), 64, "unknown argument '--packt'")
        expect(run(exe, 'test'), 64, 'usage: secbpf test')
        expect(run(exe, 'test', '--neg', good), 64, "unknown option '--neg'")
        out = expect(run(exe, 'help'), 0, 'exit: 0 ok, 1 the input failed')
        for cmd in ('asm', 'disasm', 'verify', 'run', 'test', 'embed', 'plugin'):
            assert '\n  ' + cmd + ' ' in out, (cmd, out)
    print('ok: every secbpf command works, every usage error exits 64 and names the token')


if __name__ == '__main__':
    main()
