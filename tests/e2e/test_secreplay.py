"""secreplay on captures written by gen_pcap (library frame builders): counters equal what the
generator states, pass/drop pcaps partition the input, EVE lines are well-formed Suricata-style
alerts, pcapng reads the same, and bad input (truncated, corrupt, wrong link type) exits 2
with a clear message.  usage: test_secreplay.py SECREPLAY GEN_PCAP"""
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

secreplay, gen = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what)
    if not cond:
        failures.append(what)


def kv(text):
    out = {}
    for line in text.splitlines():
        if '=' in line and not line.startswith('alert '):
            k, v = line.split('=', 1)
            out[k] = v
    return out


def records(path):
    """(offset, caplen) of each record of a classic little-endian pcap."""
    data = open(path, 'rb').read()
    assert data[:4] == b'\xd4\xc3\xb2\xa1', 'gen_pcap writes little-endian microsecond pcaps'
    off, out = 24, []
    while off < len(data):
        caplen = struct.unpack_from('<I', data, off + 8)[0]
        out.append((off, caplen))
        off += 16 + caplen
    return data, out


def run(*args):
    return subprocess.run([secreplay, *args], capture_output=True, text=True, timeout=60)


tmp = tempfile.mkdtemp(prefix='secreplay-test-')
try:
    subprocess.run([gen, tmp], check=True)
    mixed = os.path.join(tmp, 'mixed.pcap')
    expected = kv(open(os.path.join(tmp, 'expected.txt')).read())
    passed_pcap, dropped_pcap = os.path.join(tmp, 'pass.pcap'), os.path.join(tmp, 'drop.pcap')

    # Counters: exactly what the generator says it put in.
    r = run('--quiet', '--pass-out', passed_pcap, '--drop-out', dropped_pcap, mixed)
    check(r.returncode == 0, 'replay exits 0 (stderr: %s)' % r.stderr.strip())
    got = kv(r.stdout)
    for k, v in sorted(expected.items()):
        if k == 'benign_packets':
            continue
        check(got.get(k) == v, '%s = %s (got %s)' % (k, v, got.get(k)))
    check(int(got['passed']) + int(got['dropped']) == int(got['packets']), 'passed + dropped == packets')
    check(float(got.get('packets_per_second', 0)) > 0, 'packets/s reported')

    # The pass and drop pcaps partition the input.
    _, pr = records(passed_pcap)
    _, dr = records(dropped_pcap)
    check(len(pr) == int(got['passed']), 'pass-out holds the %s passed packets (%d)' % (got['passed'], len(pr)))
    check(len(dr) == int(got['dropped']), 'drop-out holds the %s dropped packets (%d)' % (got['dropped'], len(dr)))
    # Replaying what passed drops nothing (no benign packet depended on an attack's state).
    r2 = kv(run('--quiet', passed_pcap).stdout)
    check(r2.get('dropped') == '0', 'replaying pass-out drops nothing (dropped=%s)' % r2.get('dropped'))
    # Replaying what was dropped: every drop decided by the packet alone happens again (the
    # split signature's second half and the flood, below the threshold on its own, pass). The
    # requests come without their handshakes: --pickup lets them start flows (without it they
    # are no_flow drops, checked below).
    r3 = kv(run('--quiet', '--pickup', dropped_pcap).stdout)
    check(r3.get('drop.scan') == expected['drop.scan'] and r3.get('drop.ebpf') == expected['drop.ebpf'] and
          r3.get('drop.dpi_signature') == str(int(expected['drop.dpi_signature']) - 1),
          'replaying drop-out: scans, eBPF and whole-packet signatures dropped again (%s)' % r3)
    r4 = kv(run('--quiet', dropped_pcap).stdout)
    check(r4.get('drop.no_flow') == str(int(expected['drop.dpi_signature'])) and r4.get('drop.dpi_signature') is None,
          'replaying drop-out without --pickup: the handshake-less requests are no_flow drops (%s)' % r4)

    # EVE: one JSON object per line, Suricata's alert shape; counters on stderr.
    r = run('--eve', mixed)
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    check(len(lines) == int(expected['alerts']), 'EVE: %s alert lines (got %d)' % (expected['alerts'], len(lines)))
    sids = {}
    ok_shape = True
    for l in lines:
        e = json.loads(l)
        a = e.get('alert', {})
        ok_shape &= e.get('event_type') == 'alert' and 'timestamp' in e and 'src_ip' in e and 'dest_ip' in e and 'proto' in e
        ok_shape &= all(k in a for k in ('action', 'signature_id', 'signature', 'category', 'severity'))
        ok_shape &= a.get('action') == 'blocked' and 1 <= a.get('severity', 0) <= 3
        if e.get('proto') in ('TCP', 'UDP'):
            ok_shape &= 'src_port' in e and 'dest_port' in e
        sids[a.get('signature_id')] = sids.get(a.get('signature_id'), 0) + 1
    check(ok_shape, 'EVE: every record has timestamp, event_type, addresses, proto, alert{action,signature_id,signature,category,severity}')
    for k, v in expected.items():
        if k.startswith('dpi.hits.'):
            sid = int(k.split('.')[-1])
            check(sids.get(sid) == int(v), 'EVE: signature %d alerted %s times (got %s)' % (sid, v, sids.get(sid)))
    check(kv(r.stderr).get('alerts') == expected['alerts'], 'EVE mode: counters on stderr')
    first = json.loads(lines[0]) if lines else {}
    check(first.get('timestamp', '').startswith('2023-11-14T') and first['timestamp'].endswith('+0000'),
          'EVE timestamp in Suricata format (%s)' % first.get('timestamp'))

    # pcapng: same counters.
    editcap = shutil.which('editcap')
    if editcap:
        ng = os.path.join(tmp, 'mixed.pcapng')
        subprocess.run([editcap, '-F', 'pcapng', mixed, ng], check=True)
        g2 = kv(run('--quiet', ng).stdout)
        check(all(g2.get(k) == got.get(k) for k in ('packets', 'passed', 'dropped', 'alerts')), 'pcapng gives the same counters')
    else:
        print('note: editcap not installed, pcapng case not run')

    # Bad input: non-zero exit (2) and a message naming the problem.
    data, recs = records(mixed)
    rng = random.Random(8)
    bad = 0
    for i in range(20):  # cut inside a record header or body, never on a boundary
        off, caplen = recs[rng.randrange(1, len(recs))]
        cut = off + rng.randrange(1, 16 + caplen)
        p = os.path.join(tmp, 'cut%d.pcap' % i)
        open(p, 'wb').write(data[:cut])
        r = run('--quiet', p)
        bad += r.returncode == 2 and 'truncated' in r.stderr
    check(bad == 20, 'truncated captures: exit 2 with "truncated" (%d/20)' % bad)
    off, caplen = recs[len(recs) // 2]
    corrupt = bytearray(data)
    struct.pack_into('<II', corrupt, off + 8, 0x7fffffff, 0x7fffffff)  # absurd record length
    p = os.path.join(tmp, 'corrupt.pcap')
    open(p, 'wb').write(bytes(corrupt))
    r = run('--quiet', p)
    check(r.returncode == 2 and 'corrupt' in r.stderr, 'absurd record length: exit 2 (%d: %s)' % (r.returncode, r.stderr.strip()))
    for name, blob in (('random', bytes(rng.randrange(256) for _ in range(4096))), ('empty', b''), ('header-only', data[:10])):
        p = os.path.join(tmp, name + '.pcap')
        open(p, 'wb').write(blob)
        r = run(p)
        check(r.returncode == 2 and 'cannot read capture' in r.stderr, '%s file: exit 2 (%d: %s)' % (name, r.returncode, r.stderr.strip()))
    r = run(os.path.join(tmp, 'raw.pcap'))
    check(r.returncode == 2 and 'link type' in r.stderr, 'DLT_RAW capture refused: exit 2 (%s)' % r.stderr.strip())
    r = run(os.path.join(tmp, 'missing.pcap'))
    check(r.returncode == 2, 'missing file: exit 2')
    r = run()
    check(r.returncode == 64 and 'usage' in r.stderr, 'no input: usage, exit 64')
    r = run('--pps', 'x', mixed)
    check(r.returncode == 64 and 'not a non-negative number: x' in r.stderr, 'bad option value: exit 64, naming it')
    r = run('--pps', '4294967296', mixed)  # would wrap to 0 (bans off) in the engine's 32-bit field
    check(r.returncode == 64 and '--pps must be 0..4294967295, got 4294967296' in r.stderr, 'out-of-range value: exit 64, with the range')
    r = run('--count', '99999999999999999999', mixed)
    check(r.returncode == 64 and '--count must be 0..' in r.stderr, 'overflowing number: exit 64, not taken as the maximum')
    r = run('--bogus', mixed)
    check(r.returncode == 64 and '--bogus' in r.stderr, 'unknown option: exit 64, naming it')

    # Live capture (root only): loopback frames are Ethernet-framed on Linux; stops on --seconds.
    if os.geteuid() == 0:
        p = subprocess.Popen([secreplay, '-i', 'lo', '--seconds', '2', '--quiet'], stdout=subprocess.PIPE, text=True)
        import socket
        import time
        time.sleep(0.7)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for _ in range(5):
            u.sendto(b'secreplay live test', ('127.0.0.2', 9))
        out, _ = p.communicate(timeout=20)
        g = kv(out)
        check(p.returncode == 0 and int(g.get('packets', 0)) >= 5, 'live capture on lo: exit 0, >= 5 packets (%s)' % g.get('packets'))
    else:
        print('note: live capture case needs root, not run')
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print('%d failure(s)' % len(failures))
sys.exit(1 if failures else 0)
