#!/bin/sh
# secreplay throughput on the generated mixed capture (apps/secreplay/gen_pcap): prints
# `secreplay.pps` (end to end: libpcap read + pipeline + counters) and `secreplay.engine_pps`
# (the pipeline's process() alone). Best of 5 runs over the capture repeated 20 times.
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
b="$root/build/host/apps/secreplay"
[ -x "$b/secreplay" ] && [ -x "$b/gen_pcap" ] || { echo "bench_secreplay: build the host tree first" >&2; exit 0; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$b/gen_pcap" "$tmp"
# 20 copies back to back, timestamps shifted so the capture stays in time order.
python3 - "$tmp/mixed.pcap" "$tmp/big.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read(); hdr, body = d[:24], d[24:]
recs, off = [], 0
while off < len(body):
    s, u, cl, l = struct.unpack_from('<IIII', body, off); recs.append((s, u, body[off + 16:off + 16 + cl], l)); off += 16 + cl
span = recs[-1][0] - recs[0][0] + 2
out = [hdr]
for k in range(20):
    for s, u, data, l in recs:
        out.append(struct.pack('<IIII', s + k * span, u, len(data), l) + data)
open(sys.argv[2], 'wb').write(b''.join(out))
PY
best=0; beste=0
for i in 1 2 3 4 5; do
  out=$("$b/secreplay" --quiet "$tmp/big.pcap")
  p=$(echo "$out" | sed -n 's/^packets_per_second=//p'); e=$(echo "$out" | sed -n 's/^engine_packets_per_second=//p')
  [ "$p" -gt "$best" ] && best=$p; [ "$e" -gt "$beste" ] && beste=$e
done
echo "secreplay.packets=$(echo "$out" | sed -n 's/^packets=//p')"
echo "secreplay.pps=$best"
echo "secreplay.engine_pps=$beste"
