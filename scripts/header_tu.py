#!/usr/bin/env python3
"""Write a translation unit that includes exactly one header (argv[1]) to argv[2]."""
import sys

with open(sys.argv[2], 'w', encoding='utf-8') as out:
    out.write(f'// generated: proves <{sys.argv[1]}> compiles on its own\n#include <{sys.argv[1]}>\n')
