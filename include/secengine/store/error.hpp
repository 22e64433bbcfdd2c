#pragma once
/// \file Error codes of the state store (store/state_store.hpp, docs/store.md).
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace secengine::store {

/// Why a record was refused or a store operation failed. A refused record is skipped and
/// counted (store_health); it never stops the boot.
enum class store_error : std::uint8_t {
    none,
    erased,          ///< nothing written here (all 0xff): the end of a block's records
    bad_magic,       ///< not a record: the rest of the block cannot be parsed
    bad_version,     ///< a record of another format version
    bad_length,      ///< length and its complement disagree (a torn header)
    truncated,       ///< the record runs past the end of its block
    bad_crc,         ///< CRC-32 mismatch: a torn or corrupt record
    bad_mac,         ///< the MAC is not the appliance key's (foreign key, or forged)
    bad_payload,     ///< the record is intact but its payload does not decode
    bad_geometry,    ///< the flash is too small or oddly sized for the bank layout
    too_large,       ///< the record does not fit one block
    full,            ///< no block can be reclaimed: compaction (factory reset) needed
    program_failed,  ///< the flash refused a program (driver error, or power lost)
    erase_failed,    ///< the flash refused an erase
    verify_failed,   ///< the record read back differs from what was written
    not_provisioned, ///< no boot configuration in the bank: running on defaults
    disabled,        ///< no state bank (the -kernel boot): nothing is persisted
    revoked,         ///< a database slot given up by a factory reset (store/db_slots.hpp)
    count_
};

inline constexpr std::string_view store_error_names[] = {
    "none",     "erased",      "bad_magic", "bad_version",    "bad_length",   "truncated",
    "bad_crc",  "bad_mac",     "bad_payload", "bad_geometry", "too_large",    "full",
    "program_failed", "erase_failed", "verify_failed", "not_provisioned", "disabled", "revoked",
};
static_assert(std::size(store_error_names) == static_cast<std::size_t>(store_error::count_));

[[nodiscard]] constexpr std::string_view name(store_error e) noexcept {
    const auto i = static_cast<std::size_t>(e);
    return i < std::size(store_error_names) ? store_error_names[i] : std::string_view{"unknown"};
}

}  // namespace secengine::store
