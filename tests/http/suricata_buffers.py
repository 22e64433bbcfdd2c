#!/usr/bin/env python3
"""Differential test: the HTTP inspection buffers of secreplay --dump-http against Suricata 7's.

Generates a capture of random HTTP sessions (encodings, dot segments, folded and repeated
fields, chunked and sized bodies, absolute-form targets, hosts with ports, responses with and
without bodies), runs Suricata with one rule per buffer that captures the whole buffer into a
pktvar (`http.uri; pcre:"/^(?P<pkt_b1>.*)$/s"`), and compares each session's buffers with what
secreplay reports. Suricata prints pktvars with non-printable bytes as '.', so both sides are
compared in that form; an empty buffer counts as absent (Suricata does not inspect it).

    suricata_buffers.py SECREPLAY [--sessions N] [--seed S] [--keep DIR]
Exit 0 when every buffer of every session agrees; 77 (skip) when suricata is not installed.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcapgen import PcapWriter  # noqa: E402
from suricata_peer import run_suricata, write_http_sessions  # noqa: E402

# Buffer ids (include/secengine/http/buffer.hpp) -> Suricata sticky buffer and direction.
REQUEST_BUFFERS = ['http.uri', 'http.uri.raw', 'http.method', 'http.protocol', 'http.request_line', 'http.header',
                   'http.header.raw', 'http.header_names', 'http.cookie', 'http.user_agent', 'http.host', 'http.host.raw',
                   'http.content_type', 'http.referer', 'http.request_body']
RESPONSE_BUFFERS = ['http.protocol', 'http.header', 'http.header.raw', 'http.header_names', 'http.cookie', 'http.stat_code',
                    'http.stat_msg', 'http.response_line', 'http.content_type', 'http.response_body']

PATH_ATOMS = ['a', 'b', 'index.php', '..', '.', '%2e%2e', '%2E', '%2f', '%41', '%u0041', '\\', '//', '%zz', '%', '~x', '%20',
              'caf%c3%a9', "o'neil", '%00']
QUERY_ATOMS = ['id=1', 'q=%41+b', 'x=%2527', 'y=%2f', 'z=%zz', 's=a+b', 'u=%u0041', 'e=', 'k=%3Cscript%3E', 'n=1%20or%201=1']
HOSTS = ['www.example.com', 'WWW.Example.COM', 'h', 'Host.Example.org:8080', 'example.com:80', '10.0.0.20', 'MiXeD']
AGENTS = ['Mozilla/5.0 (X11; Linux x86_64)', 'curl/7.88.1', 'sqlmap/1.7', 'UA  ', 'a\tb']


def random_target(rng):
    path = '/' + '/'.join(rng.choice(PATH_ATOMS) for _ in range(rng.randint(0, 5)))
    if rng.random() < 0.6:
        path += '?' + '&'.join(rng.choice(QUERY_ATOMS) for _ in range(rng.randint(1, 3)))
    if rng.random() < 0.1:
        path = 'http://' + rng.choice(['Abs.Example.ORG', 'abs.example.org:81', 'x.test']) + path
    return path


def random_request(rng):
    method = rng.choice(['GET', 'GET', 'POST', 'HEAD', 'PUT', 'OPTIONS'])
    lines = [f'{method} {random_target(rng)} HTTP/1.{rng.choice([0, 1, 1])}']
    fields = [('Host', rng.choice(HOSTS))]
    if rng.random() < 0.8:
        fields.append(('User-Agent', rng.choice(AGENTS)))
    if rng.random() < 0.5:
        fields.append(('Cookie', rng.choice(['sess=abc; t=1', 'a=b', "name=o'neil"])))
    if rng.random() < 0.3:
        fields.append(('Referer', 'http://ref.example/p?q=1'))
    if rng.random() < 0.3:
        fields.append(('X-Dup', 'v1'))
        fields.append(('X-Other', 'o'))
        fields.append(('x-dup', 'v2'))
    if rng.random() < 0.2:
        fields.append(('Accept', '  */*  '))
    body = b''
    chunked = False
    if method in ('POST', 'PUT'):
        body = rng.choice([b'a=1&b=2', b'user=admin%27--&pass=x', b'x' * rng.randint(1, 200), b'{"k": "v"}'])
        fields.append(('Content-Type', rng.choice(['application/x-www-form-urlencoded', 'application/json'])))
        chunked = rng.random() < 0.4
        fields.append(('Transfer-Encoding', 'chunked') if chunked else ('Content-Length', str(len(body))))
    rng.shuffle(fields)
    text = '\r\n'.join(lines + [f'{k}: {v}' for k, v in fields]).encode('latin-1')
    if rng.random() < 0.1:
        text += b'\r\nX-Fold: one\r\n two'
    text += b'\r\n\r\n'
    if chunked:
        at = 0
        while at < len(body):
            n = min(len(body) - at, rng.randint(1, 40))
            text += b'%x\r\n' % n + body[at:at + n] + b'\r\n'
            at += n
        text += b'0\r\n\r\n'
    else:
        text += body
    return method, text


def random_response(rng, method):
    status = rng.choice([(200, 'OK'), (200, 'OK'), (404, 'Not Found'), (204, 'No Content'), (302, 'Found')])
    body = b'' if status[0] == 204 else rng.choice([b'hello', b'<html>' + b'p' * rng.randint(0, 100) + b'</html>'])
    fields = [('Server', 'test'), ('Content-Type', 'text/html')]
    if rng.random() < 0.4:
        fields.append(('Set-Cookie', 'id=9; Path=/'))
    chunked = status[0] != 204 and rng.random() < 0.3
    if chunked:
        fields.append(('Transfer-Encoding', 'chunked'))
    elif status[0] != 204:
        fields.append(('Content-Length', str(len(body))))
    text = f'HTTP/1.1 {status[0]} {status[1]}\r\n'.encode() + b''.join(f'{k}: {v}\r\n'.encode() for k, v in fields) + b'\r\n'
    if method == 'HEAD':
        return text
    if chunked:
        text += b'%x\r\n' % len(body) + body + b'\r\n0\r\n\r\n' if body else b'0\r\n\r\n'
    else:
        text += body
    return text


def rules(path):
    with open(path, 'w') as f:
        sid = 1
        for direction, names in (('to_server', REQUEST_BUFFERS), ('to_client', RESPONSE_BUFFERS)):
            for name in names:
                var = f'{direction[3]}{sid}'
                f.write(f'alert http any any -> any any (msg:"{direction} {name}"; flow:{direction}; {name}; '
                        f'pcre:"/^(?P<pkt_{var}>.*)$/s"; sid:{sid};)\n')
                sid += 1
    names = {}
    sid = 1
    for direction, bufs in (('to_server', REQUEST_BUFFERS), ('to_client', RESPONSE_BUFFERS)):
        for name in bufs:
            names[f'{direction[3]}{sid}'] = (direction, name)
            sid += 1
    return names


def printable(value):
    """Suricata's pktvar form: printable ASCII, CR and LF kept, every other byte '.'."""
    return ''.join(c if (0x20 <= ord(c) < 0x7f or c in '\r\n') else '.' for c in value)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('secreplay')
    ap.add_argument('--sessions', type=int, default=60)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--keep')
    args = ap.parse_args()
    if not shutil.which('suricata'):
        print('suricata_buffers: SKIP: suricata not installed')
        return 77
    rng = random.Random(args.seed)
    work = args.keep or tempfile.mkdtemp(prefix='suri-buffers-')
    os.makedirs(work, exist_ok=True)
    pcap = os.path.join(work, 'sessions.pcap')
    w = PcapWriter(pcap)
    write_http_sessions(w, rng, args.sessions, random_request, random_response)
    w.close()
    names = rules(os.path.join(work, 'dump.rules'))
    eve = run_suricata(pcap, os.path.join(work, 'dump.rules'), os.path.join(work, 'suricata'))
    theirs = {}
    with open(eve) as f:
        for line in f:
            e = json.loads(line)
            if e.get('event_type') != 'alert':
                continue
            session = e['src_port'] - 20000 if e['src_port'] >= 20000 else e['dest_port'] - 20000
            for pv in e.get('metadata', {}).get('pktvars', []):
                for var, value in pv.items():
                    direction, name = names[var]
                    if name == 'http.header.raw' and value.endswith('\r\n\r\n\r\n'):
                        # Suricata appends a chunked message's trailer section (here the empty
                        # line) when it inspects after the body arrived: a timing artifact.
                        value = value[:-2]
                    if value:
                        theirs.setdefault((session, direction), {})[name] = value
    ours = {}
    out = subprocess.run([args.secreplay, '--dump-http', pcap], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = json.loads(line)
        if m['index'] != 0:
            continue
        session = int(m['client'].rsplit(':', 1)[1]) - 20000
        wanted = REQUEST_BUFFERS if m['direction'] == 'to_server' else RESPONSE_BUFFERS
        ours[(session, m['direction'])] = {k: printable(v) for k, v in m['buffers'].items() if k in wanted and v}
    compared = differ = 0
    for key in sorted(set(ours) | set(theirs)):
        a, b = ours.get(key, {}), theirs.get(key, {})
        for name in sorted(set(a) | set(b)):
            compared += 1
            if a.get(name) != b.get(name):
                differ += 1
                if differ <= int(os.environ.get("SHOW_DIFFS", "20")):
                    print(f'DIFF session={key[0]} {key[1]} {name}:\n  ours:     {a.get(name)!r}\n  suricata: {b.get(name)!r}')
    print(f'suricata_buffers: {compared - differ} of {compared} buffers agree over {args.sessions} sessions (seed {args.seed})')
    if not args.keep:
        shutil.rmtree(work)
    return 0 if differ == 0 and compared > 0 else 1


if __name__ == '__main__':
    sys.exit(main())
