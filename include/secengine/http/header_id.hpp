#pragma once
/// \file The header fields the parser recognises by name, matched exactly while the name
/// streams past (no hash, so no crafted name can be taken for Content-Length).
///
/// Field names are case-insensitive (RFC 9110 section 5.1). The candidates are a 16-bit mask:
/// after byte i of the name, a bit stays set while that known name has the same (folded) byte
/// at i; at the ':' the one candidate whose length equals the name's length is the id.
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace secengine::http {

/// Recognised header fields; `other` for every other name.
enum class header_id : std::uint8_t {
    other,
    host,
    user_agent,
    cookie,
    set_cookie,
    content_length,
    transfer_encoding,
    content_type,
    referer,
    x_forwarded_for,
    count_
};

/// Lower-case names, indexed by header_id (index 0 unused).
inline constexpr std::array<std::string_view, static_cast<std::size_t>(header_id::count_)> header_names{
    "", "host", "user-agent", "cookie", "set-cookie", "content-length", "transfer-encoding", "content-type",
    "referer", "x-forwarded-for",
};
static_assert(header_names.size() <= 16, "candidate mask is 16 bits");

[[nodiscard]] constexpr std::string_view name(header_id h) noexcept {
    const auto i = static_cast<std::size_t>(h);
    return i < header_names.size() ? header_names[i] : std::string_view{};
}

/// Streaming exact matcher over the names above (state: mask + position, 3 bytes).
struct header_matcher {
    static constexpr std::uint16_t all = static_cast<std::uint16_t>(((1u << header_names.size()) - 1) & ~1u);

    [[nodiscard]] static constexpr std::uint8_t fold(std::uint8_t c) noexcept {
        return c >= 'A' && c <= 'Z' ? static_cast<std::uint8_t>(c + 32) : c;
    }
    /// Candidates left after byte `c` at position `pos` of the name.
    [[nodiscard]] static constexpr std::uint16_t step(std::uint16_t mask, std::uint8_t pos, std::uint8_t c) noexcept {
        const std::uint8_t f = fold(c);
        std::uint16_t out = 0;
        // Only the names still in the running: after a name's first bytes that is 0-2 of them
        // (every byte of every header name passes here; the full loop was a hot spot).
        for (unsigned m = mask & all; m != 0; m &= m - 1) {
            const auto i = static_cast<std::size_t>(std::countr_zero(m));
            if (pos < header_names[i].size() && static_cast<std::uint8_t>(header_names[i][pos]) == f)
                out = static_cast<std::uint16_t>(out | (1u << i));
        }
        return out;
    }
    /// The id of a name of `length` bytes whose candidates are `mask`.
    [[nodiscard]] static constexpr header_id finish(std::uint16_t mask, std::size_t length) noexcept {
        for (std::size_t i = 1; i < header_names.size(); ++i)
            if ((mask & (1u << i)) != 0 && header_names[i].size() == length) return static_cast<header_id>(i);
        return header_id::other;
    }
};

}  // namespace secengine::http
