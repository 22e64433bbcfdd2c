#!/bin/sh
# RV64 cost of the injection detector (`make bench`): builds bench/detect/riscv (a bare-metal
# probe linking include/secengine/inject with the corpora as read-only data) with the kernel's
# flags and runs it under QEMU -icount, which makes minstret count guest instructions exactly.
# Prints riscv.insns_per_param_byte (docs/inject.md). Output under build/detect-riscv/.
cd "$(dirname "$0")/.." || exit 1
out=build/detect-riscv
mkdir -p "$out"
src=bench/detect/riscv
flags="-std=c++20 -O2 -ffreestanding -fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit
  -nostdlib -nostartfiles -static -fno-pie -no-pie -Wl,--build-id=none -march=rv64gc -mabi=lp64d -mcmodel=medany
  -Wall -Wextra -Wconversion -Wshadow -Werror"
# shellcheck disable=SC2086
riscv64-linux-gnu-g++ $flags -Iinclude -Ibench/common \
  -DSQLMAP_FILE="\"tests/inject/data/sqlmap.txt\"" -DPROSE_FILE="\"tests/inject/data/benign_prose.txt\"" \
  -T "$src/probe.ld" "$src/start.S" "$src/probe.cpp" -o "$out/probe.elf" || exit 1
timeout 300 qemu-system-riscv64 -machine virt -bios none -nographic -m 128M -icount shift=0,sleep=off \
  -kernel "$out/probe.elf" > "$out/probe.txt" 2>&1
grep -E '^(riscv|detect)\.' "$out/probe.txt" | tr -d '\r' || { cat "$out/probe.txt"; exit 1; }
