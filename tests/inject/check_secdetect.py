#!/usr/bin/env python3
"""secdetect's command line: verdicts, tokens per context, usage errors (exit 64 naming the token)."""
import subprocess
import sys
import tempfile

exe = sys.argv[1]
failures = []


def run(*args):
    return subprocess.run([exe, *args], capture_output=True, text=True)


def check(cond, what):
    if not cond:
        failures.append(what)


r = run("1' AND 1=1 UNION SELECT NULL--")
check(r.returncode == 0 and "ATTACK kind=sql" in r.stdout, f"sqli value: {r.returncode} {r.stdout!r}")
for ctx in ("bare", "single_quote", "double_quote", "number"):
    check(f"  {ctx}" in r.stdout, f"context {ctx} listed")
check("U:UNION" in r.stdout, "tokens printed with type:text")
r = run("o'neil boots")
check(r.returncode == 0 and "o'neil boots: benign" in r.stdout, f"benign value: {r.stdout!r}")
r = run("--source", "cookie", "%3Cscript%3Ealert(1)%3C/script%3E")
check("kind=xss" in r.stdout, f"cookie xss: {r.stdout!r}")
with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
    f.write("union station\n../../etc/passwd\na;sleep 60;5\n")
    f.flush()
    r = run("-f", f.name)
    lines = [l for l in r.stdout.splitlines() if not l.startswith("  ")]
    check(len(lines) == 3 and "benign" in lines[0] and "kind=path" in lines[1] and "kind=command" in lines[2],
          f"-f FILE: {lines!r}")
for args, token in ((["--bogus", "x"], "--bogus"), (["--source", "nowhere", "x"], "nowhere"), (["-f"], "-f"),
                    ([], "no value"), (["gen", "--attacks"], "--attacks"), (["gen", "--zap"], "--zap")):
    r = run(*args)
    check(r.returncode == 64 and token in r.stderr, f"usage error {args}: rc={r.returncode} {r.stderr!r}")
r = run("-f", "/nonexistent/values.txt")
check(r.returncode == 2 and "/nonexistent/values.txt" in r.stderr, f"unreadable file: {r.returncode}")
if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
print("secdetect cli: all checks passed")
