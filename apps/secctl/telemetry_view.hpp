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

#include "alert_dedup.hpp"

namespace secctl {

namespace wire = secengine::wire;
using secengine::host::alert_dedup;

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
/// Wall-clock microseconds since the epoch (what alert lines and EVE records are stamped with).
[[nodiscard]] std::int64_t wall_us();
/// One line per alert: wall-clock time (EVE's format), reason, signature, stage, addresses,
/// ports, protocol: `2026-12-01T11:50:00.123456+0000 alert dpi_signature "SECENGINE DPI ..." ...`.
[[nodiscard]] std::string alert_text(const wire::alert& a, std::int64_t wall_us);
/// The `host` of every EVE record: `--sensor NAME`, else "secengine@APPLIANCE" - stable for an
/// appliance across its reboots (the boot id is not in it).
[[nodiscard]] std::string sensor_name(const std::string& configured, const std::string& appliance);
/// One Suricata EVE alert record (apps/common/eve_engine_alert.hpp) stamped `wall_us`.
[[nodiscard]] std::string alert_eve(const wire::alert& a, std::int64_t wall_us, const std::string& sensor);

/// The live view of `secctl watch` (without the screen-clearing escape). `age_s`: seconds since
/// these stats arrived; past `stale_after_s` the view says OFFLINE first, so numbers from the
/// past never look current.
[[nodiscard]] std::string watch_text(const telemetry& t, const std::string& appliance, std::uint64_t boot, double age_s = 0,
                                     double stale_after_s = 3);

/// What the exporter knows at scrape time about whether the appliance is there.
struct liveness {
    bool answering = false;        ///< the latest keep-alive (ping or subscribe) was answered
    double telemetry_age_s = -1;   ///< seconds since the latest stats message; < 0: none yet
    double stale_after_s = 3;      ///< stats older than this are not current
    /// Up: it answers and its stats are current. Anything else exports `secengine_up 0` and no
    /// counters (a frozen counter would look like a live, idle appliance).
    [[nodiscard]] bool up() const { return answering && telemetry_age_s >= 0 && telemetry_age_s <= stale_after_s; }
};

/// How long stats may be missing before they are stale: three subscription intervals, at least 2 s.
[[nodiscard]] double stale_after(std::uint32_t interval_ms);

/// /metrics body (Prometheus text format 0.0.4). `secengine_up` has no labels, so a reboot does
/// not start a new series; the boot id is `secengine_boot_info{boot_id=...} 1` (the info-metric
/// pattern of the Prometheus naming guide), exported only while up.
[[nodiscard]] std::string prometheus(const telemetry& t, std::uint64_t boot, const liveness& l);

}  // namespace secctl
