#!/usr/bin/env python3
"""The Suricata side of the differential tests (tests/http, tests/rules): how it is run and the
generated HTTP sessions both engines see, in one place.

Suricata 7 offline (docs/performance/rules.md): `-r PCAP -S RULES -l DIR -k none --runmode single`,
a fresh log folder per run (eve.json appends), and `packet-alert-max` raised from 15 so that no
alert of a busy packet is dropped from the comparison.
"""
import os
import shutil
import subprocess

from pcapgen import TcpSession


def run_suricata(pcap, rules, log, simulate_ips=False):
    """Runs Suricata on `pcap` with `rules`, logging into a fresh `log`; returns eve.json's path."""
    shutil.rmtree(log, ignore_errors=True)
    os.makedirs(log)
    cmd = ['suricata', '-c', '/etc/suricata/suricata.yaml', '-r', pcap, '-S', rules, '-l', log, '-k', 'none',
           '--runmode', 'single', '--set', 'packet-alert-max=255']
    if simulate_ips:
        cmd.append('--simulate-ips')  # drop rules drop the flow, as inline
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return os.path.join(log, 'eve.json')


def write_http_sessions(writer, rng, count, make_request, make_response, first_port=20000):
    """One connection per transaction from 10.0.0.10:first_port+k to 10.0.0.20:80, the request and
    the response each cut into segments of a size drawn per session (1400, 50 or 7 bytes)."""
    for k in range(count):
        method, req = make_request(rng)
        s = TcpSession(writer, ('10.0.0.10', first_port + k), ('10.0.0.20', 80))
        s.open()
        s.client(req, segment=rng.choice([1400, 1400, 7, 50]))
        s.server(make_response(rng, method), segment=rng.choice([1400, 30]))
        s.close()
