// libFuzzer target for the board's device-tree reader (board/riscv-virt/fdt.cpp, compiled for the
// host unchanged: it touches no MMIO). The input is a blob; the reader trusts the header's
// totalsize for how much memory there is (on the board the tree is whatever QEMU wrote), so the
// target hands it a blob whose totalsize field is at most the input size - any larger value is
// clamped - and ASan then catches any read outside the blob. Checked (any failure traps): a found
// property's value lies inside the blob; several paths are looked up, including ones with unit
// addresses and a property name longer than any in the blob.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fdt.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 40) {
        // Too short for a header: only the magic is read, and only when 4 bytes exist.
        if (size >= 4) {
            std::vector<unsigned char> small(data, data + size);
            small.resize(40, 0);  // the reader reads the header fields after the magic
            small[4] = small[5] = small[6] = small[7] = 0;  // totalsize 0
            const char* v = nullptr;
            std::size_t n = 0;
            if (board::fdt::find_property(small.data(), "/chosen", "bootargs", v, n) == board::fdt::error::none)
                __builtin_trap();  // totalsize 0 leaves no room for a structure block
        }
        return 0;
    }
    std::vector<unsigned char> blob(data, data + size);
    const std::uint32_t total = (std::uint32_t{blob[4]} << 24) | (std::uint32_t{blob[5]} << 16) |
                                (std::uint32_t{blob[6]} << 8) | blob[7];
    if (total > size) {
        const auto s32 = static_cast<std::uint32_t>(size);
        blob[4] = static_cast<unsigned char>(s32 >> 24);
        blob[5] = static_cast<unsigned char>(s32 >> 16);
        blob[6] = static_cast<unsigned char>(s32 >> 8);
        blob[7] = static_cast<unsigned char>(s32);
    }
    static const char* const paths[][2] = {{"/chosen", "bootargs"}, {"/", "compatible"}, {"/soc/virtio_mmio@10001000", "reg"},
                                           {"/soc/virtio_mmio", "reg"}, {"/memory", "reg"}, {"", "x"},
                                           {"/chosen", "a-property-name-longer-than-anything-in-a-small-blob-xxxxxxxxxxxx"}};
    for (const auto& q : paths) {
        const char* v = nullptr;
        std::size_t n = 0;
        const board::fdt::error e = board::fdt::find_property(blob.data(), q[0], q[1], v, n);
        if (board::fdt::name(e)[0] == '\0') __builtin_trap();
        if (e == board::fdt::error::none) {
            const auto* b = reinterpret_cast<const char*>(blob.data());
            if (v < b || v > b + blob.size() || n > static_cast<std::size_t>(b + blob.size() - v)) __builtin_trap();
            volatile char sink = 0;
            for (std::size_t i = 0; i < n; ++i) sink = static_cast<char>(sink ^ v[i]);  // ASan checks every byte
        }
    }
    return 0;
}
