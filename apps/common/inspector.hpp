#pragma once
// Host detection engine: a compiled rule database (secengine/rules/) applied to a capture the way
// Suricata applies it - per flow, per direction, per packet and per application transaction.
//
// For every IP packet: the flow (5-tuple, both directions) is found or created; its client is
// the sender of the first packet (of the SYN-ACK's receiver when the capture starts there);
// `established` follows Suricata: TCP after the three-way handshake, UDP once both sides spoke.
// Then the units evaluated are
//   - the packet (buffer `payload`: the TCP/UDP payload; header-only rules see every packet),
//   - each finished HTTP message of the flow (secengine/http/: the Suricata-form buffers),
//   - each DNS query name of a UDP/TCP port-53 payload (buffer `dns.query`),
// and every matching rule is reported once per unit. A `drop`/`reject` match drops the packet
// and every later packet of the flow (reported once); a `pass` match ends the flow's inspection.
// Segments are taken in arrival order (see http_sessions.hpp for the same caveat).
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <secengine/net/packet.hpp>
#include <secengine/rules/db.hpp>
#include <secengine/rules/evaluate.hpp>
#include <secengine/inject/http_request.hpp>
#include <secengine/rules/session.hpp>
#include <secengine/rules/state.hpp>

namespace secengine::host {

/// The HTTP transaction an alert came from (EVE's `http` object).
struct alert_http {
    std::string hostname, url, user_agent, method, protocol, status, content_type;
    std::uint64_t length = 0;
};

/// One alert, with what an EVE record needs.
struct rule_alert {
    std::uint64_t flow_id = 0;
    std::uint32_t sid = 0, gid = 1, rev = 0;
    rules::action act = rules::action::alert;
    std::uint8_t priority = 3;
    std::string_view msg, classtype;
    bool to_server = true;
    rules::app_protocol app = rules::app_protocol::none;
    const net::packet_view* packet = nullptr;  ///< the packet that completed the unit
    bool has_http = false;
    alert_http http;
    std::uint64_t tx_id = 0;
    bool has_finding = false;           ///< from the injection detector (EVE alert.metadata)
    inject::request_finding finding{};
};

struct inspector_stats {
    std::uint64_t packets = 0, units = 0, alerts = 0, dropped_packets = 0, dropped_flows = 0, passed_flows = 0;
    std::uint64_t flows = 0, http_messages = 0, dns_queries = 0, candidate_overflows = 0;
    /// TCP segments refused by the normalisation, by rules::stream_refusal (the flow goes on).
    std::array<std::uint64_t, static_cast<std::size_t>(rules::stream_refusal::count_)> refused{};
};

/// The library's per-connection inspection with the host's sizes.
using host_session = rules::session<256, 8, 64>;

class inspector {
public:
    using callback = std::function<void(const rule_alert&)>;
    /// `db` must outlive the inspector (it may be empty: then only the injection detector runs).
    /// `detect_injections`: HTTP requests also go through the injection detector.
    inspector(const rules::db_view& db, callback on_alert, bool detect_injections);
    ~inspector();
    inspector(const inspector&) = delete;
    inspector& operator=(const inspector&) = delete;

    /// Inspects one parsed frame at `now_ms`; true when it passes, false when a rule dropped it.
    bool process(const net::packet_view& p, std::uint64_t now_ms);
    /// End of the capture: adds the sessions' counters to stats() and forgets every flow (a
    /// response framed by a close the capture does not contain is not inspected).
    void finish(std::uint64_t now_ms);
    [[nodiscard]] const inspector_stats& stats() const noexcept { return stats_; }

    struct flow;       // per-flow state (inspector.cpp)
    struct sink_type;  // an HTTP message-buffer sink (inspector.cpp)

private:
    struct key {
        std::array<std::uint8_t, 16> a{}, b{};
        std::uint16_t pa = 0, pb = 0;
        std::uint8_t proto = 0;
        bool operator==(const key&) const = default;
    };
    struct key_hash {
        std::size_t operator()(const key& k) const noexcept;
    };

    std::unique_ptr<sink_type> acquire_sink();
    void release_sink(std::unique_ptr<sink_type> s);

    const rules::db_view& db_;
    std::vector<std::unique_ptr<sink_type>> free_sinks_;
    callback on_alert_;
    std::unordered_map<key, std::unique_ptr<flow>, key_hash> flows_;
    rules::threshold_table<4096> thresholds_;
    std::vector<std::uint32_t> candidates_;
    std::vector<char> inject_scratch_;  // empty: no injection detection
    inspector_stats stats_;
    std::uint64_t next_flow_ = 1;
};

}  // namespace secengine::host
