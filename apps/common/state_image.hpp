#pragma once
// Host side of the appliance's state bank (docs/store.md): a 32 MiB pflash bank-1 image in
// memory, as the state store's flash_device (include/secengine/store/flash.hpp), so that
// `secctl provision` writes the image with the library's own record format and store code.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <secengine/store/record.hpp>
#include <secengine/store/state_store.hpp>

namespace secengine::host {

/// QEMU 7.2 virt pflash bank geometry (docs/store.md, "Bank layout"; the kernel reads it by CFI query):
/// 32 MiB, 128 erase blocks of 256 KiB.
inline constexpr std::size_t bank_bytes = 32u << 20;
inline constexpr std::size_t bank_block_bytes = 256u << 10;

/// A bank image with NOR semantics: erase sets a block to 0xff, program only clears bits.
struct image_flash {
    std::size_t bsize = bank_block_bytes;
    std::vector<std::byte> mem = std::vector<std::byte>(bank_bytes, std::byte{0xff});

    std::size_t block_size() const noexcept { return bsize; }
    std::size_t blocks() const noexcept { return mem.size() / bsize; }
    const std::byte* bytes() const noexcept { return mem.data(); }
    bool program(std::size_t offset, std::span<const std::uint32_t> words) noexcept;
    bool erase(std::size_t block) noexcept;
};

/// "A.B.C.D/N" -> address (host order) and prefix; false with `err` naming the token.
[[nodiscard]] bool parse_cidr(std::string_view token, std::uint32_t& ip, std::uint8_t& prefix, std::string& err);

/// Writes a new provisioned state image to `path`: an erased bank with one base record
/// carrying `cfg`. False with `err` (the file and what went wrong).
[[nodiscard]] bool provision_state_image(const std::string& path, const secengine::store::boot_config& cfg, std::string& err);

}  // namespace secengine::host
