#pragma once
/// \file The fixed 24-byte datagram header, the message type numbers and the size limits.
///
/// Layout (little-endian, docs/protocol.md "Datagram"):
///
///     0  magic    u16  0x4553 ("SE" on the wire)     8  boot_id  u64  the appliance's boot
///     2  version  u8   1                             16 seq      u64  per sender, per boot
///     3  type     u8   msg_type                      24 payload  (length bytes)
///     4  flags    u8   bit 0: from_appliance,        24+length   tag u64: SipHash-2-4 over bytes
///                      bit 1: config_version                   [0, 24 + length)
///     5  channel  u8   client number (0: appliance)
///     6  length   u16  payload bytes
///
/// Magic and version stay at these offsets in every future version, so any receiver can tell
/// "not ours" from "ours, but newer" and answer the latter with an error_reply.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace secengine::wire {

inline constexpr std::uint16_t magic = 0x4553;  // bytes 'S' 'E'
inline constexpr std::uint8_t protocol_version = 1;
inline constexpr std::size_t header_size = 24;
inline constexpr std::size_t tag_size = 8;

/// The largest UDP payload in a 1514-byte Ethernet frame (the 1536-byte buffers hold the frame
/// plus the VirtIO header): 1514 - 14 Ethernet - 20 IPv4 (no options) - 8 UDP.
inline constexpr std::size_t max_datagram = 1514 - 14 - 20 - 8;
/// The largest message payload in one datagram: 1472 - 24 header - 8 tag = 1440 bytes.
inline constexpr std::size_t max_payload = max_datagram - header_size - tag_size;
static_assert(max_datagram == 1472 && max_payload == 1440);

/// Header flag bits; every other bit is reserved and must be zero (`bad_flags`).
namespace flag {
inline constexpr std::uint8_t from_appliance = 0x01;  ///< set by the appliance, clear by clients
/// The payload starts with the u32 configuration version the change was made against
/// (config_version.hpp); set on exactly the configuration changes.
inline constexpr std::uint8_t config_version = 0x02;
inline constexpr std::uint8_t defined = from_appliance | config_version;
}  // namespace flag

/// Message types. Commands (client -> appliance) are 0x01-0x3f; replies 0x40-0x4f and
/// telemetry 0x50-0x5f travel appliance -> client. Every reply payload starts with the
/// sequence number of the command it answers (`request_seq`).
enum class msg_type : std::uint8_t {
    ping = 0x01,
    read_config = 0x02,
    subscribe = 0x03,
    unsubscribe = 0x04,
    block_port = 0x05,
    unblock_port = 0x06,
    add_signature = 0x07,
    remove_signature = 0x08,
    ebpf_chunk = 0x09,
    ebpf_commit = 0x0a,
    ebpf_unload = 0x0b,
    set_limits = 0x0c,
    penalty_list = 0x0d,
    penalty_flush = 0x0e,
    penalty_unban = 0x0f,
    map_read = 0x10,
    rules_chunk = 0x11,
    rules_commit = 0x12,
    rules_list = 0x13,
    store_status = 0x14,   ///< persistent appliance: state store version and flash health
    factory_reset = 0x15,  ///< persistent appliance: drop the running configuration, reboot
    signature_list = 0x16, ///< the runtime signatures (id, lane, hits, pattern) and the DPI capacity

    ack = 0x40,
    error_reply = 0x41,
    config = 0x42,
    penalty_page = 0x43,
    map_page = 0x44,
    rules_page = 0x45,
    store_report = 0x46,
    signature_page = 0x47,

    stats = 0x50,
    dpi_hits = 0x51,
    map_counters = 0x52,
    alert = 0x53,
};

inline constexpr std::uint8_t last_command = 0x16;
inline constexpr std::uint8_t last_reply = 0x47;
inline constexpr std::uint8_t last_telemetry = 0x53;

[[nodiscard]] constexpr bool is_command(msg_type t) noexcept {
    const auto v = static_cast<std::uint8_t>(t);
    return v >= 0x01 && v <= last_command;
}
[[nodiscard]] constexpr bool is_reply(msg_type t) noexcept {
    const auto v = static_cast<std::uint8_t>(t);
    return v >= 0x40 && v <= last_reply;
}
[[nodiscard]] constexpr bool is_telemetry(msg_type t) noexcept {
    const auto v = static_cast<std::uint8_t>(t);
    return v >= 0x50 && v <= last_telemetry;
}
[[nodiscard]] constexpr bool is_valid(msg_type t) noexcept { return is_command(t) || is_reply(t) || is_telemetry(t); }

[[nodiscard]] constexpr std::string_view name(msg_type t) noexcept {
    constexpr std::string_view commands[] = {
        "ping",          "read_config",   "subscribe",    "unsubscribe",   "block_port",    "unblock_port",
        "add_signature", "remove_signature", "ebpf_chunk", "ebpf_commit",  "ebpf_unload",   "set_limits",
        "penalty_list",  "penalty_flush", "penalty_unban", "map_read",    "rules_chunk",   "rules_commit",
        "rules_list",    "store_status",  "factory_reset", "signature_list"};
    constexpr std::string_view replies[] = {"ack", "error_reply", "config", "penalty_page", "map_page", "rules_page", "store_report", "signature_page"};
    constexpr std::string_view telemetry[] = {"stats", "dpi_hits", "map_counters", "alert"};
    static_assert(std::size(commands) == last_command && std::size(replies) == last_reply - 0x40 + 1 &&
                  std::size(telemetry) == last_telemetry - 0x50 + 1);
    const auto v = static_cast<std::uint8_t>(t);
    if (is_command(t)) return commands[v - 1];
    if (is_reply(t)) return replies[v - 0x40];
    if (is_telemetry(t)) return telemetry[v - 0x50];
    return "unknown";
}

/// The decoded header. `length` is filled in by `seal_datagram`, checked by `open_datagram`.
struct header {
    std::uint8_t version = protocol_version;
    msg_type type = msg_type::ping;
    std::uint8_t flags = 0;
    std::uint8_t channel = 0;  ///< client number 1..255 on commands; the addressed client (0: all) on replies
    std::uint16_t length = 0;
    std::uint64_t boot_id = 0;  ///< the appliance's boot; 0 = "not known yet" (a client's first ping)
    std::uint64_t seq = 0;      ///< 1, 2, ... per sender and boot; 0 is never valid

    [[nodiscard]] constexpr bool from_appliance() const noexcept { return (flags & flag::from_appliance) != 0; }
    friend constexpr bool operator==(const header&, const header&) = default;
};

}  // namespace secengine::wire
