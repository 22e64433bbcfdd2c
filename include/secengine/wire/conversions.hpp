#pragma once
/// \file Wire <-> engine conversions, next to the messages they convert: the control plane
/// applies `to_engine(...)` and reports `to_wire(...)`, the tools show
/// `to_wire(pipeline<...>::default_limits())` first. constexpr, so the round trips are
/// checked by the compiler (below, and in tests/wire), in the manner of CTRE's compile-time
/// tests (hanickadot/compile-time-regular-expressions).
#include <cstddef>
#include <cstdint>

#include <secengine/firewall.hpp>
#include <secengine/flow_entry.hpp>
#include <secengine/pipeline.hpp>
#include <secengine/wire/commands.hpp>

namespace secengine::wire {

/// Engine limits as sent on the wire (wire::limits mirrors engine_limits field for field).
[[nodiscard]] constexpr limits to_wire(const engine_limits& l) noexcept {
    const auto t = [&l](flow_state st) { return l.timeout_s[static_cast<std::size_t>(st)]; };
    limits w;
    w.per_source_pps = l.per_source_pps;
    w.ban_seconds = l.ban_seconds;
    w.global_rate_pps = l.global_rate_pps;
    w.global_burst = l.global_burst;
    w.timeout_new_s = t(flow_state::new_flow);
    w.timeout_syn_sent_s = t(flow_state::syn_sent);
    w.timeout_established_s = t(flow_state::established);
    w.timeout_fin_wait_s = t(flow_state::fin_wait);
    w.timeout_closed_s = t(flow_state::closed);
    return w;
}

/// Wire limits as the engine takes them; the `empty` state's timeout (unused) stays 0.
[[nodiscard]] constexpr engine_limits to_engine(const limits& w) noexcept {
    engine_limits l;
    l.per_source_pps = w.per_source_pps;
    l.ban_seconds = w.ban_seconds;
    l.global_rate_pps = w.global_rate_pps;
    l.global_burst = w.global_burst;
    const auto set = [&l](flow_state st, std::uint32_t v) { l.timeout_s[static_cast<std::size_t>(st)] = v; };
    set(flow_state::new_flow, w.timeout_new_s);
    set(flow_state::syn_sent, w.timeout_syn_sent_s);
    set(flow_state::established, w.timeout_established_s);
    set(flow_state::fin_wait, w.timeout_fin_wait_s);
    set(flow_state::closed, w.timeout_closed_s);
    return l;
}

/// A port rule's direction as the firewall takes it (`both` is the firewall's `any`).
[[nodiscard]] constexpr secengine::direction to_engine(traffic_direction d) noexcept {
    return d == traffic_direction::inbound    ? secengine::direction::inbound
           : d == traffic_direction::outbound ? secengine::direction::outbound
                                              : secengine::direction::any;
}

[[nodiscard]] constexpr traffic_direction to_wire(secengine::direction d) noexcept {
    return d == secengine::direction::inbound    ? traffic_direction::inbound
           : d == secengine::direction::outbound ? traffic_direction::outbound
                                                 : traffic_direction::both;
}

/// Whether a firewall rule is one a `port_rule` describes (what block_port creates): deny one
/// destination port, any address, TCP, UDP or any protocol.
[[nodiscard]] constexpr bool is_port_rule(const firewall_rule& r) noexcept {
    return r.action == rule_action::deny && r.dport_lo == r.dport_hi && r.dport_lo != 0 && r.src_len == 0 &&
           r.dst_len == 0 && (r.proto == 0 || r.proto == 6 || r.proto == 17);
}

/// The port rule of a firewall rule for which `is_port_rule` holds.
[[nodiscard]] constexpr port_rule to_wire(const firewall_rule& r) noexcept {
    port_rule p;
    p.protocol = static_cast<l4_protocol>(r.proto);
    p.direction = to_wire(r.dir);
    p.port = r.dport_lo;
    return p;
}

// Round trips: every wire direction, and the library's default limits.
static_assert(to_wire(to_engine(traffic_direction::inbound)) == traffic_direction::inbound);
static_assert(to_wire(to_engine(traffic_direction::outbound)) == traffic_direction::outbound);
static_assert(to_wire(to_engine(traffic_direction::both)) == traffic_direction::both);
static_assert(to_engine(to_wire(pipeline<>::default_limits())) == pipeline<>::default_limits());
static_assert(to_wire(to_engine(to_wire(pipeline<>::default_limits()))) == to_wire(pipeline<>::default_limits()));
static_assert(limits{} == to_wire(pipeline<>::default_limits()), "one set of defaults: wire::limits{} is the engine's");
static_assert(to_wire(pipeline<>::default_limits()).check() == wire_error::none,
              "the engine's default limits must be a valid set_limits message");

}  // namespace secengine::wire
