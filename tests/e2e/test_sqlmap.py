#!/usr/bin/env python3
"""sqlmap through the inline appliance (issue 12: "sqlmap at level 3 risk 2 through the appliance
reports no injectable parameter"). Root only: exits 77 (meson's "skipped") otherwise.

    test_sqlmap.py KERNEL_ELF [--results FILE] [--crs PATH] [--full] [--keep]

The topology is scripts/e2e_topology.py's (client ns - QEMU appliance inline - server ns). In the
server namespace runs scripts/sqli_target.py: an application that really pastes `id` (numeric)
and `q` (inside quotes) into SQLite statements and logs every request it receives.

  control   sqlmap from inside the server namespace, straight at the target (no appliance on
            the path): it MUST report the parameter injectable - otherwise the attack run below
            proves nothing.
  attack    the same sqlmap command from the client namespace, through the appliance (booted
            with drop_reset=1: slot 6's drops answer with a TCP reset, docs/unikernel.md):
            it must report no injectable parameter. Counted: the requests sqlmap sent (HTTP
            requests on the client tap's capture, one per TCP connection, retries included), the
            ones the target logged from the client, the kernel's drop and reject counters.
  crs       the attack run's requests, as captured, through ModSecurity 3 + OWASP CRS PL1
            (bench/detect/crs_requests) - the share each side blocks of the same requests.

Default (CI, `make test`): one slice, GET `id`, --level 1 --technique BT (well under 4 minutes).
SECENGINE_E2E_FULL=1 or --full (`make e2e`): --level 3 --risk 2, all techniques, GET `id` and POST
`q`, plus a run with the default silent drops of the default slice to measure what the reset saves.
Results (JSON) go to --results (under build/); docs/inject.md "sqlmap through the appliance" has them.
"""
import argparse
import json
import os
import re
import struct
import subprocess
import sys
import time

import e2e_common
from e2e_common import ROOT

TARGET = os.path.join(ROOT, 'scripts', 'sqli_target.py')
SERVER, CLIENT = '10.0.0.20', '10.0.0.10'
BOOTARGS = 'ip=10.0.0.2/24 drop_reset=1'
DROP_BOOTARGS = 'ip=10.0.0.2/24'
# The injection points. `q` is POSTed with `id` beside it (only `q` is tested there).
POINTS = {
    'get_id': {'url': 'http://%s/item?id=1' % SERVER, 'data': None, 'param': 'id', 'place': 'GET'},
    'post_q': {'url': 'http://%s/search' % SERVER, 'data': 'q=boots&id=2', 'param': 'q', 'place': 'POST'},
}
SLICE = ['--level', '1', '--technique', 'BT']
FULL = ['--level', '3', '--risk', '2', '--technique', 'BEUSTQ']
# A determined attacker: after 15 connection errors in a row sqlmap asks whether to go on
# (default N in --batch: it would give up, not conclude); "continue" answers that and the WAF
# question with Y, so sqlmap runs every test and reports its verdict.
ANSWERS = '--answers=continue=Y'
# Seconds one sqlmap run through the appliance may take (--sqlmap-timeout; a list so main() sets it).
SQLMAP_TIMEOUT = [3000]

results = e2e_common.new_results(runs=[])
check = e2e_common.checker(results)


# --- sqlmap -----------------------------------------------------------------------------------
def sqlmap_cmd(point, levels, outdir):
    p = POINTS[point]
    cmd = ['sqlmap', '-u', p['url'], '-p', p['param'], '--batch', '--flush-session', '--disable-coloring',
           '--output-dir', outdir, ANSWERS] + levels
    if p['data']:
        cmd += ['--data', p['data']]
    return cmd


def verdict(out, param):
    """'injectable', 'not injectable' or 'unclear' from sqlmap's console output."""
    if re.search(r"parameter '%s' (appears to be .* injectable|is vulnerable)" % re.escape(param), out) or \
            'identified the following injection point' in out:
        return 'injectable'
    if 'all tested parameters do not appear to be injectable' in out or \
            re.search(r"parameter '%s' does not seem to be injectable" % re.escape(param), out):
        return 'not injectable'
    return 'unclear'


def run_sqlmap(topo, netns, point, levels, work, tag, timeout):
    """sqlmap in `netns`; its console output goes to work/sqlmap-TAG.log while it runs (a long
    run can be watched with tail -f). A run past `timeout` seconds is killed and its verdict is
    'timeout' (what it printed so far is kept)."""
    outdir = os.path.join(work, 'sqlmap-' + tag)
    logf = os.path.join(work, 'sqlmap-%s.log' % tag)
    t0 = time.time()
    with open(logf, 'w') as f:
        proc = topo.popen(netns, *sqlmap_cmd(point, levels, outdir), stdout=f, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
            rc = 'timeout'
    secs = time.time() - t0
    out = open(logf, errors='replace').read()
    m = re.search(r'with a total of (\d+) HTTP\(s\) requests', out)
    return {'verdict': 'timeout' if rc == 'timeout' else verdict(out, POINTS[point]['param']),
            'seconds': round(secs, 1), 'rc': rc,
            'sqlmap_counted': int(m.group(1)) if m else None,
            'tail': [l for l in out.splitlines() if l.strip()][-6:]}


# --- the target and its log -------------------------------------------------------------------
def start_target(topo, log):
    proc = topo.popen('server', sys.executable, '-u', TARGET, SERVER, '80', log,
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        if topo.server('ss', '-ltn', 'sport = :80').stdout.count('LISTEN'):
            return proc
        time.sleep(0.1)
    raise RuntimeError('sqli_target.py did not start')


def target_log(log):
    out = []
    for line in open(log, errors='replace'):
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


# --- what the client sent (the capture on its tap) ----------------------------------------------
def client_requests(frames):
    """HTTP requests the client sent to port 80, one per TCP connection (sqlmap opens one per
    request and per retry): [(method, target, body)]. Retransmitted segments count once."""
    conns = {}   # sport -> {seq: payload}
    order = []
    for _, f in frames:
        if len(f) < 34 or f[12:14] != b'\x08\x00' or f[23] != 6:
            continue
        ihl = (f[14] & 15) * 4
        t = 14 + ihl
        sport, dport, seq = struct.unpack_from('!HHI', f, t)
        if dport != 80 or f[26:30] != bytes(map(int, CLIENT.split('.'))):
            continue
        flags = f[t + 13]
        total = struct.unpack_from('!H', f, 16)[0]
        payload = f[t + (f[t + 12] >> 4) * 4:14 + total]
        if flags & 0x02:  # SYN: a new connection on this port (ports may come round again)
            key = (sport, seq)
            conns[sport] = key
            if key not in conns:  # not a retransmitted SYN
                order.append(key)
                conns[key] = {}
            continue
        key = conns.get(sport)
        if key is not None and payload:
            conns[key].setdefault(seq, payload)
    reqs = []
    for key in order:
        segs = conns[key]
        if not segs:
            continue  # a pre-connected socket sqlmap never used, or a SYN that got no answer
        data = b''.join(segs[s] for s in sorted(segs))
        head, _, body = data.partition(b'\r\n\r\n')
        line = head.split(b'\r\n', 1)[0].decode('latin-1').split(' ')
        if len(line) >= 2:
            reqs.append((line[0], line[1], body.decode('latin-1')))
    return reqs


def delta(a, b):
    return {k: b.get(k, 0) - a.get(k, 0) for k in set(a) | set(b) if k != 't' and b.get(k, 0) != a.get(k, 0)}


def crs_compare(crs, reqs, path):
    """The captured requests (written to `path`, crs_requests' format) through ModSecurity + CRS
    PL1: how many it blocks (None without the tool)."""
    with open(path, 'w', encoding='latin-1') as f:
        for m, u, b in reqs:
            f.write('%s\t%s\t%s\n' % (m, u, b.replace('\t', '%09').replace('\n', '%0A').replace('\r', '%0D')))
    if not crs or not reqs:
        return None
    verdicts = path + '.crs'
    r = subprocess.run([crs, '--paranoia', '1', '--verdicts', verdicts, path], capture_output=True, text=True, timeout=1200)
    figs = dict(l.split('=', 1) for l in r.stdout.splitlines() if '=' in l)
    if r.returncode != 0 or 'crs.blocked' not in figs:
        return {'error': (r.stdout + r.stderr)[-300:]}
    return {'requests': int(figs['crs.requests']), 'blocked': int(figs['crs.blocked']),
            'verdicts': [l.strip() == '1' for l in open(verdicts)]}


# --- one attack on one injection point ---------------------------------------------------------
def attack(topo, point, levels, work, tag, log, crs, kernel_figures):
    import test_e2e  # the capture helpers (tshark on a tap, classic pcap reader)
    cap = test_e2e.Capture(topo, 'client', 'se-tap0', os.path.join(work, tag + '.pcap'), 'tcp port 80')
    n_log = len(target_log(log))
    before = topo.qemu.stats()
    run = run_sqlmap(topo, 'client', point, levels, work, tag, timeout=SQLMAP_TIMEOUT[0])
    topo.client('ss', '-K', 'dst', SERVER)
    after = test_e2e.stats_quiet(topo)
    reqs = client_requests(cap.stop())
    got = [e for e in target_log(log)[n_log:] if e['client'] == CLIENT]
    d = delta(before, after)
    sent = len(reqs)
    # The requests that reached the target, matched to what was sent (method, target, body).
    pending = {}
    for e in got:
        k = (e['method'], e['path'], e['body'])
        pending[k] = pending.get(k, 0) + 1
    passed, ours = [], []  # ours[i]: the appliance blocked request i (it never reached the target)
    for m, u, b in reqs:
        reached = pending.get((m, u, b), 0) > 0
        ours.append(not reached)
        if reached:
            pending[(m, u, b)] -= 1
            passed.append(u if m == 'GET' else '%s %s %s' % (m, u, b))
    # sqlmap's own requests of the original page (the baseline it compares answers with) are
    # benign: the attack share is counted without them.
    p = POINTS[point]
    orig = p['url'].split(SERVER, 1)[1]
    baseline = sum(1 for m, u, b in reqs if u == orig and b == (p['data'] or ''))
    attacks = sent - baseline
    blocked = sent - len(got)
    row = {'run': tag, 'point': point, 'place': POINTS[point]['place'], 'parameter': POINTS[point]['param'],
           'sqlmap_args': ' '.join(levels), 'bootargs': topo.bootargs, **run,
           'requests_sent': sent, 'reached_target': len(got), 'blocked': blocked,
           'blocked_pct': round(100.0 * blocked / sent, 2) if sent else None,
           'baseline_requests': baseline, 'attack_requests': attacks,
           'attack_blocked_pct': round(100.0 * blocked / attacks, 2) if attacks else None,
           'passed_requests': passed[:40], 'kernel_delta': d}
    if kernel_figures:
        c = crs_compare(crs, reqs, os.path.join(work, tag + '.requests.tsv'))
        if c and 'verdicts' in c:
            v = c.pop('verdicts')
            c['blocked_pct'] = round(100.0 * c['blocked'] / c['requests'], 2) if c['requests'] else None
            # Request by request: what one side blocks and the other lets through.
            c['crs_only'] = [reqs[i][1] + (' ' + reqs[i][2] if reqs[i][2] else '') for i in range(len(v)) if v[i] and not ours[i]][:20]
            c['ours_only'] = [reqs[i][1] + (' ' + reqs[i][2] if reqs[i][2] else '') for i in range(len(v)) if ours[i] and not v[i]][:20]
            c['both_blocked'] = sum(1 for i in range(len(v)) if v[i] and ours[i])
            crs_base = sum(1 for i in range(len(v)) if v[i] and reqs[i][1] == orig and reqs[i][2] == (p['data'] or ''))
            c['attack_blocked_pct'] = round(100.0 * (c['blocked'] - crs_base) / attacks, 2) if attacks else None
        row['crs_pl1'] = c
    results['runs'].append(row)
    print('info [%s] %s' % (tag, json.dumps({k: row[k] for k in ('verdict', 'seconds', 'requests_sent', 'reached_target',
                                                                  'blocked', 'attack_blocked_pct', 'kernel_delta')} |
                                            {'crs_pl1': {k: v for k, v in (row.get('crs_pl1') or {}).items() if 'only' not in k}})),
          flush=True)
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('elf')
    ap.add_argument('--results', default=None)
    ap.add_argument('--crs', default=os.path.join(ROOT, 'build', 'host', 'bench', 'detect', 'crs_requests'))
    ap.add_argument('--full', action='store_true', help='level 3 risk 2, all techniques, GET and POST (also SECENGINE_E2E_FULL=1)')
    ap.add_argument('--points', default=None, help='comma-separated injection points (get_id, post_q); default: all of the mode')
    ap.add_argument('--sqlmap-timeout', type=int, default=3000, help='seconds one sqlmap run through the appliance may take')
    ap.add_argument('--no-drop-run', action='store_true', help='--full without the silent-drop slice at the end')
    ap.add_argument('--keep', action='store_true', help='keep captures and logs (work directory printed)')
    a = ap.parse_args()
    rc = e2e_common.preflight('the sqlmap e2e test', ('sqlmap', 'tshark', 'ss'))
    if rc is not None:
        return rc
    full = a.full or os.environ.get('SECENGINE_E2E_FULL') == '1'
    elf = os.environ.get('SECENGINE_E2E_ELF', a.elf)
    crs = a.crs if os.path.exists(a.crs) else None
    if not crs:
        print('note: %s not built: the CRS comparison is skipped (build the host tree first)' % a.crs)
    levels = FULL if full else SLICE
    points = ['get_id', 'post_q'] if full else ['get_id']
    if a.points:
        points = a.points.split(',')
        unknown = [p for p in points if p not in POINTS]
        if unknown:
            print('FAIL: unknown injection point(s) %s (known: %s)' % (unknown, ', '.join(POINTS)))
            return 1
    SQLMAP_TIMEOUT[0] = a.sqlmap_timeout
    import e2e_topology
    results.update({'mode': 'full' if full else 'slice', 'sqlmap_args': ' '.join(levels), 'elf': elf,
                    'sqlmap_version': subprocess.run(['sqlmap', '--version'], capture_output=True, text=True).stdout.split()[0]})

    def body(work):
        log = os.path.join(work, 'target.jsonl')
        with e2e_topology.Topology(elf, None, BOOTARGS, log_dir=work) as topo:
            results['ready'] = topo.qemu.ready.group(0)
            target = start_target(topo, log)
            for point in points:
                # Control: the same tool, straight at the target from its own namespace.
                n0 = len(target_log(log))
                ctl = run_sqlmap(topo, 'server', point, levels, work, 'control-' + point, timeout=1200)
                ctl['reached_target'] = sum(1 for e in target_log(log)[n0:] if e['client'] == SERVER)
                ctl.update({'run': 'control-' + point, 'point': point, 'path': 'server namespace -> target (no appliance)'})
                results['runs'].append(ctl)
                check('control', 'sqlmap straight at the target finds %s %s injectable' % (POINTS[point]['place'], POINTS[point]['param']),
                      ctl['verdict'] == 'injectable', verdict=ctl['verdict'], seconds=ctl['seconds'], requests=ctl['reached_target'])
                row = attack(topo, point, levels, work, 'appliance-' + point, log, crs, True)
                check('attack', 'sqlmap through the appliance: %s %s not injectable' % (POINTS[point]['place'], POINTS[point]['param']),
                      row['verdict'] == 'not injectable', verdict=row['verdict'], tail=row['tail'][-2:])
                check('attack', '%s: the appliance dropped requests (kernel dpi_signature) and reset them' % point,
                      row['kernel_delta'].get('dpi_signature', 0) > 0 and row['kernel_delta'].get('rejects', 0) > 0,
                      dpi_signature=row['kernel_delta'].get('dpi_signature', 0), rejects=row['kernel_delta'].get('rejects', 0))
                check('attack', '%s: the target logged no more requests than the client sent, and fewer' % point,
                      row['requests_sent'] > row['reached_target'] >= 1,
                      sent=row['requests_sent'], reached=row['reached_target'])
                # Every request that did not reach the target was reset by the kernel, once: the
                # capture, the target's log and the kernel's counter tell the same story.
                check('attack', '%s: requests blocked (sent - reached) == resets the kernel sent' % point,
                      row['blocked'] == row['kernel_delta'].get('rejects', 0),
                      blocked=row['blocked'], rejects=row['kernel_delta'].get('rejects', 0))
            target.kill()
            target.wait()
            results['final_stats'] = topo.qemu.stats()
        if full and not a.no_drop_run:
            # What the reset saves: the default slice against silent drops (sqlmap waits for its
            # timeout, 30 s unless told otherwise, and retries 3 times).
            with e2e_topology.Topology(elf, None, DROP_BOOTARGS, log_dir=work) as topo:
                target = start_target(topo, log)
                row = attack(topo, 'get_id', SLICE + ['--timeout', '3', '--retries', '1'], work, 'appliance-drop-get_id', log, crs, False)
                check('drop', 'silent drops: sqlmap through the appliance: GET id not injectable', row['verdict'] == 'not injectable',
                      verdict=row['verdict'], seconds=row['seconds'])
                target.kill()
                target.wait()
    out = a.results or os.path.join(os.getcwd(), 'sqlmap_results.json')
    return e2e_common.run(results, check, 'secengine-sqlmap-', body, out, a.keep)


if __name__ == '__main__':
    sys.exit(main())
