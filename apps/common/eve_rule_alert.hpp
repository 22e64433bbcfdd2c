#pragma once
// A rule alert (inspector.hpp) as one Suricata EVE "alert" record: timestamp, flow_id, pcap_cnt,
// event_type, addresses and ports as the packet has them, proto, direction, app_proto,
// alert{action, gid, signature_id, rev, signature, category, severity}, and for HTTP
// transactions the `http` object (hostname, url, http_user_agent, http_method, protocol,
// status, length) - the fields of Suricata 7's eve.json (docs.suricata.io, "Eve JSON Format").
#include <cstdint>
#include <string>
#include <string_view>

#include "inspector.hpp"

namespace secengine::host {

/// What the caller adds to an alert for its record.
struct eve_context {
    std::int64_t sec = 0, usec = 0;
    std::uint64_t pcap_cnt = 0;
    std::string_view category;   ///< classtype description ("Web Application Attack"), may be empty
    bool blocked = false;        ///< the rule dropped the packet (action "blocked"), else "allowed"
    std::string_view host;       ///< sensor name for the `host` field (empty: field left out)
};

/// The EVE line (no trailing newline).
std::string eve_alert_line(const rule_alert& a, const eve_context& c);

/// Suricata's flow_id is a 51-bit-safe integer per flow; ours is stable per flow and capture.
std::uint64_t eve_flow_id(std::uint64_t flow);

}  // namespace secengine::host
