#pragma once
/// \file Commands: client -> appliance payloads (types 0x01-0x13), and how eBPF programs are cut
/// into chunks. Layout tables: docs/protocol.md "Commands". Each is answered by an `ack`
/// (status + the config version after it), or by `config` / `penalty_page` / `map_page`.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "../config.hpp"
#include "../detail/wire_codec.hpp"
#include "../ebpf/maps.hpp"
#include "bounded.hpp"
#include "error.hpp"
#include "header.hpp"

namespace secengine::wire {

/// Layer-4 protocol of a port rule; the numbers are the IP protocol numbers, 0 = both.
enum class l4_protocol : std::uint8_t { any = 0, tcp = 6, udp = 17 };
[[nodiscard]] constexpr bool is_valid(l4_protocol p) noexcept {
    return p == l4_protocol::any || p == l4_protocol::tcp || p == l4_protocol::udp;
}

/// Which traffic a port rule applies to: inbound = arriving on port 0 ("outside").
enum class traffic_direction : std::uint8_t { inbound = 0, outbound = 1, both = 2 };
[[nodiscard]] constexpr bool is_valid(traffic_direction d) noexcept { return d <= traffic_direction::both; }

/// eBPF map types, numbered as Linux's BPF_MAP_TYPE_* (uapi/linux/bpf.h).
enum class map_type : std::uint8_t { hash = 1, array = 2 };
[[nodiscard]] constexpr bool is_valid(map_type t) noexcept { return t == map_type::hash || t == map_type::array; }

/// DPI signature flag bits; the others are reserved (out_of_range).
namespace signature_flag {
inline constexpr std::uint16_t nocase = 0x0001;  ///< ASCII case-insensitive match
inline constexpr std::uint16_t defined = nocase;
}  // namespace signature_flag

/// Protocol caps (the appliance may accept less and say so with status::too_large).
inline constexpr std::uint32_t max_program_bytes = 65536;  ///< 8192 eBPF instructions
inline constexpr std::size_t max_pattern_bytes = 255;
inline constexpr std::uint32_t min_interval_ms = 10;
inline constexpr std::uint32_t max_interval_ms = 3'600'000;

/// A port block rule (also listed in `config`). 4 bytes: protocol u8, direction u8, port u16.
struct port_rule {
    l4_protocol protocol = l4_protocol::tcp;
    traffic_direction direction = traffic_direction::inbound;
    std::uint16_t port = 1;

    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.protocol); io.field(s.direction); io.field(s.port);
    }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        return port == 0 ? wire_error::out_of_range : wire_error::none;  // port 0 is not addressable
    }
    friend constexpr bool operator==(const port_rule&, const port_rule&) = default;
};

/// Run-time limits, field for field `secengine::engine_limits` (pipeline.hpp) with the same
/// validity rules, so a valid message always applies. 36 bytes. A default-constructed value is
/// the engine's defaults (config.hpp `default_config`, the one source of them; wire/conversions.hpp
/// asserts `limits{} == to_wire(pipeline<>::default_limits())`), so a tool's form that starts
/// from `limits{}` cannot switch bans or the global limiter off by accident.
struct limits {
    std::uint32_t per_source_pps = default_config::per_source_pps;    ///< per sketch window; 0 = no heavy-hitter bans
    std::uint32_t ban_seconds = default_config::ban_seconds;          ///< <= 86400
    std::uint32_t global_rate_pps = default_config::global_rate_pps;  ///< 0 = global limiter off
    std::uint32_t global_burst = default_config::global_burst;        ///< >= 1 when global_rate_pps != 0
    /// Idle timeouts in seconds per flow_state (flow_entry.hpp), each 1..604800 (7 days).
    std::uint32_t timeout_new_s = default_config::timeout_new_s;
    std::uint32_t timeout_syn_sent_s = default_config::timeout_syn_sent_s;
    std::uint32_t timeout_established_s = default_config::timeout_established_s;
    std::uint32_t timeout_fin_wait_s = default_config::timeout_fin_wait_s;
    std::uint32_t timeout_closed_s = default_config::timeout_closed_s;

    static constexpr std::uint32_t max_ban_seconds = 86'400;
    static constexpr std::uint32_t max_timeout_s = 7 * 86'400;

    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.per_source_pps); io.field(s.ban_seconds); io.field(s.global_rate_pps); io.field(s.global_burst);
        io.field(s.timeout_new_s); io.field(s.timeout_syn_sent_s); io.field(s.timeout_established_s);
        io.field(s.timeout_fin_wait_s); io.field(s.timeout_closed_s);
    }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        if (ban_seconds > max_ban_seconds || (global_rate_pps != 0 && global_burst == 0)) return wire_error::out_of_range;
        for (const std::uint32_t t : {timeout_new_s, timeout_syn_sent_s, timeout_established_s, timeout_fin_wait_s,
                                      timeout_closed_s})
            if (t == 0 || t > max_timeout_s) return wire_error::out_of_range;
        return wire_error::none;
    }
    friend constexpr bool operator==(const limits&, const limits&) = default;
};

/// One eBPF map of a program, declared in `ebpf_commit`; the rules of ebpf/maps.hpp. 8 bytes.
struct map_spec {
    map_type type = map_type::array;
    std::uint8_t key_size = 4;      ///< 4 for arrays (a u32 index), 1..64 for hashes
    std::uint16_t value_size = 8;   ///< 1..512
    std::uint32_t max_entries = 1;  ///< >= 1

    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.type); io.field(s.key_size); io.field(s.value_size); io.field(s.max_entries);
    }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        if (key_size == 0 || key_size > ebpf::max_key_size || value_size == 0 || value_size > ebpf::max_value_size ||
            max_entries == 0)
            return wire_error::out_of_range;
        if (type == map_type::array && key_size != 4) return wire_error::out_of_range;
        return wire_error::none;
    }
    friend constexpr bool operator==(const map_spec&, const map_spec&) = default;
};

/// Liveness probe; answered by an ack (and the first one teaches a client the boot id).
struct ping {
    static constexpr msg_type type = msg_type::ping;
    template <class S, class IO> static constexpr void fields(S&, IO&) {}
};

/// Ask for the configuration; the port rules are paged from `first_rule`. Answer: config.
struct read_config {
    static constexpr msg_type type = msg_type::read_config;
    std::uint16_t first_rule = 0;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) { io.field(s.first_rule); }
};

/// Send stats telemetry every `interval_ms` (and alerts as they happen) to this client.
struct subscribe {
    static constexpr msg_type type = msg_type::subscribe;
    std::uint32_t interval_ms = 1000;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) { io.field(s.interval_ms); }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        return interval_ms < min_interval_ms || interval_ms > max_interval_ms ? wire_error::out_of_range
                                                                              : wire_error::none;
    }
};

/// Stop telemetry to this client.
struct unsubscribe {
    static constexpr msg_type type = msg_type::unsubscribe;
    template <class S, class IO> static constexpr void fields(S&, IO&) {}
};

/// Deny traffic to a port (stage 2, drop reason port_blocked).
struct block_port {
    static constexpr msg_type type = msg_type::block_port;
    port_rule rule;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) { io.field(s.rule); }
};

/// Remove a port block.
struct unblock_port {
    static constexpr msg_type type = msg_type::unblock_port;
    port_rule rule;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) { io.field(s.rule); }
};

/// Add (or replace) DPI signature `id`: id u32, flags u16, then the pattern bytes to the end.
struct add_signature {
    static constexpr msg_type type = msg_type::add_signature;
    std::uint32_t id = 0;
    std::uint16_t flags = 0;
    std::span<const std::byte> pattern;  ///< points into the datagram after decoding
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.id); io.field(s.flags); io.field(s.pattern);
    }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        if (pattern.size() > max_pattern_bytes) return wire_error::too_large;
        if (pattern.empty() || (flags & ~signature_flag::defined) != 0) return wire_error::out_of_range;
        return wire_error::none;
    }
};

/// Remove DPI signature `id`.
struct remove_signature {
    static constexpr msg_type type = msg_type::remove_signature;
    std::uint32_t id = 0;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) { io.field(s.id); }
};

/// One piece of an eBPF program (raw 8-byte instructions): bytes [offset, offset + size) of
/// `total_length`. Acked with detail = bytes received so far. Chunks go in order; a resent
/// chunk (its ack was lost) is acked again without effect.
struct ebpf_chunk {
    static constexpr msg_type type = msg_type::ebpf_chunk;
    std::uint32_t program_id = 1;  ///< chosen by the client, 0 = "no program"
    std::uint32_t total_length = 8;
    std::uint32_t offset = 0;
    std::span<const std::byte> data;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.program_id); io.field(s.total_length); io.field(s.offset); io.field(s.data);
    }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        if (total_length > max_program_bytes) return wire_error::too_large;
        if (program_id == 0 || total_length == 0 || data.empty() || total_length % 8 != 0 || offset % 8 != 0 ||
            data.size() % 8 != 0 || std::uint64_t{offset} + data.size() > total_length)
            return wire_error::out_of_range;
        return wire_error::none;
    }
};

/// All chunks sent: verify and activate the program with these maps. The ack says ok, or
/// verifier_rejected with error_code = the verifier's error and detail = the instruction index
/// (pc); the previous program stays active until a commit succeeds.
struct ebpf_commit {
    static constexpr msg_type type = msg_type::ebpf_commit;
    std::uint32_t program_id = 1;
    std::uint32_t total_length = 8;
    bounded<map_spec, 8> maps;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.program_id); io.field(s.total_length); io.field(s.maps);
    }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        if (total_length > max_program_bytes) return wire_error::too_large;
        return program_id == 0 || total_length == 0 || total_length % 8 != 0 ? wire_error::out_of_range
                                                                              : wire_error::none;
    }
};

/// Detach program `program_id` (slot 5 passes everything afterwards).
struct ebpf_unload {
    static constexpr msg_type type = msg_type::ebpf_unload;
    std::uint32_t program_id = 1;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) { io.field(s.program_id); }
};

/// Replace all limits at once (atomically between two packets).
struct set_limits {
    static constexpr msg_type type = msg_type::set_limits;
    limits value;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) { io.field(s.value); }
};

/// List the penalty box from entry `first`. Answer: penalty_page.
struct penalty_list {
    static constexpr msg_type type = msg_type::penalty_list;
    std::uint32_t first = 0;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) { io.field(s.first); }
};

/// Unban every source.
struct penalty_flush {
    static constexpr msg_type type = msg_type::penalty_flush;
    template <class S, class IO> static constexpr void fields(S&, IO&) {}
};

/// Unban one source, named by the engine's source key (flow_key.hpp `source_key`): an IPv4
/// address a.b.c.d is the number a<<24 | b<<16 | c<<8 | d; an IPv6 source has bit 63 set and a
/// per-boot hash, so take it from a penalty_page of the same boot.
struct penalty_unban {
    static constexpr msg_type type = msg_type::penalty_unban;
    std::uint64_t source_key = 1;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) { io.field(s.source_key); }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        return source_key == 0 ? wire_error::out_of_range : wire_error::none;
    }
};

/// Read eBPF map `map_id`: with an empty `key`, its entries from an opaque `cursor` (0 = start);
/// with a key, just that entry (a map_page of 0 or 1 entries). Answer: map_page.
struct map_read {
    static constexpr msg_type type = msg_type::map_read;
    std::uint32_t map_id = 0;
    std::uint32_t cursor = 0;
    std::span<const std::byte> key;  ///< 0 bytes, or the map's key_size (<= 64)
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.map_id); io.field(s.cursor); io.field(s.key);
    }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        return key.size() > ebpf::max_key_size ? wire_error::too_large : wire_error::none;
    }
};

/// Largest rule database a rules_chunk may announce (the appliance says what it holds: the
/// ack of a too-large upload carries its capacity in `detail`).
inline constexpr std::uint32_t max_rules_bytes = 16u << 20;

/// One piece of a compiled rule database (`secrules compile`, rules/format.hpp) for the
/// appliance's upload area; in order, resends harmless, like ebpf_chunk (chunk_receiver.hpp).
/// The ack's detail is the bytes received so far (too_large: the appliance's capacity).
struct rules_chunk {
    static constexpr msg_type type = msg_type::rules_chunk;
    std::uint32_t set_id = 1;  ///< chosen by the client, 0 = none
    std::uint32_t total_length = 128;
    std::uint32_t offset = 0;
    std::span<const std::byte> data;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.set_id); io.field(s.total_length); io.field(s.offset); io.field(s.data);
    }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        if (total_length > max_rules_bytes) return wire_error::too_large;
        if (set_id == 0 || total_length == 0 || total_length % 4 != 0 || data.empty() ||
            std::uint64_t{offset} + data.size() > total_length)
            return wire_error::out_of_range;
        return wire_error::none;
    }
};

/// All chunks sent: validate (rules::db_view::open: length, CRC, version, every offset) and
/// switch to the set. The ack: ok; incomplete/invalid like ebpf_commit; verifier_rejected with
/// error_code = the rules::db_error. The running set stays until a commit succeeds.
struct rules_commit {
    static constexpr msg_type type = msg_type::rules_commit;
    std::uint32_t set_id = 1;
    std::uint32_t total_length = 128;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) { io.field(s.set_id); io.field(s.total_length); }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        if (total_length > max_rules_bytes) return wire_error::too_large;
        return set_id == 0 || total_length == 0 ? wire_error::out_of_range : wire_error::none;
    }
};

/// List the running rule set from rule `first`. Answer: rules_page.
struct rules_list {
    static constexpr msg_type type = msg_type::rules_list;
    std::uint32_t first = 0;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) { io.field(s.first); }
};

/// Chunk `index` of a rule database (index < rules_chunk_count(db.size())).
inline constexpr std::size_t max_rules_chunk_bytes = (max_payload - 12) / 4 * 4;
[[nodiscard]] constexpr std::uint32_t rules_chunk_count(std::size_t total) noexcept {
    return static_cast<std::uint32_t>((total + max_rules_chunk_bytes - 1) / max_rules_chunk_bytes);
}
[[nodiscard]] constexpr rules_chunk make_rules_chunk(std::uint32_t set_id, std::span<const std::byte> db, std::uint32_t index) noexcept {
    const std::size_t off = std::size_t{index} * max_rules_chunk_bytes;
    const std::size_t n = off < db.size() ? std::min(max_rules_chunk_bytes, db.size() - off) : 0;
    return rules_chunk{set_id, static_cast<std::uint32_t>(db.size()), static_cast<std::uint32_t>(off),
                       db.subspan(off < db.size() ? off : db.size(), n)};
}

/// Ask for the state store's version and flash health (persistent appliance). Answer: store_report.
struct store_status {
    static constexpr msg_type type = msg_type::store_status;
    template <class S, class IO> static constexpr void fields(S&, IO&) {}
};

/// Drop the running configuration kept in flash (the boot configuration - address, port, key -
/// stays) and reboot into it. `confirm` must be factory_reset_confirm: a guard against a
/// command built by mistake. Answer: ack (then the appliance reboots).
inline constexpr std::uint32_t factory_reset_confirm = 0x52534554u;  // "TESR"
struct factory_reset {
    static constexpr msg_type type = msg_type::factory_reset;
    std::uint32_t confirm = factory_reset_confirm;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) { io.field(s.confirm); }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        return confirm != factory_reset_confirm ? wire_error::out_of_range : wire_error::none;
    }
};

/// List the runtime signatures from slot `first`, with the DPI stage's capacity. Answer:
/// signature_page.
struct signature_list {
    static constexpr msg_type type = msg_type::signature_list;
    std::uint16_t first = 0;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) { io.field(s.first); }
};

// ---- chunking ---------------------------------------------------------------------------------

/// Program bytes per ebpf_chunk: the payload minus the 12-byte chunk header, rounded down to
/// whole instructions: (1440 - 12) / 8 * 8 = 1424 bytes = 178 instructions.
inline constexpr std::size_t max_chunk_bytes = (max_payload - 12) / 8 * 8;
static_assert(max_chunk_bytes == 1424);

/// Number of chunks for a program of `total` bytes.
[[nodiscard]] constexpr std::uint32_t chunk_count(std::size_t total) noexcept {
    return static_cast<std::uint32_t>((total + max_chunk_bytes - 1) / max_chunk_bytes);
}

/// Chunk `index` of `program` (index < chunk_count(program.size())).
[[nodiscard]] constexpr ebpf_chunk make_chunk(std::uint32_t program_id, std::span<const std::byte> program,
                                              std::uint32_t index) noexcept {
    const std::size_t off = std::size_t{index} * max_chunk_bytes;
    const std::size_t n = off < program.size() ? std::min(max_chunk_bytes, program.size() - off) : 0;
    return ebpf_chunk{program_id, static_cast<std::uint32_t>(program.size()), static_cast<std::uint32_t>(off),
                      program.subspan(off < program.size() ? off : program.size(), n)};
}

}  // namespace secengine::wire
