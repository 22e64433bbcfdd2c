#pragma once
/// \file Physical memory protection lockdown (privileged spec v1.12, section 3.7).
#include <cstddef>
#include <cstdint>

namespace board::pmp {

/// Locks the PMP so that, for the rest of this boot, M-mode may only execute/read the image
/// (__rom_start .. __rom_end: DRAM for the -kernel boot, pflash bank 0 for the flash boot),
/// read/write the 64 KiB RAM window (except a 64-byte guard below the stack) and the MMIO
/// devices we use; every other access raises an access fault. Locked entries bind M-mode too
/// and stay until reset. With `state_bank` (flash boot) pflash bank 1 is readable, and writable
/// only between write_open() and write_close() (the flash driver's program/erase path).
/// Returns the number of entries used.
int lockdown(bool state_bank);

/// Opens / closes the state bank for writes (CFI command cycles). Loads and stores outside
/// that bracket run with mstatus.MPRV=1, MPP=U: checked as U-mode accesses, so the unlocked
/// read-only bank-1 entry applies to them (spec 3.1.6.3, 3.7.1).
void write_open();
void write_close();

}  // namespace board::pmp
