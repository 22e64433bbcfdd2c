#pragma once
/// \file Physical memory protection lockdown (privileged spec v1.12, section 3.7).
#include <cstddef>
#include <cstdint>

namespace board::pmp {

/// Locks the PMP so that, for the rest of this boot, M-mode may only execute/read the image
/// (0x80000000 .. __rom_end), read/write the 64 KiB RAM window (except a 64-byte guard below
/// the stack) and the MMIO devices we use;
/// every other access raises an access fault. Locked entries bind M-mode too and stay until
/// reset. Returns the number of entries used.
int lockdown();

}  // namespace board::pmp
