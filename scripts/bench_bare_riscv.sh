#!/bin/sh
# Guest instructions on bare-metal RV64 (`make bench`): each NAME's bench/NAME/riscv_NAME.cpp is
# built with the cross compiler against the shared harness (bench/common/riscv_harness.hpp,
# riscv_start.S, riscv.ld) and run in QEMU with -icount shift=0, so minstret counts guest
# instructions exactly (docs/performance.md). Prints name=value lines; fails if a build fails,
# QEMU times out, or a benchmark's own check fails (its exit status).
#   usage: scripts/bench_bare_riscv.sh [NAME...]   (default: every bench with a riscv_NAME.cpp)
#   wire:   the control protocol's MAC, a command opened and acknowledged, a forged datagram
#   stream: IPv4 + TCP checksums and the TCP normaliser per segment
set -e
cd "$(dirname "$0")/.."
names="$*"
if [ -z "$names" ]; then
  for f in bench/*/riscv_*.cpp; do
    d=$(basename "$(dirname "$f")")
    [ "$f" = "bench/$d/riscv_$d.cpp" ] && names="$names $d"
  done
fi
for name in $names; do
  src="bench/$name/riscv_$name.cpp"
  if [ ! -f "$src" ]; then
    echo "bench_bare_riscv: no benchmark '$name' (expected $src)" >&2
    exit 64
  fi
  out="build/bench-$name-riscv"
  mkdir -p "$out"
  riscv64-linux-gnu-g++ -std=c++20 -O2 -ffreestanding -fno-exceptions -fno-rtti -fno-threadsafe-statics \
    -fno-use-cxa-atexit -march=rv64gc -mabi=lp64d -mcmodel=medany -fno-pie -no-pie -fno-stack-protector \
    -Wall -Wextra -Wconversion -Wshadow -Werror \
    -nostdlib -nostartfiles -static -Wl,--build-id=none -Wl,--no-warn-rwx-segments -Wl,-T,bench/common/riscv.ld \
    -Iinclude -Ibench/common bench/common/riscv_start.S "$src" -o "$out/$name.elf"
  timeout 60 qemu-system-riscv64 -machine virt -bios none -nographic -m 128M -icount shift=0,sleep=off \
    -kernel "$out/$name.elf" </dev/null > "$out/$name.txt"
  tr -d '\r' < "$out/$name.txt" | grep '='
done
