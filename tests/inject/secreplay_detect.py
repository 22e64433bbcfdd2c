#!/usr/bin/env python3
"""The injection detector in the inspection path, end to end on the host: corpus values carried
in real HTTP requests through `secreplay` (detector on, built-in signatures off by an empty -S
rule file), one request per connection.

Invariants checked:
  - position independence: a value gets the same verdict in the query, a form body, a Cookie and
    a multipart field (the requests are built by this script; secreplay sees only packets);
  - segmentation independence: the same request cut into 7-byte segments gets the same verdict;
  - the rates over the corpora (tests/inject/data): attack lists blocked >= --min-block percent,
    benign prose and browser values flagged <= --max-fp percent.
Prints detect.secreplay_blocked_pct.<corpus> / detect.secreplay_false_positive_pct.<corpus>.
    secreplay_detect.py SECREPLAY [--sample N] [--keep DIR]
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'http'))
from pcapgen import PcapWriter, TcpSession  # noqa: E402

ATTACKS = ['sqlmap', 'sql_other', 'xss', 'cmd', 'path']
BENIGN = ['benign_prose', 'benign_phrases', 'benign_browser']


def values(name):
    with open(os.path.join(HERE, 'data', name + '.txt'), encoding='utf-8', errors='surrogateescape') as f:
        return [l.rstrip('\n') for l in f if l.strip() and not l.startswith('# ')]


def request(value, where):
    enc = urllib.parse.quote(value.encode('utf-8', 'surrogateescape'), safe='')
    head = 'Host: shop.example\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0\r\nAccept: */*\r\n'
    if where == 'query':
        return f'GET /search?q={enc}&page=1 HTTP/1.1\r\n{head}\r\n'.encode()
    if where == 'body':
        body = f'q={enc}&page=1'.encode()
        return (f'POST /search HTTP/1.1\r\n{head}Content-Type: application/x-www-form-urlencoded\r\n'
                f'Content-Length: {len(body)}\r\n\r\n').encode() + body
    if where == 'cookie':
        return f'GET /account HTTP/1.1\r\n{head}Cookie: pref={enc}; lang=en\r\n\r\n'.encode()
    if where == 'multipart':
        raw = value.encode('utf-8', 'surrogateescape')
        body = (b'--XyZ\r\nContent-Disposition: form-data; name="comment"\r\n\r\n' + raw +
                b'\r\n--XyZ\r\nContent-Disposition: form-data; name="page"\r\n\r\n1\r\n--XyZ--\r\n')
        return (f'POST /comment HTTP/1.1\r\n{head}Content-Type: multipart/form-data; boundary=XyZ\r\n'
                f'Content-Length: {len(body)}\r\n\r\n').encode() + body
    raise ValueError(where)


def run(secreplay, pcap, rules):
    out = subprocess.run([secreplay, '-S', rules, '--eve', pcap], check=True, capture_output=True).stdout.decode()
    flagged = set()
    for line in out.splitlines():
        e = json.loads(line)
        md = e.get('alert', {}).get('metadata', {})
        if md.get('detector'):
            # Issue 12: the alert names the parameter and the fingerprint, so an operator sees why.
            for key in ('location', 'parameter', 'fingerprint'):
                if not md.get(key) or not md[key][0]:
                    raise ValueError('detector alert without %s in alert.metadata: %s' % (key, line))
            flagged.add(e['src_port'])
    return flagged


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('secreplay')
    ap.add_argument('--sample', type=int, default=150, help='values per corpus (0 = all)')
    ap.add_argument('--min-block', type=float, default=90.0)
    ap.add_argument('--max-fp', type=float, default=1.0)
    ap.add_argument('--keep')
    args = ap.parse_args()
    rng = random.Random(3)
    work = args.keep or tempfile.mkdtemp(prefix='secreplay-detect-')
    os.makedirs(work, exist_ok=True)
    rules = os.path.join(work, 'empty.rules')
    open(rules, 'w').close()
    wheres = ['query', 'body', 'cookie', 'multipart']
    cases = []  # (corpus, value index, where, segment)
    pcap = os.path.join(work, 'requests.pcap')
    w = PcapWriter(pcap)
    port = 10000
    for corpus in ATTACKS + BENIGN:
        vs = values(corpus)
        if args.sample and len(vs) > args.sample:
            vs = rng.sample(vs, args.sample)
        for i, v in enumerate(vs):
            for where in wheres:
                for seg in (1400, 7):
                    if seg == 7 and where != 'query':
                        continue
                    port += 1
                    s = TcpSession(w, ('203.0.113.9', port % 60000 + 1024), ('10.0.0.20', 80))
                    s.open()
                    s.client(request(v, where), segment=seg)
                    s.server(b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
                    s.close()
                    cases.append((corpus, v, where, seg, port % 60000 + 1024))
    w.close()
    flagged = run(args.secreplay, pcap, rules)
    verdict = {}
    for corpus, v, where, seg, p in cases:
        verdict.setdefault((corpus, v), {})[(where, seg)] = p in flagged
    failures = 0
    for (corpus, v), by in sorted(verdict.items()):
        if len(set(by.values())) != 1:
            failures += 1
            if failures <= 15:
                print(f'position/segmentation dependent: {corpus} {v!r}: ' +
                      ', '.join(f'{w}/{s}={int(b)}' for (w, s), b in sorted(by.items())))
    for corpus in ATTACKS + BENIGN:
        rows = [by[('query', 1400)] for (c, _), by in verdict.items() if c == corpus]
        pct = 100.0 * sum(rows) / len(rows)
        if corpus in ATTACKS:
            print(f'detect.secreplay_blocked_pct.{corpus}={pct:.2f}')
        else:
            print(f'detect.secreplay_false_positive_pct.{corpus}={pct:.2f}')
    atk = [by[('query', 1400)] for (c, _), by in verdict.items() if c in ATTACKS]
    ben = [by[('query', 1400)] for (c, _), by in verdict.items() if c in BENIGN]
    block, fp = 100.0 * sum(atk) / len(atk), 100.0 * sum(ben) / len(ben)
    print(f'secreplay_detect: {len(cases)} requests, attacks blocked {block:.2f} %, benign flagged {fp:.2f} %, '
          f'{failures} values with position-dependent verdicts')
    if not args.keep:
        shutil.rmtree(work)
    return 0 if failures == 0 and block >= args.min_block and fp <= args.max_fp else 1


if __name__ == '__main__':
    sys.exit(main())
