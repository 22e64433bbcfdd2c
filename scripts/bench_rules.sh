#!/usr/bin/env bash
# Rule engine throughput against Suricata 7 (scripts/bench_rules.sh) (docs/performance.md names): the same capture and the
# same N-rule set through `secreplay -S` and `suricata -r -S --runmode single` (eve-log on),
# packets per CPU-second of each (user + system time of all its threads), best of 3 runs. Prints rules.secreplay_pps.<N>,
# rules.suricata_pps.<N>, rules.ratio_to_suricata.<N> and, for the largest N, the plain names.
set -euo pipefail
cd "$(dirname "$0")/.."
secreplay=build/host/apps/secreplay/secreplay
work=build/bench/rules
mkdir -p "$work"
python3 bench/rules/gen_traffic.py "$work/traffic.pcap" --sessions "${BENCH_SESSIONS:-3000}" 2>"$work/packets.txt"
packets=$(cat "$work/packets.txt")
best() {  # best CPU time (user + system, all threads) of 3 runs of "$@", in seconds
    # CPU time rather than wall time: the build machine is shared, and another job's load
    # stretches wall time of both sides by different amounts; CPU time is what each side costs.
    local best=
    for _ in 1 2 3; do
        /usr/bin/time -f '%U %S' -o "$work/time.txt" "$@" >/dev/null 2>&1
        best=$(python3 -c "u, s = map(float, open('$work/time.txt').read().split()[-2:]); a = u + s; b = '$best'; print(a if not b or a < float(b) else b)")
    done
    echo "$best"
}
for n in ${BENCH_RULES:-100 1000 5000}; do
    python3 bench/rules/gen_ruleset.py "$n" "$work/rules_$n.rules"
    ours=$(best "$secreplay" -S "$work/rules_$n.rules" --eve --quiet "$work/traffic.pcap")
    theirs=NaN
    if command -v suricata >/dev/null; then
        theirs=$(best bash -c "rm -rf '$work/suri' && mkdir -p '$work/suri' && suricata -c /etc/suricata/suricata.yaml -r '$work/traffic.pcap' -S '$work/rules_$n.rules' -l '$work/suri' -k none --runmode single")
    fi
    python3 - "$n" "$packets" "$ours" "$theirs" <<'PY'
import sys
n, packets, ours, theirs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
print(f"rules.secreplay_pps.{n}={packets / ours:.0f}")
print(f"rules.suricata_pps.{n}={packets / theirs:.0f}")
print(f"rules.ratio_to_suricata.{n}={theirs / ours:.2f}")
PY
done | tee "$work/figures.txt"
last=$(echo ${BENCH_RULES:-100 1000 5000} | awk '{print $NF}')
sed -n "s/^\(rules\.[a-z_]*\)\.$last=/\1=/p" "$work/figures.txt"
