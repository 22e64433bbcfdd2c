#pragma once
// A simulated NOR flash for the state-store tests (store/flash.hpp's flash_device): program
// can only clear bits (new = old & word), erase sets a block to 0xff, and power can be cut at
// any program word or erase: that operation is left half done (a word with some of its bits
// cleared; an erase that reached only part of the block) and every later one fails, as on a
// device whose supply went away. A "reboot" is a new state_store over the same bytes.
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

struct sim_flash {
    std::size_t bsize;
    std::size_t nblocks;
    std::vector<std::byte> mem;
    std::int64_t budget = -1;   ///< program words / erases left before the cut (-1: never)
    bool dead = false;
    std::uint64_t overprograms = 0;  ///< programs that needed a 0 -> 1 change (never allowed)
    std::uint64_t ops = 0;
    std::mt19937_64 rng{1};

    sim_flash(std::size_t block_size_, std::size_t blocks_, std::byte fill = std::byte{0xff})
        : bsize(block_size_), nblocks(blocks_), mem(block_size_ * blocks_, fill) {}

    std::size_t block_size() const noexcept { return bsize; }
    std::size_t blocks() const noexcept { return nblocks; }
    const std::byte* bytes() const noexcept { return mem.data(); }

    /// Power comes back: the device works again (the cut operation stays half done).
    void power_on() noexcept {
        dead = false;
        budget = -1;
    }

    bool program(std::size_t offset, std::span<const std::uint32_t> words) noexcept {
        if (offset % 4 != 0 || offset + words.size() * 4 > mem.size()) return false;
        for (std::size_t i = 0; i < words.size(); ++i) {
            if (dead) return false;
            std::uint32_t w = words[i];
            const bool cut = budget == 0;
            if (cut) w |= static_cast<std::uint32_t>(rng());  // only some of the 0 bits made it
            std::byte* p = mem.data() + offset + 4 * i;
            std::uint32_t old = 0;
            for (int k = 0; k < 4; ++k) old |= std::uint32_t{static_cast<std::uint8_t>(p[k])} << (8 * k);
            if ((old & words[i]) != words[i]) ++overprograms;
            const std::uint32_t n = old & w;
            for (int k = 0; k < 4; ++k) p[k] = static_cast<std::byte>(n >> (8 * k));
            ++ops;
            if (cut) {
                dead = true;
                return false;
            }
            if (budget > 0) --budget;
        }
        return true;
    }

    bool erase(std::size_t block) noexcept {
        if (dead || block >= nblocks) return false;
        std::byte* p = mem.data() + block * bsize;
        ++ops;
        if (budget == 0) {  // interrupted: a random part of the block erased, the rest as it was
            const std::size_t from = static_cast<std::size_t>(rng() % bsize);
            const std::size_t len = static_cast<std::size_t>(rng() % (bsize - from + 1));
            for (std::size_t i = from; i < from + len; ++i) p[i] = std::byte{0xff};
            dead = true;
            return false;
        }
        if (budget > 0) --budget;
        for (std::size_t i = 0; i < bsize; ++i) p[i] = std::byte{0xff};
        return true;
    }
};
