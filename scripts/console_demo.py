#!/usr/bin/env python3
"""`make console`: boot the appliance in QEMU (inline mode, the `make run` configuration) with
port 0 "outside" on a multicast socket segment, and start secconsole on that segment: the
console's control link and its traffic generator share the port with anything else that joins
(secctl, scripts), as docs/console.md describes. Stops QEMU when the console exits."""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'qemu'))
from qemu_harness import Appliance  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--elf', default='build/riscv/apps/unikernel/unikernel.elf')
    ap.add_argument('--console', default='build/host/apps/imgui-console/secconsole')
    ap.add_argument('args', nargs='*', help='extra secconsole arguments')
    a = ap.parse_args()
    app = Appliance(a.elf, ports=2, legacy=True, bootargs='ip=10.0.0.2/24 mgmt_port=7400', mcast=True)
    try:
        for line in app.lines:
            if line:
                print('  uart| ' + line)
        p0 = app.ports[0]
        seg = '%s:%d' % (p0.group, p0.port)
        cmd = [a.console, '--appliance', '10.0.0.2:7400', '--netdev', 'mcast=' + seg, '--sink', 'mcast:' + seg] + a.args
        if not os.environ.get('DISPLAY') and '--null' not in a.args:
            print('console: no DISPLAY; running under xvfb-run (pass --null for no window at all)')
            cmd = ['xvfb-run', '-a', '-s', '-screen 0 1280x800x24'] + cmd
        print('console: ' + ' '.join(cmd))
        return subprocess.call(cmd)
    finally:
        app.close()


if __name__ == '__main__':
    sys.exit(main())
