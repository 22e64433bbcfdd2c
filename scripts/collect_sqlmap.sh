#!/bin/sh
# Collect sqlmap's attack payloads for tests/inject/data/ (see the README there).
# Runs scripts/sqlmap_target.py on 127.0.0.1:$PORT, points sqlmap at it (loopback only, bounded by
# `timeout`), and writes the distinct logged values of the injected parameters to OUT.
# Usage: scripts/collect_sqlmap.sh OUTDIR [PORT]
set -eu
out=$1; port=${2:-18081}
mkdir -p "$out"
log="$out/requests.jsonl"; : > "$log"
python3 "$(dirname "$0")/sqlmap_target.py" "$port" "$log" &
srv=$!
trap 'kill $srv' EXIT
sleep 1
# GET id (level 3 risk 2, all techniques), then a POST body parameter.
timeout 900 sqlmap -u "http://127.0.0.1:$port/item?id=1" --batch --level 3 --risk 2 -p id \
  --flush-session --output-dir="$out/sqlmap" --threads 4 --technique BEUSTQ >"$out/sqlmap_get.log" 2>&1 || true
timeout 600 sqlmap -u "http://127.0.0.1:$port/search" --data "q=shoes&id=2" --batch --level 3 --risk 2 -p q \
  --flush-session --output-dir="$out/sqlmap" --threads 4 >"$out/sqlmap_post.log" 2>&1 || true
