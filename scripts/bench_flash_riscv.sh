#!/bin/sh
# Flash boot benchmark (`make bench`): riscv.insns_flash_boot, riscv.insns_state_load (100
# records), riscv.flash_ack_ms. See scripts/bench_flash.py and docs/store.md.
cd "$(dirname "$0")/.." || exit 1
exec python3 scripts/bench_flash.py
