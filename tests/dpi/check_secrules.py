#!/usr/bin/env python3
"""Runs secrules on the sample rules file and checks the loaded/skipped report line by line."""
import subprocess
import sys

out = subprocess.run([sys.argv[1], sys.argv[2]], capture_output=True, text=True, check=True).stdout
print(out)
expect = [
    ':2: loaded sid=1000001 ', 'lane=text pattern="union select"',
    ':3: loaded sid=1000002 ', 'dport=[80,8080,8000:8010]',
    'pattern="h//shh/bin"', ':5: loaded sid=1000004 ', 'pattern="/etc/passwd" contents=2',
    'lane=text pattern="xp_" contents=2', 'pattern="a;b|22|c|0d 0a|"', ':8: loaded sid=1000007 ',
    ":10: skipped: unsupported_option 'pcre'", ":11: skipped: unsupported_option 'depth'",
    ':12: skipped: missing_sid', ":13: skipped: bad_action 'pass'", ":14: skipped: bad_port '99999'",
    ":15: skipped: bad_content 'content'", ':16: skipped: same pattern as sid 1000001',
    ":17: skipped: bad_option_syntax 'content'", 'summary: loaded=7 skipped=8 ',
]
missing = [e for e in expect if e not in out]
if missing:
    print('missing:', missing)
    sys.exit(1)
