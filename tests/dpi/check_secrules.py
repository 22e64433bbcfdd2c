#!/usr/bin/env python3
"""Runs secrules on the DPI sample rules file and checks the loaded/skipped report line by line.

secrules now runs the Suricata rule engine (docs/rules.md), not the DPI subset: depth, pass, pcre and a
second rule with the same pattern load (they were skipped before);
pcre loads (the regex subset, docs/regex.md); errors say what is wrong."""
import subprocess
import sys

proc = subprocess.run([sys.argv[1], sys.argv[2]], capture_output=True, text=True)
out = proc.stdout
print(out)
expect = [
    ':2: loaded sid=1000001 ', 'prefilter=payload:"union select"',
    ':3: loaded sid=1000002 ', 'action=drop',
    'prefilter=payload:"h//shh/bin"', ':5: loaded sid=1000004 ', 'proto=http ops=2',
    'prefilter=payload:"xp_"', 'prefilter=payload:"a;b|22|c|0d 0a|"', ':8: loaded sid=1000007 ',
    ':10: loaded sid=2000001 ', ':11: loaded sid=2000002 ',
    ':12: skipped sid=0: error: no sid', ':13: loaded sid=2000003 rev=0 action=pass',
    ":14: skipped sid=2000004: error: destination port: bad port '99999'",
    ":15: skipped sid=2000005: error: content: content hex block has a non-hex character 'g'",
    ':16: loaded sid=2000006 ', ":17: skipped sid=2000007: error: unterminated string in option 'content'",
    'summary: loaded=11 skipped=4 ',
]
missing = [e for e in expect if e not in out]
if missing or proc.returncode != 0:
    print('missing:', missing, 'rc:', proc.returncode)
    sys.exit(1)
