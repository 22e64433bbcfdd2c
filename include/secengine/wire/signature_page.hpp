#pragma once
/// \file The answer to `signature_list` (issue 13): a page of the runtime DPI signatures - id,
/// lane, hits and the pattern itself - and the DPI stage's capacity, so an operator sees what is
/// loaded and what still fits. The same three capacities travel in the `detail` of an
/// add_signature refused with no_space (`capacity_detail`), so a refusal names its numbers
/// ("pool_full: 580 of 600 pattern bytes used"). Layout: docs/protocol.md "signature_page".
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "error.hpp"
#include "header.hpp"

namespace secengine::wire {

/// Which automaton lane a signature is in (dpi/aho_corasick.hpp `lane`): `text` patterns are
/// matched case-insensitively over normalised bytes, `raw` ones exactly over raw bytes.
enum class signature_lane : std::uint8_t { text = 0, raw = 1, count_ };
[[nodiscard]] constexpr bool is_valid(signature_lane l) noexcept { return l < signature_lane::count_; }
[[nodiscard]] constexpr std::string_view name(signature_lane l) noexcept {
    return l == signature_lane::text ? "text" : l == signature_lane::raw ? "raw" : "unknown";
}

/// One record of a page's `entries` tail: 10 fixed bytes, then `length` pattern bytes.
struct signature_record {
    std::uint32_t id = 0;
    std::uint32_t hits = 0;
    signature_lane lane = signature_lane::raw;
    std::span<const std::byte> pattern;
};
inline constexpr std::size_t signature_record_fixed = 10;

/// Fixed bytes of a signature_page before its entries tail (8 + 4 + 6 * 2 + 2 + 2).
inline constexpr std::size_t signature_page_fixed = 28;

/// A page of signatures from slot `first`, and the capacity of the DPI stage.
struct signature_page {
    static constexpr msg_type type = msg_type::signature_page;
    std::uint64_t request_seq = 0;
    std::uint32_t config_version = 0;
    std::uint16_t pool_used = 0;       ///< pattern bytes stored
    std::uint16_t pool_bytes = 0;      ///< pattern pool capacity
    std::uint16_t signatures = 0;      ///< signatures loaded (the total to page through)
    std::uint16_t max_signatures = 0;
    std::uint16_t states_used = 0;     ///< automaton states, both lanes
    std::uint16_t max_states = 0;
    std::uint16_t first = 0;
    std::uint16_t count = 0;            ///< records in `entries`
    std::span<const std::byte> entries;  ///< `count` records: id u32, hits u32, lane u8, length u8, pattern
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.request_seq); io.field(s.config_version); io.field(s.pool_used); io.field(s.pool_bytes);
        io.field(s.signatures); io.field(s.max_signatures); io.field(s.states_used); io.field(s.max_states);
        io.field(s.first); io.field(s.count); io.field(s.entries);
    }

    /// Record `at` bytes into `entries`; `next` receives the offset after it. False when the
    /// bytes there are not one whole record with a known lane and a non-empty pattern.
    [[nodiscard]] constexpr bool record(std::size_t at, signature_record& r, std::size_t& next) const noexcept {
        if (at > entries.size() || entries.size() - at < signature_record_fixed) return false;
        const auto u = [this, at](std::size_t i) { return static_cast<std::uint32_t>(static_cast<std::uint8_t>(entries[at + i])); };
        r.id = u(0) | u(1) << 8 | u(2) << 16 | u(3) << 24;
        r.hits = u(4) | u(5) << 8 | u(6) << 16 | u(7) << 24;
        r.lane = static_cast<signature_lane>(u(8));
        const std::size_t len = u(9);
        if (!is_valid(r.lane) || len == 0 || entries.size() - at - signature_record_fixed < len) return false;
        r.pattern = entries.subspan(at + signature_record_fixed, len);
        next = at + signature_record_fixed + len;
        return true;
    }

    [[nodiscard]] constexpr wire_error check() const noexcept {
        if (pool_used > pool_bytes || signatures > max_signatures || states_used > max_states ||
            std::size_t{first} + count > signatures)
            return wire_error::out_of_range;
        std::size_t at = 0;
        signature_record r;
        for (std::size_t i = 0; i < count; ++i)
            if (!record(at, r, at)) return wire_error::length_mismatch;
        return at == entries.size() ? wire_error::none : wire_error::length_mismatch;
    }
};

/// Writes one record at `out` (room for signature_record_fixed + pattern bytes); its size.
[[nodiscard]] constexpr std::size_t put_signature_record(std::byte* out, std::uint32_t id, std::uint32_t hits,
                                                         signature_lane lane, std::span<const std::byte> pattern) noexcept {
    for (std::size_t i = 0; i < 4; ++i) out[i] = static_cast<std::byte>(id >> (8 * i));
    for (std::size_t i = 0; i < 4; ++i) out[4 + i] = static_cast<std::byte>(hits >> (8 * i));
    out[8] = static_cast<std::byte>(lane);
    out[9] = static_cast<std::byte>(pattern.size());
    for (std::size_t i = 0; i < pattern.size(); ++i) out[signature_record_fixed + i] = pattern[i];
    return signature_record_fixed + pattern.size();
}

/// The capacity an add_signature refused with no_space ran into, packed in the ack's `detail`:
/// used in the low 16 bits, capacity in the high 16 (all DPI capacities are u16, aho_corasick.hpp).
/// Which one it is follows from the ack's error_code (the dpi_error): pool_full - pattern bytes,
/// patterns_full - signatures, states_full - automaton states.
[[nodiscard]] constexpr std::uint32_t capacity_detail(std::size_t used, std::size_t capacity) noexcept {
    const auto c16 = [](std::size_t v) { return static_cast<std::uint32_t>(v > 0xffff ? 0xffff : v); };
    return c16(used) | c16(capacity) << 16;
}
[[nodiscard]] constexpr std::uint32_t detail_used(std::uint32_t detail) noexcept { return detail & 0xffffu; }
[[nodiscard]] constexpr std::uint32_t detail_capacity(std::uint32_t detail) noexcept { return detail >> 16; }

}  // namespace secengine::wire
