#pragma once
/// \file Command ordering across channels (issue 16, docs/protocol.md "Configuration version"):
/// every configuration change carries the configuration version its client made it against,
/// and the appliance applies it only when that is still the current version.
///
/// Why: each channel has its own replay window, so sequence numbers order one client's
/// commands but not two clients' (or two channels of one operator). Someone on the path can
/// withhold an authentic `block_port` sent on channel 2 and deliver it after a newer
/// `unblock_port` on channel 1: authentic, fresh for channel 2's window, and it silently undoes
/// the later change. With the version in the change, the withheld block was made against
/// version V, the unblock moved the appliance to V+1, and the block is refused with
/// `stale_version`. This is optimistic concurrency control as HTTP does it with `If-Match`
/// preconditions (RFC 9110 section 13.1.1, "412 Precondition Failed") and etcd with a
/// transaction's compare on `mod_revision`: the write names the state it expects.
///
/// Layout: header flag bit `flag::config_version` (0x02) says the payload starts with the
/// version, a u32 (little-endian), followed by the command's usual payload:
///
///     24  config_version  u32   the version the client last saw (ack, config, stats)
///     28  command payload       exactly as without the flag (commands.hpp)
///
/// The flag is required on the commands `carries_config_version` names and refused (bad_flags)
/// on every other type, so neither side can mistake one layout for the other; a change sent
/// without it (a client older than this rule) is refused by the appliance with the ack status
/// `version_required`. What the appliance stores in flash is the command payload without the
/// version: replay at boot re-applies the stored order and never consults it.
#include <cstddef>
#include <cstdint>
#include <span>

#include "error.hpp"
#include "header.hpp"

namespace secengine::wire {

/// Bytes of the version prefix.
inline constexpr std::size_t config_version_size = 4;

/// The commands that change the running configuration (they bump the config version when
/// they change something): these carry the version they were made against. Uploads' chunks
/// only stage bytes (the commit carries it); penalty commands act on bans, which are state;
/// subscriptions are per client and already follow the channel's newest command.
[[nodiscard]] constexpr bool carries_config_version(msg_type t) noexcept {
    switch (t) {
    case msg_type::block_port:
    case msg_type::unblock_port:
    case msg_type::add_signature:
    case msg_type::remove_signature:
    case msg_type::ebpf_commit:
    case msg_type::ebpf_unload:
    case msg_type::set_limits:
    case msg_type::rules_commit:
    case msg_type::factory_reset: return true;
    default: return false;
    }
}

/// A command with its version prefix, as a message the codec can seal: `versioned<block_port>`
/// has block_port's type and the layout above. Client sessions set the flag for it.
template <class M>
struct versioned {
    static constexpr msg_type type = M::type;
    static constexpr bool has_config_version = true;
    static_assert(carries_config_version(M::type), "only configuration changes carry a version");
    std::uint32_t config_version = 0;
    M command{};
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.config_version);
        io.field(s.command);  // the command's own fields and check()
    }
};

/// The header flags a client sets for message `M`.
template <class M>
[[nodiscard]] constexpr std::uint8_t flags_for() noexcept {
    if constexpr (requires { M::has_config_version; }) return flag::config_version;
    else return 0;
}

/// A command's payload split at the version prefix (`session.hpp` open).
struct version_split {
    wire_error error = wire_error::none;
    bool present = false;             ///< the flag was set (and the prefix read)
    std::uint32_t config_version = 0;
    std::span<const std::byte> command;  ///< the command payload after the prefix
};

/// Splits `payload` of a command of type `t` with header `flags`. The flag on a type that
/// carries no version is bad_flags; with the flag, fewer than 4 bytes is length_mismatch.
[[nodiscard]] constexpr version_split split_config_version(msg_type t, std::uint8_t flags,
                                                           std::span<const std::byte> payload) noexcept {
    version_split s;
    s.command = payload;
    if ((flags & flag::config_version) == 0) return s;
    if (!carries_config_version(t)) {
        s.error = wire_error::bad_flags;
        return s;
    }
    if (payload.size() < config_version_size) {
        s.error = wire_error::length_mismatch;
        return s;
    }
    s.present = true;
    for (std::size_t i = config_version_size; i-- > 0;)
        s.config_version = (s.config_version << 8) | static_cast<std::uint8_t>(payload[i]);
    s.command = payload.subspan(config_version_size);
    return s;
}

}  // namespace secengine::wire
