// libFuzzer target: the state store's record parser and recovery over fuzzer-written flash.
// Invariants: parse_record never reads outside the span it is given and a record it accepts
// lies inside it; a bank image of arbitrary bytes always loads (none / not_provisioned, never
// a fault), everything replayed points into the image, and the store's own appends after such
// a load read back (a corrupt bank never makes the next change unreadable).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include <secengine/store/record.hpp>
#include <secengine/store/state_store.hpp>

namespace st = secengine::store;

namespace {

/// NOR-semantics RAM flash: 8 blocks of 512 bytes.
struct fuzz_flash {
    static constexpr std::size_t bs = 512, nb = 8;
    std::vector<std::byte> mem = std::vector<std::byte>(bs * nb, std::byte{0xff});
    std::size_t block_size() const noexcept { return bs; }
    std::size_t blocks() const noexcept { return nb; }
    const std::byte* bytes() const noexcept { return mem.data(); }
    bool program(std::size_t off, std::span<const std::uint32_t> w) noexcept {
        if (off % 4 != 0 || off + w.size() * 4 > mem.size()) std::abort();  // the store must stay in the bank
        for (std::size_t i = 0; i < w.size(); ++i)
            for (std::size_t k = 0; k < 4; ++k) mem[off + 4 * i + k] &= static_cast<std::byte>(w[i] >> (8 * k));
        return true;
    }
    bool erase(std::size_t b) noexcept {
        if (b >= nb) std::abort();
        std::memset(mem.data() + b * bs, 0xff, bs);
        return true;
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto* in = reinterpret_cast<const std::byte*>(data);
    const secengine::wire::siphash_key key{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
    // 1. The parser over the input itself.
    const st::record_view v = st::parse_record(std::span<const std::byte>(in, size), &key);
    if (v.ok()) {
        if (v.size > size || v.payload.data() < in || v.payload.data() + v.payload.size() > in + size) std::abort();
    }
    // 2. The input as a bank image (the rest erased), loaded, then appended to.
    fuzz_flash f;
    std::memcpy(f.mem.data(), data, size < f.mem.size() ? size : f.mem.size());
    st::state_store<fuzz_flash> s(f);
    const std::byte* lo = f.mem.data();
    const std::byte* hi = lo + f.mem.size();
    const st::store_error e = s.load(st::boot_config{}, [&](std::uint16_t, std::span<const std::byte> p) {
        if (p.data() < lo || p.data() + p.size() > hi) std::abort();
    });
    if (e != st::store_error::none && e != st::store_error::not_provisioned) std::abort();
    const std::byte change[5] = {std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}, std::byte{5}};
    const st::store_error a = s.append(7, change);
    if (a != st::store_error::none && a != st::store_error::full) std::abort();
    if (a == st::store_error::none) {
        // The change must be the last thing a reload replays.
        st::state_store<fuzz_flash> r(f);
        bool last_is_ours = false;
        if (r.load(st::boot_config{}, [&](std::uint16_t t, std::span<const std::byte> p) {
                last_is_ours = t == 7 && p.size() == 5 && std::memcmp(p.data(), change, 5) == 0;
            }) != st::store_error::none)
            std::abort();
        if (!last_is_ours) std::abort();
    }
    return 0;
}
