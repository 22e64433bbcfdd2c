#pragma once
// The console's only view of the transport/session layer: one small interface. The console
// model, views and tests talk to `appliance_link`; the implementation behind it
// (link_control.cpp) is the shared host control client of apps/common, also used by secctl.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include <secengine/wire.hpp>

#include "address_text.hpp"
#include "control_client.hpp"

namespace console {

namespace wire = secengine::wire;

/// Every command the console sends, except eBPF upload (chunked: `appliance_link::upload_program`).
/// Byte tails (`add_signature::pattern`) must outlive the `request` call.
using command = std::variant<wire::ping, wire::read_config, wire::subscribe, wire::unsubscribe, wire::block_port,
                             wire::unblock_port, wire::add_signature, wire::remove_signature, wire::set_limits,
                             wire::penalty_list, wire::penalty_flush, wire::penalty_unban, wire::map_read,
                             wire::ebpf_unload, wire::rules_list, wire::signature_list>;

/// Outcome of one request: the shared control client's response (apps/common/control_client.hpp),
/// so that the console and secctl read and word a reply the same way (`describe()`: "ok",
/// "verifier_rejected (uninit_register at pc 7)", "error_reply wrong_boot", "timeout ...").
using result = control::response;

/// Authenticated telemetry handed to the model: the header and the still-encoded payload.
using telemetry_sink = std::function<void(const wire::header&, std::span<const std::byte>)>;

/// Request/reply + telemetry channel to one appliance.
class appliance_link {
public:
    virtual ~appliance_link() = default;
    virtual result request(const command& c) = 0;
    /// Acknowledged chunks then the commit; the commit's (or the failing chunk's) result.
    /// A compiled rule database in chunks, then its commit (slot 6 switches when it verifies).
    virtual result upload_rules(std::uint32_t set_id, std::span<const std::byte> db) = 0;
    virtual result upload_program(std::uint32_t program_id, std::span<const std::byte> code,
                                  std::span<const wire::map_spec> maps) = 0;
    /// Receives for up to `ms` milliseconds, handing telemetry to `on_telemetry`.
    virtual void pump(int ms) = 0;
    [[nodiscard]] virtual std::uint64_t boot_id() const = 0;
    /// Datagrams this client refused, per wire_error (shown next to the appliance's own counts).
    [[nodiscard]] virtual std::array<std::uint64_t, wire::wire_error_count> refused() const = 0;
    [[nodiscard]] virtual std::string describe_endpoint() const = 0;
    telemetry_sink on_telemetry;
};

/// Where and how to reach an appliance (the console's --appliance / --netdev / --key options).
struct endpoint {
    std::string host = "10.0.0.2";
    std::uint16_t port = 7400;
    std::string netdev;  ///< QEMU socket netdev spec (needs the shared control client)
    std::array<std::uint8_t, 16> key{};
    std::uint8_t channel = 2;  ///< docs/protocol.md: secctl 1, the console 2
    int timeout_ms = 300;
};

/// Opens the best available link for `e`; null with `err` set on failure.
std::unique_ptr<appliance_link> open_link(const endpoint& e, std::string& err);

wire::siphash_key make_key(const std::array<std::uint8_t, 16>& k);
// Addresses, source keys and keys: the one spelling of every host tool (apps/common/address_text.hpp),
// so that a source key copied from the console pastes into `secctl penalty unban`.
using secengine::host::address_text;
using secengine::host::ipv4_text;
using secengine::host::parse_ipv4;
using secengine::host::parse_key;
using secengine::host::parse_source_key;
using secengine::host::source_key_text;
std::uint64_t now_us();

}  // namespace console
