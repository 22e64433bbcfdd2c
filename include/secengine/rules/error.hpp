#pragma once
/// \file Error codes of the rule database: why an image was refused by `db_view::open`.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace secengine::rules {

/// Result of opening (validating) a compiled rule database. A refused image is never evaluated.
enum class db_error : std::uint8_t {
    ok,
    truncated,          ///< shorter than the header, or than the length the header states
    bad_magic,          ///< not a secengine rule database
    bad_version,        ///< a format version this code does not read
    bad_checksum,       ///< CRC-32 over the image does not match the header
    bad_buffer_count,   ///< compiled against a different list of inspection buffers
    bad_section,        ///< a section offset or count points outside the image
    bad_rule,           ///< a rule record refers outside its sections or has an unknown action/protocol
    bad_op,             ///< a match op of unknown kind, buffer or with data outside the pool
    bad_prefilter,      ///< a prefilter automaton whose links leave it or could loop
    misaligned,         ///< the image does not start at a 4-byte aligned address (words are read in place)
    count_
};

inline constexpr std::string_view db_error_names[] = {
    "ok",          "truncated",     "bad_magic", "bad_version", "bad_checksum", "bad_buffer_count",
    "bad_section", "bad_rule",      "bad_op",    "bad_prefilter", "misaligned",
};
static_assert(std::size(db_error_names) == static_cast<std::size_t>(db_error::count_));

[[nodiscard]] constexpr std::string_view name(db_error e) noexcept {
    const auto i = static_cast<std::size_t>(e);
    return i < std::size(db_error_names) ? db_error_names[i] : std::string_view{"unknown"};
}

}  // namespace secengine::rules
