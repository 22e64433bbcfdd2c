#!/bin/sh
# Guest instructions of inline normalisation on bare-metal RV64 (bench/stream/riscv_stream.cpp):
# built with the cross compiler, run in QEMU with -icount shift=0 so minstret counts guest
# instructions exactly (DESIGN.md section 6). Start code and linker script: bench/wire/.
# Prints name=value lines.
set -e
cd "$(dirname "$0")/.."
out=build/bench-stream-riscv
mkdir -p "$out"
riscv64-linux-gnu-g++ -std=c++20 -O2 -ffreestanding -fno-exceptions -fno-rtti -fno-threadsafe-statics \
  -fno-use-cxa-atexit -march=rv64gc -mabi=lp64d -mcmodel=medany -fno-pie -no-pie -fno-stack-protector \
  -nostdlib -nostartfiles -static -Wl,--build-id=none -Wl,--no-warn-rwx-segments -Wl,-T,bench/wire/riscv.ld -Iinclude \
  bench/wire/riscv_start.S bench/stream/riscv_stream.cpp -o "$out/stream.elf"
timeout 60 qemu-system-riscv64 -machine virt -bios none -nographic -m 128M -icount shift=0,sleep=off \
  -kernel "$out/stream.elf" </dev/null | tr -d '\r' | grep '='
