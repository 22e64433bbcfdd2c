#!/usr/bin/env python3
"""Close `make test` with one line that counts every meson test of every build folder.

Reads <build>/meson-logs/testlog.json (one JSON object per test) from each folder given and
prints `tests: N passed, M failed, K skipped`. A folder whose log is missing counts as a failure,
so a build that broke before its tests ran cannot look green.
"""
import json
import os
import sys

passed = failed = skipped = 0
for build in sys.argv[1:]:
    log = os.path.join(build, 'meson-logs', 'testlog.json')
    if not os.path.exists(log):
        print(f'{build}: no test log (build or test step failed)')
        failed += 1
        continue
    for line in open(log, encoding='utf-8'):
        line = line.strip()
        if not line:
            continue
        result = json.loads(line).get('result', 'FAIL')
        if result in ('OK', 'EXPECTEDFAIL'):
            passed += 1
        elif result == 'SKIP':
            skipped += 1
        else:
            failed += 1
            print(f"{build}: {json.loads(line).get('name')}: {result}")
print(f'tests: {passed} passed, {failed} failed, {skipped} skipped')
sys.exit(1 if failed else 0)
