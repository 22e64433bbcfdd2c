#!/usr/bin/env python3
"""Writes N rules in ET Open's web-rule shape for the throughput benchmark (bench_secreplay.sh).

Each rule has a distinct literal in one of the buffers ET rules use most (http.uri 40 %,
http.user_agent, http.header, http.request_body, file_data, raw payload), nocase on about
half, a second content with distance/within on a quarter, flow on all - the keyword mix of
the issue's survey. Deterministic for a seed; literals never occur in the benchmark traffic
except for the sids listed on stderr, so the alert count is known.
    gen_ruleset.py N OUT.rules [--seed S]
"""
import random
import sys

BUFFERS = [('http.uri', 40), ('http.user_agent', 10), ('http.header', 15), ('http.request_body', 5), ('file_data', 10),
           (None, 20)]


def token(rng, n):
    return ''.join(rng.choice('abcdefghijklmnopqrstuvwxyz0123456789_-') for _ in range(n))


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    rng = random.Random(seed)
    names, weights = zip(*BUFFERS)
    with open(out, 'w') as f:
        for i in range(n):
            buf = rng.choices(names, weights)[0]
            lit = token(rng, rng.randint(6, 14))
            nocase = '; nocase' if rng.random() < 0.5 else ''
            second = ''
            if rng.random() < 0.25:
                second = f'; content:"{token(rng, 4)}"; distance:0; within:{rng.randint(10, 60)}'
            flow = 'to_client' if buf == 'file_data' else 'to_server'
            proto = 'tcp' if buf is None else 'http'
            sticky = f'{buf}; ' if buf else ''
            f.write(f'alert {proto} $EXTERNAL_NET any -> $HOME_NET any (msg:"BENCH rule {i} {buf or "payload"}"; '
                    f'flow:established,{flow}; {sticky}content:"/{lit}"{nocase}{second}; classtype:web-application-attack; '
                    f'sid:{7000000 + i}; rev:1;)\n')


if __name__ == '__main__':
    main()
