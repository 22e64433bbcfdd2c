#!/usr/bin/env python3
"""Renders secconsole in a real GLFW/OpenGL window under Xvfb (Mesa), writes a screenshot and
checks that it is a real picture: a valid PNG of the window size with many distinct colours
(a blank or failed read-back is one or two colours)."""
import struct
import subprocess
import sys
import zlib

exe, out = sys.argv[1], sys.argv[2]
cmd = ['xvfb-run', '-a', '-s', '-screen 0 1280x800x24', exe, '--synthetic', '--frames', '5', '--screenshot', out]
r = subprocess.run(cmd, capture_output=True, text=True, timeout=100)
print(r.stdout, r.stderr)
if r.returncode != 0:
    sys.exit(f'secconsole failed: {r.returncode}')

data = open(out, 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat, width, height = 8, b'', 0, 0
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b'IHDR':
        width, height, depth, ctype = struct.unpack('>IIBB', body[:10])
        assert depth == 8 and ctype == 6, 'expected 8-bit RGBA'
    elif kind == b'IDAT':
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = width * 4
rows, prev = [], bytearray(stride)
for y in range(height):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):  # PNG filters (RFC 2083 section 6)
        a = line[i - 4] if i >= 4 else 0
        b = prev[i]
        c = prev[i - 4] if i >= 4 else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line))
    prev = line
colours = set()
for row in rows[::8]:
    for x in range(0, stride, 16):
        colours.add(row[x:x + 3])
print(f'{width}x{height}, {len(colours)} distinct colours in a sample')
if (width, height) != (1280, 800):
    sys.exit('wrong size')
if len(colours) < 20:
    sys.exit('image looks blank')
