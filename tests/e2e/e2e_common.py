"""What every end-to-end program here shares (test_e2e.py, test_sqlmap.py, test_evasion.py).

The topology itself (namespaces, taps, the QEMU appliance) is scripts/e2e_topology.py; this is
the run around it: the recorded checks, the root and tool checks (exit 77 = meson's "skipped"),
the work directory, a broken step turned into a failed check, and the results file.

    results = e2e_common.new_results(bootargs=BOOTARGS)
    check = e2e_common.checker(results)
    ...
    def main():
        rc = e2e_common.preflight('the sqlmap e2e test', ('sqlmap', 'tshark'))
        if rc is not None:
            return rc
        return e2e_common.run(results, check, 'secengine-sqlmap-', body, out, keep)
"""
import json
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
for _p in (os.path.join(ROOT, 'scripts'), HERE):
    if _p not in sys.path:
        sys.path.insert(0, _p)


def new_results(**fields):
    """A run's results: its checks plus whatever the program records beside them."""
    return {'checks': [], **fields}


def checker(results):
    """check(phase, name, ok, required=True, **figures): records one check and prints it.

    `required=False` rows are reported (printed `info`) and never fail the run."""
    def check(phase, name, ok, required=True, **figures):
        results['checks'].append({'phase': phase, 'name': name, 'ok': bool(ok), 'required': required, **figures})
        tag = ('ok  ' if ok else 'FAIL') if required else ('info' if ok else 'info-no')
        print('%s [%s] %s %s' % (tag, phase, name, json.dumps(figures, default=str) if figures else ''), flush=True)
        return ok
    return check


def preflight(what, tools=()):
    """None when the run can go on; else its exit code: 77 without root, 1 when a tool is missing."""
    if os.geteuid() != 0:
        print('SKIP: %s: root needed (network namespaces, TAP devices); run `sudo make e2e`' % what)
        return 77
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        print('FAIL: missing tools %s (make deps installs them)' % missing)
        return 1
    return None


def run(results, check, prefix, body, out, keep=False):
    """Runs body(work) in a fresh work directory and writes the results to `out`.

    An exception in body (the topology is already down by then: e2e_topology's context manager)
    is a failed check 'run completed', not a traceback. Returns the exit code: 1 when a required
    check failed, else 0."""
    work = tempfile.mkdtemp(prefix=prefix)
    results.update({'work': work, 'date': time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())})
    t0 = time.time()
    try:
        body(work)
    except Exception as e:  # a broken step is a failed check
        check('setup', 'run completed', False, error='%s: %s' % (type(e).__name__, e))
    results['seconds'] = round(time.time() - t0, 1)
    failed = [c for c in results['checks'] if not c['ok'] and c.get('required', True)]
    results['passed'] = sum(1 for c in results['checks'] if c['ok'] and c.get('required', True))
    results['failed'] = len(failed)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, 'w') as f:
        json.dump(results, f, indent=1, default=str)
    print('%d checks, %d failed, %.0f s; results in %s' % (len(results['checks']), len(failed), results['seconds'], out))
    for c in failed:
        print('FAIL [%s] %s %s' % (c['phase'], c['name'], c.get('server_received', '')))
    if keep:
        print('work directory kept: %s' % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0
