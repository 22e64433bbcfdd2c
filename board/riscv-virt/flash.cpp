// CFI flash driver (xv6 style) for QEMU virt pflash bank 1 at 0x22000000.
//
// Command set: Intel/Sharp extended ("Intel command set", CFI primary vendor 0x0001), as QEMU
// implements it in hw/block/pflash_cfi01.c (7.2):
//   0xFF  read array    the bank reads as memory again (QEMU re-enters "romd" mode)
//   0x70  read status   reads return the status register (SR)
//   0x50  clear status  clears the error bits SR.5/SR.4/SR.3/SR.1
//   0x40 or 0x10  word program: the next write to the bank is the data, at its own address
//   0x20  block erase setup, then 0xD0 (confirm) at an address in the block
//   0x98  CFI query (JESD68.01): reads at byte offset 4*i return query byte i
// Status register: SR.7 ready, SR.5 erase error, SR.4 program error, SR.3 VPP low, SR.1 locked.
// QEMU virt builds the bank from two 16-bit devices side by side (width 4, device-width 2):
// a command is written to both lanes, status and query bytes come back in both lanes, and the
// query describes ONE device - the bank's erase block is the device block times the
// interleave (bank size / device size). QEMU completes programs and erases at once; the poll
// bound is for hardware that does not, and for a device that stops answering.
#include "flash.hpp"

#include "memlayout.hpp"
#include "mmio.hpp"
#include "pmp.hpp"

namespace board::flash {
namespace {

constexpr std::uint32_t cmd_read_array = 0xff;
constexpr std::uint32_t cmd_read_status = 0x70;
constexpr std::uint32_t cmd_clear_status = 0x50;
constexpr std::uint32_t cmd_program = 0x40;
constexpr std::uint32_t cmd_erase_setup = 0x20;
constexpr std::uint32_t cmd_erase_confirm = 0xd0;
constexpr std::uint32_t cmd_cfi_query = 0x98;

constexpr std::uint32_t sr_ready = 0x80, sr_erase_err = 0x20, sr_program_err = 0x10, sr_vpp = 0x08, sr_locked = 0x02;

constexpr std::size_t width = 4;          // bank width in bytes
constexpr std::uint32_t poll_limit = 1u << 20;  // status reads before giving up (QEMU: 1)

std::size_t blk_size = 0;
std::size_t blk_count = 0;

/// A command to both 16-bit lanes.
void command(std::size_t offset, std::uint32_t cmd) { mmio_write32(flash1_base + offset, cmd | (cmd << 16)); }

std::uint32_t query_byte(std::size_t i) { return mmio_read32(flash1_base + width * i) & 0xff; }

/// Polls the status register until SR.7; decodes the error bits; back to read array.
error wait_ready(std::size_t offset, error failed) {
    command(offset, cmd_read_status);
    std::uint32_t sr = 0;
    std::uint32_t n = 0;
    for (; n < poll_limit; ++n) {
        sr = mmio_read32(flash1_base + offset) & 0xff;
        if (sr & sr_ready) break;
    }
    error e = error::none;
    if (n == poll_limit)
        e = error::timeout;
    else if (sr & sr_locked)
        e = error::locked;
    else if (sr & sr_vpp)
        e = error::vpp_low;
    else if (sr & (sr_erase_err | sr_program_err))
        e = failed;
    if (e != error::none) {
        command(offset, cmd_clear_status);
    }
    command(offset, cmd_read_array);
    io_fence();
    return e;
}

}  // namespace

const char* name(error e) {
    switch (e) {
    case error::none: return "none";
    case error::not_probed: return "not_probed";
    case error::no_cfi: return "no_cfi";
    case error::bad_geometry: return "bad_geometry";
    case error::misaligned: return "misaligned";
    case error::out_of_range: return "out_of_range";
    case error::timeout: return "timeout";
    case error::program_failed: return "program_failed";
    case error::erase_failed: return "erase_failed";
    case error::vpp_low: return "vpp_low";
    case error::locked: return "locked";
    }
    return "unknown";
}

error init() {
    pmp::write_open();
    command(0x55 * width, cmd_cfi_query);
    error e = error::none;
    if (query_byte(0x10) != 'Q' || query_byte(0x11) != 'R' || query_byte(0x12) != 'Y') {
        e = error::no_cfi;
    } else {
        // 0x27: device size 2^n bytes; 0x2C: erase block regions; region 1 at 0x2D: blocks - 1
        // (16 bits) and block size / 256 (16 bits), all little-endian (JESD68.01 table 4).
        const std::size_t device = std::size_t{1} << query_byte(0x27);
        const std::size_t regions = query_byte(0x2c);
        const std::size_t blocks = (query_byte(0x2d) | (query_byte(0x2e) << 8)) + 1;
        const std::size_t dev_block = (query_byte(0x2f) | (query_byte(0x30) << 8)) * std::size_t{256};
        const std::size_t interleave = device != 0 ? flash_bank_size / device : 0;
        if (regions != 1 || interleave == 0 || blocks * dev_block * interleave != flash_bank_size) {
            e = error::bad_geometry;
        } else {
            blk_size = dev_block * interleave;
            blk_count = blocks;
        }
    }
    command(0, cmd_read_array);
    io_fence();
    pmp::write_close();
    return e;
}

std::size_t block_size() { return blk_size; }
std::size_t block_count() { return blk_count; }
const std::uint8_t* data() { return reinterpret_cast<const std::uint8_t*>(flash1_base); }

error program(std::size_t offset, const std::uint32_t* words, std::size_t n) {
    if (blk_size == 0) return error::not_probed;
    if (offset % width != 0) return error::misaligned;
    if (offset > flash_bank_size || n > (flash_bank_size - offset) / width) return error::out_of_range;
    pmp::write_open();
    error e = error::none;
    for (std::size_t i = 0; i < n && e == error::none; ++i) {
        const std::size_t at = offset + i * width;
        command(at, cmd_program);
        mmio_write32(flash1_base + at, words[i]);
        e = wait_ready(at, error::program_failed);
    }
    pmp::write_close();
    return e;
}

error erase(std::size_t block) {
    if (blk_size == 0) return error::not_probed;
    if (block >= blk_count) return error::out_of_range;
    const std::size_t at = block * blk_size;
    pmp::write_open();
    command(at, cmd_erase_setup);
    command(at, cmd_erase_confirm);
    const error e = wait_ready(at, error::erase_failed);
    pmp::write_close();
    return e;
}

}  // namespace board::flash
