#!/usr/bin/env python3
"""secrules on an ET-Open-style rules file: every supported rule loads, every refused one is
reported as file:line with ALL its unsupported keywords (or its error), the summary line, exit
codes (0 loaded, 1 none loaded, 64 usage error naming the token), `compile -o` writes a database
whose header is checked here independently (magic, version, length, CRC-32), and --scan."""
import binascii
import os
import re
import struct
import subprocess
import sys
import tempfile

exe, data = sys.argv[1], sys.argv[2]
rules = os.path.join(data, 'et_style.rules')
failures = []
# The format version the library expects (include/secengine/rules/format.hpp), read from the source.
format_hpp = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'include', 'secengine', 'rules', 'format.hpp')
# Two versions: db_version_min (images with automata only, the default) and db_version (with
# literal tables, --literal-tables).
db_version = int(re.search(r'db_version = (\d+);', open(format_hpp).read()).group(1))
db_version_min = int(re.search(r'db_version_min = (\d+);', open(format_hpp).read()).group(1))


def run(*args):
    p = subprocess.run([exe, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


rc, out, _ = run(rules)
print(out)
expect = [
    ':3: loaded sid=3000001 ', 'buffers=http.uri prefilter=http.uri:"/etc/passwd"',
    ':6: loaded sid=3000004 ', 'buffers=http.method,http.request_body',
    ':18: loaded sid=3000016 ', ':19: loaded sid=3000017 ', 'buffers=http.response_body',
    ':23: skipped sid=3000101: unsupported: tls.sni, http.start',  # pcre itself is supported
    ':24: skipped sid=3000102: unsupported: protocol tls',
    ':25: skipped sid=3000103: error: depth cannot be combined with distance/within',
    ":27: skipped sid=3000105: error: source address: undefined address variable '$NOPE_NET'",
    ':28: loaded sid=3000106 ',  # unknown classtype: loads with priority 3, as in Suricata 7
    ':29: skipped sid=3000001: error: duplicate sid',
    'summary: loaded=22 skipped=5 unsupported=2 errors=2 duplicates=1 ',
]
failures += [f'missing {e!r}' for e in expect if e not in out]
if rc != 0:
    failures.append(f'exit {rc} with rules loaded')

with tempfile.TemporaryDirectory() as tmp:
    for extra, want_version in (([], db_version_min), (['--literal-tables'], db_version)):
        db = os.path.join(tmp, 'rules.db')
        rc, out, _ = run('compile', '--vars', os.path.join(data, 'vars.yaml'), '--var', 'HTTP_PORTS=[80,81]', '-q', *extra, rules, '-o', db)
        if rc != 0 or not os.path.exists(db):
            failures.append(f'compile {extra} failed: {rc} {out}')
            continue
        img = open(db, 'rb').read()
        magic, version, length, crc = img[:8], *struct.unpack_from('<III', img, 8)
        calc = binascii.crc32(img[:16] + img[20:96] + img[128:]) & 0xFFFFFFFF
        if magic != b'SECRULES' or version != want_version or length != len(img) or crc != calc:
            failures.append(f'bad image header {extra} {magic} {version} {length}/{len(img)} {crc:x}/{calc:x}')
        if struct.unpack_from('<I', img, 20)[0] != 22:
            failures.append(f'rule count in the image {extra} is not 22')
    scan = os.path.join(tmp, 'payload.bin')
    open(scan, 'wb').write(b'GET /x/..%2f..%2fetc HTTP/1.0\r\nroot scan-ok\r\n')
    rc, out, _ = run('-q', '--scan', scan, rules)
    for e in ['match sid=3000014 action=pass', ': 1 matches']:
        if e not in out:
            failures.append(f'--scan: missing {e!r} in {out}')
    empty = os.path.join(tmp, 'none.rules')
    open(empty, 'w').write('# nothing\nalert tls any any -> any any (sid:1;)\n')
    rc, out, _ = run(empty)
    if rc != 1 or 'summary: loaded=0 skipped=1' not in out:
        failures.append(f'no rule loaded: exit {rc}, {out}')

for args, token in [(['--bogus', rules], '--bogus'), (['--var', 'NOEQUALS', rules], 'NOEQUALS'),
                    (['compile', rules], '-o'), ([], 'no rules file'), (['--var', 'X_PORTS=99999', rules], 'X_PORTS=99999'),
                    (['--dense-rows', '0', rules], "'0'"), (['--dense-rows', 'x1', rules], "'x1'")]:
    rc, _, err = run(*args)
    if rc != 64 or token not in err:
        failures.append(f'usage {args}: exit {rc}, stderr {err!r}')

if failures:
    print('\n'.join(failures))
    sys.exit(1)
print('ok')
