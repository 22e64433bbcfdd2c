#!/usr/bin/env python3
"""Differential test: the rule engine (secrules --pcap) against Suricata 7 on the same capture.

Generates random HTTP sessions (the generator of tests/http/suricata_buffers.py: encodings, dot
segments, folded and repeated fields, chunked and sized bodies, responses) and UDP DNS queries,
runs Suricata with
tests/rules/data/differential.rules and compares the (session, direction, sid) alert sets with
what secrules reports for the same rules. Exit 0 when they agree on >= --min-agree of the pairs in
both directions (default 100%: every difference is printed); 77 (skip) without suricata.

    suricata_rules.py SECRULES [--sessions N] [--seed S] [--keep DIR] [--min-agree PCT]
"""
import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'http'))
from pcapgen import PcapWriter, udp  # noqa: E402
from suricata_peer import run_suricata, write_http_sessions  # noqa: E402
from suricata_buffers import random_request, random_response  # noqa: E402


DNS_NAMES = ['www.example.com', 'WWW.Example.COM', 'evil.test', 'mail.EVIL.example.org', 'x', 'a.b.c.d.e',
             'abcdefghijklmnopqrstuvwxyz0123.evil.net', 'www.', 'example', 'Example.com.evil.zone', 'dns.google']


def dns_query(rng, name):
    import struct
    labels = [lab for lab in name.split('.') if lab]
    qname = b''.join(bytes([len(lab)]) + lab.encode() for lab in labels) + b'\0'
    return struct.pack('>HHHHHH', rng.randrange(65536), 0x0100, 1, 0, 0, 0) + qname + struct.pack('>HH', rng.choice([1, 28, 16]), 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('secrules')
    ap.add_argument('--sessions', type=int, default=200)
    ap.add_argument('--seed', type=int, default=7)
    ap.add_argument('--keep')
    ap.add_argument('--min-agree', type=float, default=100.0)
    args = ap.parse_args()
    if not shutil.which('suricata'):
        print('suricata_rules: SKIP: suricata not installed')
        return 77
    rules = os.path.join(here, 'data', 'differential.rules')
    rng = random.Random(args.seed)
    work = args.keep or tempfile.mkdtemp(prefix='suri-rules-')
    os.makedirs(work, exist_ok=True)
    pcap = os.path.join(work, 'sessions.pcap')
    w = PcapWriter(pcap)
    write_http_sessions(w, rng, args.sessions, random_request, random_response)
    for k in range(args.sessions // 2):  # DNS queries over UDP
        udp(w, ('10.0.0.10', 30000 + k), ('10.0.0.53', 53), dns_query(rng, rng.choice(DNS_NAMES)))
    w.close()
    eve = run_suricata(pcap, rules, os.path.join(work, 'suricata'))
    theirs = set()
    with open(eve) as f:
        for line in f:
            e = json.loads(line)
            if e.get('event_type') != 'alert':
                continue
            if e['src_port'] >= 30000:  # a DNS query
                theirs.add((10000 + e['src_port'] - 30000, 'dns', e['alert']['signature_id']))
                continue
            client_port = e['src_port'] if e['src_port'] >= 20000 else e['dest_port']
            direction = 'to_server' if e['src_port'] >= 20000 else 'to_client'
            theirs.add((client_port - 20000, direction, e['alert']['signature_id']))
    out = subprocess.run([args.secrules, '-q', '--pcap', pcap, rules], capture_output=True, text=True)
    if out.returncode != 0:
        print(out.stdout, out.stderr)
        return 1
    ours = set()
    # secrules numbers sessions 1, 2, ... in order of first packets: the generator's order.
    for m in re.finditer(r'^alert session=(\d+) index=(\d+) direction=(\S+) sid=(\d+)', out.stdout, re.M):
        ours.add((int(m.group(1)) - 1, m.group(3), int(m.group(4))))
    for m in re.finditer(r'^alert dns client_port=(\d+) direction=\S+ sid=(\d+)', out.stdout, re.M):
        ours.add((10000 + int(m.group(1)) - 30000, 'dns', int(m.group(2))))
    both = ours & theirs
    only_ours, only_theirs = sorted(ours - theirs), sorted(theirs - ours)
    for x in only_ours[:int(os.environ.get('SHOW_DIFFS', '30'))]:
        print('only secrules:', x)
    for x in only_theirs[:int(os.environ.get('SHOW_DIFFS', '30'))]:
        print('only suricata:', x)
    pct_ours = 100.0 * len(both) / max(1, len(ours))
    pct_theirs = 100.0 * len(both) / max(1, len(theirs))
    sids = sorted({x[2] for x in theirs})
    print(f'suricata_rules: {len(both)} common (session, direction, sid) pairs; secrules {len(ours)} '
          f'({pct_ours:.1f}% also Suricata\'s), Suricata {len(theirs)} ({pct_theirs:.1f}% also ours); '
          f'{len(sids)} sids fired in Suricata; {args.sessions} sessions, seed {args.seed}')
    if not args.keep:
        shutil.rmtree(work)
    ok = len(theirs) > 0 and pct_ours >= args.min_agree and pct_theirs >= args.min_agree
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
