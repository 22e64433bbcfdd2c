#!/usr/bin/env python3
"""Print every public header under include/secengine, one per line, relative to include/.

Meson has no glob; tests/headers uses this list at configure time to generate one translation
unit per header ("every header compiles alone"). `make` reconfigures, so new headers are picked up.
"""
import os
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'include')
for dirpath, _, files in sorted(os.walk(root)):
    for name in sorted(files):
        if name.endswith('.hpp'):
            print(os.path.relpath(os.path.join(dirpath, name), root))
sys.exit(0)
