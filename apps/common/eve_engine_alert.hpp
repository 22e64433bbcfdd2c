#pragma once
// The engine's alerts (secengine::alert_event: drops by reason) as Suricata EVE "alert" records,
// for every host tool that prints them (secctl alerts --eve; secreplay's writer can use it too).
//
// Shape follows Suricata's eve.json "alert" events (docs.suricata.io, "Eve JSON Format"):
// timestamp, event_type, flow_id, src_ip/src_port/dest_ip/dest_port, proto, alert{action, gid,
// signature_id, rev, signature, category, severity}. Categories and severities are the ones of
// Suricata's classification.config (Snort's classtypes): 1 = high, 3 = low. Signature ids: DPI
// signatures keep their own ids (dpi/signatures.hpp); engine drops use 9000000 + 100 * reason +
// detail (scan kind, ...). `flow_id` is tuple_flow_id (eve_fields.hpp): one id per flow, both
// directions, across reboots; `host` is the sensor name the caller configures (never derived
// from the boot id, so it does not change when the appliance restarts).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <secengine/alert_ring.hpp>

namespace secengine::host {

/// Signature text, category and severity of one engine alert.
struct engine_alert_text {
    std::uint32_t sid;
    std::string signature;
    std::string_view category;
    int severity;
};
[[nodiscard]] engine_alert_text describe(const secengine::alert_event& a);

/// What the record says beyond the alert itself.
struct eve_alert_context {
    std::int64_t sec = 0, usec = 0;               ///< wall-clock time of the record
    std::optional<std::uint64_t> pcap_cnt;        ///< offline: the packet's index in the capture
    std::optional<std::uint32_t> suppressed_before;  ///< live: alerts of the key suppressed before this one
    std::string host;                             ///< sensor name; empty: no `host` field
    std::optional<std::uint64_t> appliance_ticks; ///< live: the appliance's own timestamp
};

/// One EVE alert line (no trailing newline).
[[nodiscard]] std::string eve_engine_alert(const secengine::alert_event& a, const eve_alert_context& c);

}  // namespace secengine::host
