#pragma once
/// \file Error codes of the DPI automaton, the signature API and the rule parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace secengine::dpi {

/// Result of building the automaton or changing its signature set. Every failure leaves the
/// previous, complete automaton in place (never a partial one).
enum class dpi_error : std::uint8_t {
    ok,
    states_full,        ///< the trie needs more than MaxStates states (both lanes together)
    patterns_full,      ///< more than MaxPatterns signatures
    pool_full,          ///< the pattern bytes do not fit PoolBytes
    empty_pattern,      ///< a zero-length pattern matches everywhere: refused
    pattern_too_long,   ///< longer than max_pattern_length (255)
    duplicate,          ///< same bytes (after case folding for nocase) in the same lane, or same id
    not_found,          ///< remove: no signature with that id
    too_many_classes,   ///< the lanes need more than 256 byte classes together (root rows share 256 entries)
    stream_state_overflow, ///< text_states * raw_states exceeds the 16-bit per-flow scan state
    count_
};

inline constexpr std::string_view dpi_error_names[] = {
    "ok",        "states_full",      "patterns_full",        "pool_full", "empty_pattern",
    "pattern_too_long", "duplicate", "not_found", "too_many_classes", "stream_state_overflow",
};
static_assert(std::size(dpi_error_names) == static_cast<std::size_t>(dpi_error::count_));

[[nodiscard]] constexpr std::string_view name(dpi_error e) noexcept {
    auto i = static_cast<std::size_t>(e);
    return i < std::size(dpi_error_names) ? dpi_error_names[i] : std::string_view{"unknown"};
}

}  // namespace secengine::dpi
