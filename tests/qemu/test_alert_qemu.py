#!/usr/bin/env python3
"""The kernel's injection alerts carry the parameter name and the fingerprint (issue 12): SQL
injections (query, form body, cookie, a 40-byte parameter name) and an XSS go through the INLINE
appliance in QEMU; `secctl alerts --eve` must show, for each, the same alert.metadata (detector,
location, parameter, fingerprint, truncated) that secreplay shows for the same frames written to
a pcap (differential: one pipeline on the host, one in the kernel, two transports of the record),
the parameter names must be the ones sent (first 20 bytes, "truncated" exactly when longer), and
`secctl alerts` (text) must print them too.

usage: test_alert_qemu.py KERNEL.elf SECCTL SECREPLAY legacy|modern
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

import qemu_harness as h

ELF, SECCTL, SECREPLAY = sys.argv[1], sys.argv[2], sys.argv[3]
LEGACY = sys.argv[4] == 'legacy'
KEY = '8f1e2d3c4b5a69788796a5b4c3d2e1f0'
C, S = '10.0.0.10', '10.0.0.20'
LONG_NAME = 'a_parameter_name_of_forty_bytes_'.ljust(40, 'x')  # over the record's 20

# (source port, request bytes, expected parameter name as sent, its location)
POST_BODY = b"q=boots%27%20UNION%20SELECT%20password%20FROM%20users--%20&id=2"
CASES = [
    (43001, b"GET /item?id=1%27%20AND%207029%3D8688%20AND%20%27a%27%3D%27a HTTP/1.1\r\nHost: shop.example\r\n\r\n", 'id', 'query'),
    (43002, b"POST /search HTTP/1.1\r\nHost: shop.example\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: %d\r\n\r\n" % len(POST_BODY) + POST_BODY, 'q', 'body'),
    (43003, b"GET /account HTTP/1.1\r\nHost: shop.example\r\nCookie: theme=dark; session=1' OR 1=1-- \r\n\r\n", 'session', 'cookie'),
    (43004, b"GET /find?" + LONG_NAME.encode() + b"=1%27%20AND%203815%3D3815%20AND%20%27x%27%3D%27x HTTP/1.1\r\nHost: shop.example\r\n\r\n", LONG_NAME, 'query'),
    (43005, b"GET /s?comment=%3Cimg%20src%3Dx%20onerror%3Dconfirm(1)%3E HTTP/1.1\r\nHost: shop.example\r\n\r\n", 'comment', 'query'),
]


def write_pcap(path, frames):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        t = 1_700_000_000.0
        for fr in frames:
            t += 0.01
            f.write(struct.pack('<IIII', int(t), int((t % 1) * 1e6), len(fr), len(fr)))
            f.write(fr)


def injection_meta(eve):
    """{source port: metadata} of the injection detector's alerts (sids 1200001-1200999)."""
    out = {}
    for e in eve:
        if 1200001 <= e['alert']['signature_id'] < 1201000:
            m = dict(e['alert'].get('metadata', {}))
            m.pop('suppressed_before', None)
            out[e['src_port']] = m
    return out


def main():
    a = h.Appliance(ELF, ports=2, mcast='first', legacy=LEGACY, bootargs='ip=10.0.0.2/24 mgmt_port=7400 key=' + KEY)
    frames = []
    try:
        netdev = 'mcast=%s:%d' % (a.ports[0].group, a.ports[0].port)
        common = [SECCTL, '--netdev', netdev, '--key', KEY, '--timeout', '400']
        eve_p = subprocess.Popen(common + ['--channel', '3', 'alerts', '--eve', '--seconds', '10', '--interval', '100'],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = eve_p.stderr.readline()
        assert 'subscribed' in line, line
        text_p = subprocess.Popen(common + ['--channel', '4', 'alerts', '--seconds', '9', '--interval', '100'],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = text_p.stderr.readline()
        assert 'subscribed' in line, line
        for sport, req, _, _ in CASES:
            syn = h.eth(h.HOST_B, h.HOST_A, 0x0800, h.tcp(C, S, sport, 80, h.SYN))
            data = h.eth(h.HOST_B, h.HOST_A, 0x0800, h.tcp(C, S, sport, 80, h.PSH | h.ACK, seq=1, ack=1, payload=req))
            frames += [syn, data]
            a.ports[1].drain(0.2)
            a.ports[0].send(syn)
            a.ports[0].send(data)
            got = a.ports[1].drain(0.8)
            assert data not in got, 'injection from port %d forwarded' % sport
        out, err = eve_p.communicate(timeout=30)
        text, terr = text_p.communicate(timeout=30)
    finally:
        a.close()
    kernel = injection_meta(json.loads(l) for l in out.splitlines() if l.startswith('{'))
    with tempfile.TemporaryDirectory() as d:
        pcap = os.path.join(d, 'requests.pcap')
        write_pcap(pcap, frames)
        r = subprocess.run([SECREPLAY, '--eve', pcap], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        replay = injection_meta(json.loads(l) for l in r.stdout.splitlines() if l.startswith('{'))
    failures = []
    for sport, _, name, where in CASES:
        k, s = kernel.get(sport), replay.get(sport)
        print('port %d kernel %s' % (sport, json.dumps(k)))
        print('port %d replay %s' % (sport, json.dumps(s)))
        if k is None or s is None:
            failures.append('port %d: no injection alert (kernel %s, secreplay %s)' % (sport, k is not None, s is not None))
            continue
        for key in ('detector', 'location', 'parameter', 'fingerprint', 'truncated'):
            if k.get(key) != s.get(key):
                failures.append('port %d: %s: kernel %r, secreplay %r' % (sport, key, k.get(key), s.get(key)))
        if k.get('parameter') != [name[:20]]:
            failures.append('port %d: parameter %r, sent %r' % (sport, k.get('parameter'), name))
        if ('parameter' in k.get('truncated', [])) != (len(name) > 20):
            failures.append('port %d: truncated %r for a %d-byte name' % (sport, k.get('truncated'), len(name)))
        if k.get('location') != [where]:
            failures.append('port %d: location %r, expected %r' % (sport, k.get('location'), where))
        if not k.get('fingerprint') or not k['fingerprint'][0]:
            failures.append('port %d: empty fingerprint' % sport)
        # The text view names the same parameter and fingerprint.
        fp = k.get('fingerprint', [''])[0]
        lines = [l for l in text.splitlines() if ':%d -> ' % sport in l and ' in %s "%s' % (where, name[:20]) in l]
        if not lines or ('fingerprint "%s' % fp) not in lines[0]:
            failures.append('port %d: text alert without "%s" / fingerprint %r:\n%s' % (sport, name[:20], fp, text))
    for f in failures:
        print('FAIL', f)
    print('%d cases, %d failures' % (len(CASES), len(failures)))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
