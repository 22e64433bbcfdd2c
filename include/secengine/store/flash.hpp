#pragma once
/// \file The flash a state store lives on, as a concept: the board's CFI driver on the
/// appliance, a file image in the host tools, a simulated flash that loses power at any step
/// in the tests. NOR semantics: erase sets a whole block to 0xff; program can only clear bits,
/// one 32-bit word at a time (the bank width of QEMU virt's pflash); reads are plain memory.
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

namespace secengine::store {

/// A flash bank: `blocks()` erase blocks of `block_size()` bytes, read in place through
/// `bytes()`, written by `program` (byte offset, 4-aligned, whole words) and `erase` (a block).
/// Both return false when the device refused or failed (the store then stops and reports).
template <class F>
concept flash_device = requires(F& f, const F& cf, std::size_t offset, std::span<const std::uint32_t> words,
                                std::size_t block) {
    { cf.block_size() } -> std::convertible_to<std::size_t>;
    { cf.blocks() } -> std::convertible_to<std::size_t>;
    { cf.bytes() } -> std::same_as<const std::byte*>;
    { f.program(offset, words) } -> std::same_as<bool>;
    { f.erase(block) } -> std::same_as<bool>;
};

/// Word programmed state of erased flash.
inline constexpr std::uint32_t erased_word = 0xffffffffu;

}  // namespace secengine::store
