#pragma once
/// \file One end of the control channel: key, boot id, outgoing sequence number and the
/// anti-replay state. `seal(message, out)` -> datagram bytes; `open(bytes)` -> a validated
/// header + payload, or the reason it was refused. No heap; the kernel keeps one appliance
/// session in .bss, secctl and the console each keep a client session.
///
/// Who accepts what (docs/protocol.md "Sessions"):
///  - The appliance accepts commands (flag from_appliance clear, channel 1..Channels) carrying
///    its own boot id; each channel has its own replay window, so several clients can work at once.
///    A command with another boot id is authentic but stale: `wrong_boot`, and the appliance
///    answers it with an error_reply, which carries the current boot id in its header.
///  - A client accepts replies and telemetry (flag set, channel 0 or its own). It learns or
///    changes the boot id only from a reply whose request_seq is one it sent since the last
///    change: a recorded reply from an earlier boot cannot drag it back.
/// Both flag and channel are under the MAC, so a datagram reflected back to its sender, or a
/// client's datagram replayed to the appliance under another channel, fails.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "config_version.hpp"
#include "datagram.hpp"
#include "error.hpp"
#include "header.hpp"
#include "message.hpp"
#include "replay_window.hpp"
#include "siphash.hpp"

namespace secengine::wire {

/// The appliance's end: one boot id, one outgoing sequence, one replay window per client channel.
template <std::size_t Channels = 4>
class appliance_session {
    static_assert(Channels >= 1 && Channels <= 255, "channels are numbered 1..255");

public:
    /// `boot_id` must differ between boots (and be nonzero): it is what makes commands recorded
    /// during an earlier boot worthless.
    constexpr appliance_session(siphash_key key, std::uint64_t boot_id) noexcept
        : key_(key), boot_id_(boot_id == 0 ? 1 : boot_id) {}

    /// Seals `m` to client `channel` (0: every subscriber) with the next sequence number.
    template <message M>
    [[nodiscard]] constexpr encoded seal(const M& m, std::uint8_t channel, std::span<std::byte> out) noexcept {
        header h;
        h.flags = flag::from_appliance;
        h.channel = channel;
        h.boot_id = boot_id_;
        h.seq = next_seq_;
        const encoded e = seal_datagram(key_, h, m, out);
        if (e.error == wire_error::none) ++next_seq_;
        return e;
    }

    /// Authenticates and validates a command; on success its sequence number is consumed.
    /// On wrong_boot / unknown_type the header is still filled in, for the error_reply.
    [[nodiscard]] constexpr opened open(std::span<const std::byte> d) noexcept {
        opened r = open_datagram(key_, d);
        if (!r.ok()) return r;
        const auto fail = [&r](wire_error e) {
            r.error = e;
            return r;
        };
        if (r.hdr.from_appliance() || !is_command(r.hdr.type)) return fail(wire_error::wrong_direction);
        if (r.hdr.channel == 0 || r.hdr.channel > Channels) return fail(wire_error::out_of_range);
        if (r.hdr.boot_id != boot_id_) return fail(wire_error::wrong_boot);
        replay_window& w = windows_[r.hdr.channel - 1u];
        if (const wire_error e = w.check(r.hdr.seq); e != wire_error::none) return fail(e);
        // A configuration change carries the version it was made against (config_version.hpp):
        // the prefix is split off here, so `payload` is the command's own layout either way.
        const version_split vs = split_config_version(r.hdr.type, r.hdr.flags, r.payload);
        if (vs.error != wire_error::none) return fail(vs.error);
        if (const wire_error e = validate_payload(command_types{}, r.hdr.type, vs.command); e != wire_error::none)
            return fail(e);
        r.payload = vs.command;
        r.versioned = vs.present;
        r.config_version = vs.config_version;
        w.update(r.hdr.seq);
        return r;
    }

    [[nodiscard]] constexpr std::uint64_t boot_id() const noexcept { return boot_id_; }
    [[nodiscard]] constexpr std::uint64_t next_seq() const noexcept { return next_seq_; }
    /// The session key (the control plane re-checks a refused datagram's tag with it).
    [[nodiscard]] constexpr const siphash_key& key() const noexcept { return key_; }

private:
    siphash_key key_;
    std::uint64_t boot_id_;
    std::uint64_t next_seq_ = 1;
    std::array<replay_window, Channels> windows_{};
};

/// A client's end (secctl, console): its channel, the appliance's boot id as far as known,
/// its outgoing sequence and one window over the appliance's sequence numbers.
class client_session {
public:
    /// `first_seq` (>= 1) must exceed every number this channel used before during the
    /// appliance's current boot; a tool that keeps no state passes the wall clock in
    /// microseconds. `boot_id` 0 = not known yet (the first command earns an error_reply
    /// that teaches it).
    constexpr client_session(siphash_key key, std::uint8_t channel, std::uint64_t first_seq,
                             std::uint64_t boot_id = 0) noexcept
        : key_(key),
          channel_(channel == 0 ? 1 : channel),
          next_seq_(first_seq == 0 ? 1 : first_seq),
          fresh_from_(next_seq_),
          boot_id_(boot_id) {}

    /// Seals command `m` for the appliance; `out_seq` (if given) receives its sequence number.
    /// A `versioned<M>` change gets flag::config_version (config_version.hpp).
    template <message M>
    [[nodiscard]] constexpr encoded seal(const M& m, std::span<std::byte> out, std::uint64_t* out_seq = nullptr) noexcept {
        header h;
        h.flags = flags_for<M>();
        h.channel = channel_;
        h.boot_id = boot_id_;
        h.seq = next_seq_;
        const encoded e = seal_datagram(key_, h, m, out);
        if (e.error == wire_error::none) {
            if (out_seq != nullptr) *out_seq = next_seq_;
            ++next_seq_;
        }
        return e;
    }

    /// Authenticates and validates a reply or telemetry datagram. `new_boot` is set when it
    /// moved this session to another boot id (the caller re-sends what was refused and, for
    /// secctl, re-applies the desired state).
    [[nodiscard]] constexpr opened open(std::span<const std::byte> d) noexcept {
        opened r = open_datagram(key_, d);
        if (!r.ok()) return r;
        const auto fail = [&r](wire_error e) {
            r.error = e;
            return r;
        };
        if (!r.hdr.from_appliance() || is_command(r.hdr.type)) return fail(wire_error::wrong_direction);
        if ((r.hdr.flags & flag::config_version) != 0) return fail(wire_error::bad_flags);  // commands only
        if (r.hdr.channel != 0 && r.hdr.channel != channel_) return fail(wire_error::wrong_channel);
        if (const wire_error e = validate_payload(appliance_types{}, r.hdr.type, r.payload); e != wire_error::none)
            return fail(e);
        if (r.hdr.boot_id != boot_id_) {
            // Only an answer to a command sent since the last boot change proves the new boot
            // is current; telemetry and old replies could be recordings.
            const std::uint64_t rs = request_seq_of(r);
            if (!is_reply(r.hdr.type) || r.hdr.channel != channel_ || rs < fresh_from_ || rs >= next_seq_)
                return fail(wire_error::wrong_boot);
            boot_id_ = r.hdr.boot_id;
            window_.reset();
            fresh_from_ = next_seq_;
            r.new_boot = true;
        }
        if (const wire_error e = window_.accept(r.hdr.seq); e != wire_error::none) return fail(e);
        return r;
    }

    [[nodiscard]] constexpr std::uint64_t boot_id() const noexcept { return boot_id_; }
    [[nodiscard]] constexpr std::uint64_t next_seq() const noexcept { return next_seq_; }
    [[nodiscard]] constexpr std::uint8_t channel() const noexcept { return channel_; }

private:
    siphash_key key_;
    std::uint8_t channel_;
    std::uint64_t next_seq_;
    std::uint64_t fresh_from_;  ///< first sequence number sent under the current boot id
    std::uint64_t boot_id_;
    replay_window window_{};
};

}  // namespace secengine::wire
