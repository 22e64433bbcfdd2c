#pragma once
// Host side of the control protocol (docs/protocol.md, docs/secctl.md): transports to the
// appliance and a request/reply client over secengine::wire::client_session. Shared by secctl
// and the operator console.
//
// Transports:
//  - udp_transport: plain UDP to the appliance's management address (TAP or a real network);
//    the host's IP stack builds the frames.
//  - netdev_transport: the QEMU socket netdev itself (docs/unikernel.md, "QEMU command lines"). Frames are built
//    and parsed here with the library's frame_builder / net::parse: Ethernet + IPv4 + UDP from
//    a configurable source MAC/IP. `udp=HOST:A,localaddr=HOST:B` talks to a unicast socket
//    netdev (QEMU sends to A, listens on B; we bind A, send to B); `mcast=GROUP:PORT` joins the
//    multicast segment (bind the group, IP_ADD_MEMBERSHIP on 127.0.0.1, loopback on), where
//    any number of tools and the traffic generator share the appliance's port.
#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <secengine/wire.hpp>

#include "address_text.hpp"

namespace control {

namespace wire = secengine::wire;

/// Moves whole datagrams (the UDP payload) to and from the appliance.
class transport {
public:
    virtual ~transport() = default;
    virtual bool send(std::span<const std::byte> datagram) = 0;
    /// One datagram from the appliance into `out`; its size, or -1 on timeout/error.
    virtual long recv(std::span<std::byte> out, int timeout_ms) = 0;
};

/// Parsed `--appliance IP[:PORT]`, `--netdev SPEC` and addressing options.
struct endpoint_options {
    std::uint32_t appliance_ip = 0x0a000002;  ///< 10.0.0.2
    std::uint16_t mgmt_port = 7400;
    std::string netdev;                          ///< empty: plain UDP
    std::uint32_t src_ip = 0x0a000064;           ///< netdev only: our address on the segment (10.0.0.100)
    std::uint16_t src_port = 0;                  ///< 0: 40000 + channel
    std::array<std::uint8_t, 6> src_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0xc1};
};

/// Opens the transport the options ask for; on failure returns null and sets `err`.
std::unique_ptr<transport> open_transport(const endpoint_options& o, std::string& err);

// Address and key text: the one spelling of address_text.hpp.
using secengine::host::ipv4_text;
using secengine::host::parse_ipv4;
using secengine::host::parse_key;
wire::siphash_key make_key(const std::array<std::uint8_t, 16>& k);

/// Frame helpers for netdev_transport (exposed for tests).
std::vector<std::byte> build_frame(const std::array<std::uint8_t, 6>& dst_mac, const std::array<std::uint8_t, 6>& src_mac,
                                   std::uint32_t src_ip, std::uint32_t dst_ip, std::uint16_t sport, std::uint16_t dport,
                                   std::span<const std::byte> payload);
/// The UDP payload of `frame` if it is IPv4/UDP from (ip, sport) to (dst_ip, dport), else empty.
std::optional<std::span<const std::byte>> match_frame(std::span<const std::byte> frame, std::uint32_t ip,
                                                      std::uint16_t sport, std::uint32_t dst_ip, std::uint16_t dport,
                                                      std::array<std::uint8_t, 6>* src_mac = nullptr);

/// The outcome of one request.
struct response {
    bool answered = false;                ///< false: no valid reply before the timeout
    int send_errno = 0;                   ///< non-zero: the request could not be sent (errno of send)
    wire::msg_type type = wire::msg_type::ack;
    std::vector<std::byte> payload;       ///< the reply's payload (decode with wire::decode_payload)
    wire::ack ack{};                      ///< when type == ack
    wire::error_reply error{};            ///< when type == error_reply
    wire::msg_type request = wire::msg_type::ping;  ///< the command this answers (names the ack's code)
    /// Configuration changes (wire/config_version.hpp): the version the change was made
    /// against, and - when the client retried once after stale_version - the one it first used.
    std::uint32_t made_against = 0;
    std::uint32_t retried_from = 0;  ///< 0: not retried
    [[nodiscard]] bool stale() const { return answered && type == wire::msg_type::ack && ack.result == wire::status::stale_version; }
    [[nodiscard]] bool ok() const { return answered && type != wire::msg_type::error_reply &&
                                           (type != wire::msg_type::ack || ack.result == wire::status::ok); }
    /// "ok", "verifier_rejected (bad_helper at pc 7)", "no_space (pool_full)", "invalid
    /// (burst_zero)", "error_reply wrong_boot", "timeout", ...: the ack's code is named by the
    /// command it answers (a dpi_error for signatures, a limits_error for set_limits).
    [[nodiscard]] std::string describe() const;
};

/// What is known of a request (or of telemetry) that got no authentic answer. The three cases an
/// operator must tell apart (docs/secctl.md, "Errors"): it could not be sent (network), replies
/// came but failed authentication (key), nothing came back (address, port, stopped appliance).
struct silence {
    int send_errno = 0;                 ///< non-zero: the send itself failed (response::send_errno)
    std::uint64_t bad_mac_replies = 0;  ///< replies refused as bad_mac (client::refused)
    std::string appliance;              ///< "10.0.0.2:7400"; empty: not named
    int attempts = 0, timeout_ms = 0;   ///< 0: not said
};

/// The one wording of a silence for secctl and the console.
[[nodiscard]] std::string silence_text(const silence& s);

/// Request/reply client: seals commands, matches replies by request_seq, retransmits with a
/// fresh sequence number, follows a boot change (resending the refused command once) and hands
/// telemetry that arrives meanwhile to `on_telemetry`.
class client {
public:
    client(transport& t, const wire::siphash_key& key, std::uint8_t channel, std::uint64_t first_seq);

    int timeout_ms = 1000;   ///< per attempt
    int attempts = 3;
    /// Called with (old boot id, new boot id) when a reply moves the session to another boot.
    std::function<void(std::uint64_t, std::uint64_t)> on_new_boot;
    /// Authenticated telemetry (stats, dpi_hits, map_counters, alert).
    std::function<void(const wire::header&, std::span<const std::byte>)> on_telemetry;
    /// Datagrams refused by the session (count per wire_error, for diagnostics).
    std::array<std::uint64_t, wire::wire_error_count> refused{};

    /// After `stale_version`, resend once against the version the refusal named - only for
    /// changes made against the client's own reading (`request`), never for `request_at`: the
    /// caller of that showed the operator a configuration that is no longer current
    /// (docs/secctl.md "Configuration version").
    bool retry_stale = true;
    /// The config version of the appliance's current boot as last seen in an ack, config or
    /// stats (0: none seen yet in this boot).
    [[nodiscard]] std::uint32_t config_version() const { return config_version_; }

    /// Sends `cmd` and waits for its answer. A configuration change is made against the
    /// version last seen (a ping first if none was seen in this boot).
    template <wire::message M>
    response request(const M& cmd) {
        if constexpr (wire::carries_config_version(M::type)) {
            if (config_version_ == 0) {
                response p = request_once(wire::ping{});
                if (!p.answered || config_version_ == 0) {
                    p.request = M::type;
                    return p;
                }
            }
            response r = change(cmd, config_version_);
            if (retry_stale && r.stale() && config_version_ != r.made_against) {
                const std::uint32_t first = r.made_against;
                r = change(cmd, config_version_);
                r.retried_from = first;
            }
            return r;
        } else {
            response r = request_once(cmd);
            r.request = M::type;
            return r;
        }
    }

    /// A configuration change made against `version` (the one the operator's view shows); a
    /// stale one is refused with stale_version and not retried.
    template <wire::message M>
    response request_at(const M& cmd, std::uint32_t version) {
        return change(cmd, version);
    }

private:
    template <wire::message M>
    response change(const M& cmd, std::uint32_t version) {
        response r = request_once(wire::versioned<M>{version, cmd});
        r.request = M::type;
        r.made_against = version;
        return r;
    }

public:

private:
    template <wire::message M>
    response request_once(const M& cmd) {
        response r;
        for (int i = 0; i < attempts && !r.answered; ++i) {
            std::array<std::byte, wire::max_datagram> buf;
            std::uint64_t seq = 0;
            const wire::encoded e = session_.seal(cmd, buf, &seq);
            if (e.error != wire::wire_error::none) return r;
            if (!t_.send(std::span<const std::byte>(buf.data(), e.size))) {
                r.send_errno = errno != 0 ? errno : EIO;  // unreachable network, no route, ...
                return r;
            }
            bool boot_changed = false;
            r = wait_reply(seq, boot_changed);
            if (boot_changed && r.answered && r.type == wire::msg_type::error_reply &&
                r.error.error == wire::wire_error::wrong_boot) {
                r.answered = false;  // taught us the boot id: send again under it
                ++attempts_extra_;
                if (attempts_extra_ < 3) --i;
            }
        }
        return r;
    }

public:
    /// Uploads an eBPF program in acknowledged chunks, then commits it. Returns the commit's (or
    /// the failing chunk's) response.
    response upload_program(std::uint32_t program_id, std::span<const std::byte> code,
                            std::span<const wire::map_spec> maps);

    /// Uploads a compiled rule database (`secrules compile`) in acknowledged rules_chunk pieces,
    /// then commits it (the appliance validates and switches). Returns the commit's (or the
    /// failing chunk's) response.
    response upload_rules(std::uint32_t set_id, std::span<const std::byte> db);

    /// Waits up to `ms` for telemetry (and anything else), dispatching it; returns on timeout.
    void pump(int ms);

    [[nodiscard]] std::uint64_t boot_id() const { return session_.boot_id(); }
    [[nodiscard]] const wire::client_session& session() const { return session_; }

private:
    response wait_reply(std::uint64_t seq, bool& boot_changed);
    void dispatch(const wire::opened& o);

    void learn_version(const wire::opened& o);

    transport& t_;
    wire::client_session session_;
    int attempts_extra_ = 0;
    std::uint32_t config_version_ = 0;
};

/// Microseconds since the epoch: a stateless tool's first sequence number (docs/protocol.md).
std::uint64_t now_us();

}  // namespace control
