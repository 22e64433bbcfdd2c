#!/usr/bin/env python3
"""The committed include/secengine/rules/builtin_db.hpp is what secrules compiles from
rules/builtin.rules today (fails when either changed without the other).
usage: check_builtin_db.py SECRULES SOURCE_ROOT BUILD_DIR"""
import os
import subprocess
import sys

secrules, root, build = sys.argv[1:4]
os.makedirs(build, exist_ok=True)
db = os.path.join(build, "builtin.db")
r = subprocess.run([secrules, "compile", "--quiet", "--dense-rows", "1", os.path.join(root, "rules/builtin.rules"), "-o", db],
                   capture_output=True, text=True)
print(r.stdout, r.stderr)
if r.returncode != 0 or "skipped=0" not in r.stdout:
    print("rules/builtin.rules does not compile cleanly (every built-in rule must load)")
    sys.exit(1)
sys.exit(subprocess.call([sys.executable, os.path.join(root, "scripts/embed_rules_db.py"), "--check",
                          os.path.join(root, "include/secengine/rules/builtin_db.hpp"), db, "rules/builtin.rules"]))
