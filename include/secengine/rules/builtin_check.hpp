#pragma once
/// \file The full check of a rule database image, usable at compile time: what `db_view::open`
/// checks (header, CRC-32, every section, rule, op and prefilter table) plus `regex::verify` of
/// every pcre program, which `open` reads in place as u32 words and so skips in constant
/// evaluation. The built-in image (rules/builtin_db.hpp) is a compile-time constant in the same
/// read-only flash as the code: the kernel asserts `builtin_ok()` with static_assert
/// (apps/unikernel/builtin_check.cpp) and the flash tests do too, so the build of the bytes that
/// are linked fails if they are not a valid database, and boot opens them with the O(1)
/// `db_view::open_trusted` (docs/performance/flash.md: ~900,000 RV64 instructions saved a boot).
/// The idea of proving a constant table with static_assert is CTRE's, as for the default eBPF
/// program (docs/ebpf.md).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/regex/program.hpp>
#include <secengine/rules/builtin_db.hpp>
#include <secengine/rules/db.hpp>
#include <secengine/rules/error.hpp>
#include <secengine/rules/format.hpp>

namespace secengine::rules {

/// `db_view::open` plus `regex::verify` of every pcre op's program, also in constant evaluation
/// (the program is copied word by word from the image's bytes, little-endian as the format says).
[[nodiscard]] constexpr db_error check_full(std::span<const std::byte> image) noexcept {
    db_view v;
    if (const db_error e = db_view::open(image, v); e != db_error::ok) return e;
    const std::uint32_t nops = v.u32(hdr::op_count);
    for (std::uint32_t o = 0; o < nops; ++o) {
        if ((v.op_word(o, ow::head) & 0xFF) != static_cast<std::uint32_t>(op_kind::pcre)) continue;
        const std::uint32_t at = v.op_word(o, ow::data), len = v.op_word(o, ow::data_len);
        if (len / 4 > regex::max_program_words) return db_error::bad_op;
        std::array<std::uint32_t, regex::max_program_words> words{};
        for (std::size_t w = 0; w < len / 4; ++w) words[w] = v.u32(at + 4 * w);
        if (regex::verify(std::span<const std::uint32_t>(words.data(), len / 4)) != regex::error::ok) return db_error::bad_op;
    }
    return db_error::ok;
}

namespace embedded {
/// The built-in image as a constant std::byte array (builtin_db() reinterprets, which constant
/// evaluation does not allow).
[[nodiscard]] consteval std::array<std::byte, sizeof(builtin_db_image)> builtin_db_bytes() noexcept {
    std::array<std::byte, sizeof(builtin_db_image)> a{};
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = std::byte{builtin_db_image[i]};
    return a;
}
}  // namespace embedded

/// The full check of the built-in image; for a static_assert (GCC evaluates it in ~2 s; clang
/// needs -fconstexpr-steps above its default 2^20).
[[nodiscard]] consteval db_error builtin_check() noexcept {
    const auto a = embedded::builtin_db_bytes();
    return check_full(std::span<const std::byte>(a));
}

}  // namespace secengine::rules
