#pragma once
/// \file Replies: appliance -> client answers to one command (types 0x40-0x44). Each starts with
/// `request_seq`, the sequence number of the command it answers, so a client matches replies to
/// requests and can tell a fresh answer from a recorded one (session.hpp uses it to accept a
/// new boot id). Layout tables: docs/protocol.md "Replies".
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "../detail/wire_codec.hpp"
#include "bounded.hpp"
#include "commands.hpp"
#include "error.hpp"
#include "header.hpp"

namespace secengine::wire {

/// Outcome of an authentic, well-formed command.
enum class status : std::uint8_t {
    ok,
    invalid,            ///< valid on the wire, but not applicable (e.g. commit of another program id)
    not_found,          ///< no such rule, signature, program, map or banned source
    exists,             ///< already present (block_port of a blocked port is `ok`, not this)
    no_space,           ///< the fixed-capacity table is full
    too_large,          ///< beyond what this appliance's build can hold (program, pattern, map)
    out_of_order,       ///< an ebpf_chunk whose offset is past the bytes received so far
    incomplete,         ///< ebpf_commit before all bytes arrived
    verifier_rejected,  ///< error_code = verifier error, detail = pc
    busy,               ///< try again later (e.g. an upload of another program is in progress)
    storage_failed,     ///< the change could not be stored in flash, so it was not applied (error_code: store_error)
    stale_version,      ///< made against an older config version (detail: the current one); nothing applied (config_version.hpp)
    version_required,   ///< a configuration change without flag::config_version (an older client); detail: the current version
    count_
};
inline constexpr std::string_view status_names[] = {
    "ok", "invalid", "not_found", "exists", "no_space", "too_large",
    "out_of_order", "incomplete", "verifier_rejected", "busy", "storage_failed", "stale_version",
    "version_required"};
static_assert(std::size(status_names) == static_cast<std::size_t>(status::count_));
[[nodiscard]] constexpr bool is_valid(status s) noexcept { return s < status::count_; }
[[nodiscard]] constexpr std::string_view name(status s) noexcept {
    return is_valid(s) ? status_names[static_cast<std::size_t>(s)] : std::string_view{"unknown"};
}

/// The answer to every command without a data reply. 20 bytes.
struct ack {
    static constexpr msg_type type = msg_type::ack;
    std::uint64_t request_seq = 0;
    std::uint32_t config_version = 0;  ///< after this command (unchanged if it failed)
    msg_type request_type = msg_type::ping;
    wire::status result = status::ok;
    std::uint16_t error_code = 0;  ///< verifier error for verifier_rejected, else 0
    std::uint32_t detail = 0;      ///< verifier pc; bytes received for ebpf_chunk; else 0
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.request_seq); io.field(s.config_version); io.field(s.request_type);
        io.field(s.result); io.field(s.error_code); io.field(s.detail);
    }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        return is_command(request_type) ? wire_error::none : wire_error::out_of_range;
    }
    friend constexpr bool operator==(const ack&, const ack&) = default;
};

/// The answer to a datagram the appliance could authenticate (or at least recognise) but not
/// accept: unknown type, unsupported version, wrong boot (carries the current boot id in the
/// header, which is how a client learns it), malformed payload. 12 bytes.
struct error_reply {
    static constexpr msg_type type = msg_type::error_reply;
    std::uint64_t request_seq = 0;   ///< 0 if the request's header could not be read
    std::uint8_t request_type = 0;   ///< raw: it may be a type this side does not know
    wire_error error = wire_error::unknown_type;
    std::uint8_t supported_version = protocol_version;  ///< the highest version the appliance speaks
    std::uint8_t reserved = 0;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.request_seq); io.field(s.request_type); io.field(s.error);
        io.field(s.supported_version); io.field(s.reserved);
    }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        return error == wire_error::none || reserved != 0 ? wire_error::out_of_range : wire_error::none;
    }
    friend constexpr bool operator==(const error_reply&, const error_reply&) = default;
};

/// The answer to read_config: limits, program, counts, and a page of the port rules.
struct config {
    static constexpr msg_type type = msg_type::config;
    std::uint64_t request_seq = 0;
    std::uint32_t config_version = 0;
    limits current;
    std::uint32_t telemetry_interval_ms = 0;  ///< for the requesting client; 0 = not subscribed
    std::uint32_t ebpf_program_id = 0;        ///< 0 = no program
    std::uint32_t ebpf_program_bytes = 0;
    std::uint16_t signature_count = 0;
    std::uint16_t rule_total = 0;
    std::uint16_t rule_first = 0;
    bounded<port_rule, 64> rules;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.request_seq); io.field(s.config_version); io.field(s.current);
        io.field(s.telemetry_interval_ms); io.field(s.ebpf_program_id); io.field(s.ebpf_program_bytes);
        io.field(s.signature_count); io.field(s.rule_total); io.field(s.rule_first); io.field(s.rules);
    }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        return std::size_t{rule_first} + rules.count > rule_total ? wire_error::out_of_range : wire_error::none;
    }
};

/// The answer to store_status: where the configuration in force came from and the flash's
/// health (store/state_store.hpp store_health). `persistence` 0: no state bank (the -kernel
/// boot), nothing is stored; 1: flash. Counters are since the last boot's load.
struct store_report {
    static constexpr msg_type type = msg_type::store_report;
    std::uint64_t request_seq = 0;
    std::uint8_t persistence = 0;
    std::uint8_t provisioned = 0;   ///< 0: no boot configuration stored (defaults, demo key)
    std::uint8_t last_error = 0;    ///< store_error of the last failure (0: none)
    std::uint64_t version = 0;      ///< sequence number of the newest record in force
    std::uint32_t records = 0;      ///< records in force (base + changes)
    std::uint32_t skipped = 0;      ///< records skipped at load, all reasons
    std::uint32_t torn = 0;
    std::uint32_t bad_crc = 0;
    std::uint32_t bad_mac = 0;
    std::uint32_t bad_version = 0;
    std::uint32_t erase_min = 0;
    std::uint32_t erase_max = 0;
    std::uint32_t appends = 0;      ///< changes stored since boot
    std::uint32_t failures = 0;     ///< stores that failed since boot
    std::uint16_t blocks_used = 0;
    std::uint16_t blocks_total = 0;
    std::uint32_t block_size = 0;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.request_seq); io.field(s.persistence); io.field(s.provisioned); io.field(s.last_error);
        io.field(s.version); io.field(s.records); io.field(s.skipped); io.field(s.torn); io.field(s.bad_crc);
        io.field(s.bad_mac); io.field(s.bad_version); io.field(s.erase_min); io.field(s.erase_max);
        io.field(s.appends); io.field(s.failures); io.field(s.blocks_used); io.field(s.blocks_total);
        io.field(s.block_size);
    }
    friend constexpr bool operator==(const store_report&, const store_report&) = default;
};

/// One banned source. 12 bytes.
struct penalty_entry {
    std::uint64_t source_key = 0;   ///< flow_key.hpp `source_key`: IPv4 a<<24|b<<16|c<<8|d, or bit 63 + IPv6 hash
    std::uint32_t remaining_s = 0;  ///< seconds left of the ban
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.source_key); io.field(s.remaining_s);
    }
    friend constexpr bool operator==(const penalty_entry&, const penalty_entry&) = default;
};

/// One rule of the running set in a rules_page: ids, hits since the set was installed, msg
/// (the first 48 bytes; msg_len is the stored length). 65 bytes.
struct rule_entry {
    std::uint32_t sid = 0, gid = 0, rev = 0, hits = 0;
    std::uint8_t msg_len = 0;
    std::array<std::uint8_t, 48> msg{};
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.sid); io.field(s.gid); io.field(s.rev); io.field(s.hits); io.field(s.msg_len); io.field(s.msg);
    }
    [[nodiscard]] constexpr wire_error check() const noexcept { return msg_len <= msg.size() ? wire_error::none : wire_error::out_of_range; }
    friend constexpr bool operator==(const rule_entry&, const rule_entry&) = default;
};

/// Which rule set runs (rules_page::source).
enum class rules_source : std::uint8_t { none = 0, builtin = 1, uploaded = 2 };
[[nodiscard]] constexpr bool is_valid(rules_source s) noexcept { return static_cast<std::uint8_t>(s) <= 2; }

/// The answer to rules_list: rules [first, first + count) of `total` in the running set, where
/// it runs from, and what the appliance can hold (`capacity`: bytes of one database slot).
struct rules_page {
    static constexpr msg_type type = msg_type::rules_page;
    std::uint64_t request_seq = 0;
    rules_source source = rules_source::none;
    std::uint32_t set_id = 0;     ///< the uploader's id (0 for the built-in set)
    std::uint32_t db_bytes = 0;   ///< size of the running database
    std::uint32_t capacity = 0;   ///< largest database an upload may have (the size of a flash slot)
    std::uint8_t slot = 0;        ///< uploaded: the flash slot it runs from, 1 = A, 2 = B (0: none)
    std::uint32_t version = 0;    ///< uploaded: the slot's sequence number (higher = newer upload)
    std::uint32_t total = 0;
    std::uint32_t first = 0;
    bounded<rule_entry, 18> entries;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.request_seq); io.field(s.source); io.field(s.set_id); io.field(s.db_bytes); io.field(s.capacity);
        io.field(s.slot); io.field(s.version); io.field(s.total); io.field(s.first); io.field(s.entries);
    }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        if (!is_valid(source) || slot > 2 || std::uint64_t{first} + entries.count > total) return wire_error::out_of_range;
        for (std::size_t i = 0; i < entries.count; ++i)
            if (entries.items[i].check() != wire_error::none) return wire_error::out_of_range;
        return wire_error::none;
    }
};

/// The answer to penalty_list: entries [first, first + count) of `total`.
struct penalty_page {
    static constexpr msg_type type = msg_type::penalty_page;
    std::uint64_t request_seq = 0;
    std::uint32_t total = 0;
    std::uint32_t first = 0;
    bounded<penalty_entry, 100> entries;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.request_seq); io.field(s.total); io.field(s.first); io.field(s.entries);
    }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        return std::uint64_t{first} + entries.count > total ? wire_error::out_of_range : wire_error::none;
    }
};

/// The answer to map_read: `count` entries of key_size + value_size bytes each (raw, as the
/// program sees them), and the cursor to continue from (0 = no more).
struct map_page {
    static constexpr msg_type type = msg_type::map_page;
    std::uint64_t request_seq = 0;
    std::uint32_t map_id = 0;
    std::uint32_t next_cursor = 0;
    std::uint16_t key_size = 4;
    std::uint16_t value_size = 8;
    std::uint16_t count = 0;
    std::span<const std::byte> entries;  ///< count * (key_size + value_size) bytes
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.request_seq); io.field(s.map_id); io.field(s.next_cursor); io.field(s.key_size);
        io.field(s.value_size); io.field(s.count); io.field(s.entries);
    }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        if (key_size == 0 || value_size == 0) return wire_error::out_of_range;
        const std::size_t want = std::size_t{count} * (std::size_t{key_size} + value_size);
        return entries.size() != want ? wire_error::length_mismatch : wire_error::none;
    }
    /// Key and value of entry i (i < count).
    [[nodiscard]] constexpr std::span<const std::byte> key(std::size_t i) const noexcept {
        return entries.subspan(i * (std::size_t{key_size} + value_size), key_size);
    }
    [[nodiscard]] constexpr std::span<const std::byte> value(std::size_t i) const noexcept {
        return entries.subspan(i * (std::size_t{key_size} + value_size) + key_size, value_size);
    }
};

}  // namespace secengine::wire
