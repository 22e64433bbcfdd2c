#pragma once
/// \file CFI flash driver for QEMU virt's pflash bank 1, the appliance's state bank
/// (hw/block/pflash_cfi01.c: Intel/Sharp extended command set, bank width 4).
///
/// Reads need no driver: in read-array mode the bank is plain memory (data()). Program and
/// erase are the CFI command cycles with a status check and a bounded poll each; an error is
/// returned, never waited out, and the bank is put back in read-array mode in every case.
#include <cstddef>
#include <cstdint>

namespace board::flash {

/// Why a flash operation failed (names in name()).
enum class error : std::uint8_t {
    none,
    not_probed,     ///< init() not called or failed
    no_cfi,         ///< no "QRY" answer to the CFI query: no flash device there
    bad_geometry,   ///< the CFI erase-block geometry does not describe the 32 MiB bank
    misaligned,     ///< offset or length not a multiple of the bank width (4 bytes)
    out_of_range,   ///< outside the bank
    timeout,        ///< the status register never said ready within the poll bound
    program_failed, ///< status SR.4: program error
    erase_failed,   ///< status SR.5: erase error
    vpp_low,        ///< status SR.3: programming voltage low
    locked,         ///< status SR.1: block locked
};
const char* name(error e);

/// Probes bank 1 with the CFI query (JEDEC JESD68.01): checks "QRY" and reads the erase-block
/// geometry. Call before PMP lockdown or with the bank writable (write_open).
error init();
/// Bank-1 geometry found by init() (0 before).
std::size_t block_size();
std::size_t block_count();
/// The bank in read-array mode, as memory.
const std::uint8_t* data();
/// Programs `n` 32-bit words at byte `offset` (4-aligned), one word program cycle each
/// (0x40, data, poll status). Flash can only clear bits: callers program erased words.
error program(std::size_t offset, const std::uint32_t* words, std::size_t n);
/// Erases the block `block` (0x20, 0xD0 confirm, poll status): every byte reads 0xff.
error erase(std::size_t block);

}  // namespace board::flash
