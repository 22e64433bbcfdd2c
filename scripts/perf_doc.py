#!/usr/bin/env python3
"""Assemble docs/performance.md from the per-component pages in docs/performance/.

Each component keeps its own figures and commands in docs/performance/<component>.md (written
where the component is measured); this script joins them, in pipeline order, under one preamble
so docs/performance.md holds every figure and command. Run it after updating a component page.
"""
import os

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'docs')
order = ['engine', 'unikernel', 'ebpf', 'dpi', 'rules', 'stream', 'detect', 'wire', 'control', 'flash', 'secreplay', 'console']
parts = sorted(f[:-3] for f in os.listdir(os.path.join(root, 'performance')) if f.endswith('.md'))
parts = [p for p in order if p in parts] + [p for p in parts if p not in order]

out = ['# Performance',
       '',
       'Every figure below is measured, not estimated, by `make bench` (which prints the',
       '`name=value` lines of docs/performance.md) or by the command named in its section.',
       'Host figures come from a 2-core Debian 12 VM shared with other work, so wall-clock',
       'numbers carry noise (the sections say how much); RISC-V figures count guest instructions',
       'with `-icount shift=0,sleep=off` and are exact. Targets that are missed say so, with what',
       'limits them. This page is assembled by `scripts/perf_doc.py` from `docs/performance/*.md`.',
       '']
for p in parts:
    with open(os.path.join(root, 'performance', p + '.md'), encoding='utf-8') as f:
        text = f.read().strip()
    out.append(text)
    out.append('')
with open(os.path.join(root, 'performance.md'), 'w', encoding='utf-8') as f:
    f.write('\n'.join(out))
