#pragma once
// The kernel's state bank: pflash bank 1 through the board's CFI driver, as the store's
// flash_device (include/secengine/store/flash.hpp). A driver error is reported on the UART
// with its name and address; the store then refuses the change (storage_failed) - never a hang.
#include <cstddef>
#include <cstdint>
#include <span>

#include "flash.hpp"
#include "uart.hpp"

namespace kernel {

struct state_bank {
    std::size_t block_size() const noexcept { return board::flash::block_size(); }
    std::size_t blocks() const noexcept { return board::flash::block_count(); }
    const std::byte* bytes() const noexcept { return reinterpret_cast<const std::byte*>(board::flash::data()); }
    bool program(std::size_t offset, std::span<const std::uint32_t> words) noexcept {
        return check("program", offset, board::flash::program(offset, words.data(), words.size()));
    }
    bool erase(std::size_t block) noexcept {
        return check("erase", block * block_size(), board::flash::erase(block));
    }

private:
    static bool check(const char* what, std::size_t offset, board::flash::error e) noexcept {
        if (e == board::flash::error::none) return true;
        board::uart::puts("secengine: flash ");
        board::uart::puts(what);
        board::uart::puts(" at +");
        board::uart::put_hex(offset);
        board::uart::puts(" failed: ");
        board::uart::puts(board::flash::name(e));
        board::uart::putc('\n');
        return false;
    }
};

}  // namespace kernel
