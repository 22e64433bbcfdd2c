#pragma once
// What secctl shows of the appliance's telemetry: the latest stats, DPI hits, eBPF map counters
// and alerts as text, JSON, EVE records and the Prometheus text exposition format
// (prometheus.io/docs/instrumenting/exposition_formats).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <secengine/wire.hpp>

namespace secctl {

namespace wire = secengine::wire;

/// The latest telemetry of a subscription.
struct telemetry {
    std::optional<wire::stats> last;
    std::vector<wire::signature_hits> hits;
    std::vector<wire::map_counter> counters;
    std::uint64_t ebpf_runs = 0;
    std::vector<wire::alert> alerts;
    std::uint64_t stats_seen = 0;
    std::uint64_t hits_seen = 0;

    /// Takes one authenticated telemetry message (others are ignored).
    void take(const wire::header& h, std::span<const std::byte> p);
};

/// "forwarded", or the drop reason's name, for verdict slot `i` of a stats message.
[[nodiscard]] std::string reason_name(std::size_t i);

[[nodiscard]] std::string stats_text(const wire::stats& s);
[[nodiscard]] std::string stats_json(const wire::stats& s);
/// One line per alert: reason, stage, addresses, ports, protocol.
[[nodiscard]] std::string alert_text(const wire::alert& a);
/// One Suricata EVE alert record (apps/common/eve_engine_alert.hpp).
[[nodiscard]] std::string alert_eve(const wire::alert& a, std::uint64_t boot);
/// The live view of `secctl watch` (without the screen-clearing escape).
[[nodiscard]] std::string watch_text(const telemetry& t, const std::string& appliance, std::uint64_t boot);
/// /metrics body.
[[nodiscard]] std::string prometheus(const telemetry& t, std::uint64_t boot);

}  // namespace secctl
