#pragma once
/// \file Flow state transitions driven by TCP flags (no sequence-number tracking).
///
/// A deliberately small subset of RFC 9293's state diagram, as a middlebox sees it from both
/// sides (cf. Linux nf_conntrack_proto_tcp): SYN -> syn_sent; the responder's SYN+ACK (or any
/// ACK from it) -> established; FIN from either side -> fin_wait; a second FIN or any RST ->
/// closed; a new SYN on a closed flow reopens it. A mid-stream packet with no entry (e.g. after
/// the appliance restarted) is picked up as established ("loose pickup") only when the pipeline's
/// pickup switch is on (Config::tcp_pickup; the appliance runs with it off: such packets are
/// dropped as no_flow and make no entry, docs/stream.md). Non-TCP flows are new_flow until the responder answers, then established.
#include <cstdint>

#include <secengine/flow_entry.hpp>
#include <secengine/net/protocol.hpp>

namespace secengine {

[[nodiscard]] constexpr flow_state next_tcp_state(flow_state s, std::uint8_t flags, bool from_initiator, bool created) noexcept {
    using namespace net::tcpflag;
    if (flags & rst) return flow_state::closed;
    const bool syn_only = (flags & (syn | ack)) == syn;
    if (created) return syn_only ? flow_state::syn_sent : (flags & fin) ? flow_state::fin_wait : flow_state::established;
    if (flags & fin) return (s == flow_state::fin_wait || s == flow_state::closed) ? flow_state::closed : flow_state::fin_wait;
    switch (s) {
    case flow_state::syn_sent:
        return (!from_initiator && (flags & ack)) ? flow_state::established : flow_state::syn_sent;
    case flow_state::closed:
        return syn_only ? flow_state::syn_sent : flow_state::closed;
    case flow_state::new_flow:  // entry created by a non-TCP rule; treat like loose pickup
        return flow_state::established;
    default:
        return s;
    }
}

[[nodiscard]] constexpr flow_state next_datagram_state(flow_state s, bool from_initiator) noexcept {
    return (s == flow_state::new_flow && !from_initiator) ? flow_state::established : s;
}

static_assert(next_tcp_state(flow_state::empty, net::tcpflag::syn, true, true) == flow_state::syn_sent);
static_assert(next_tcp_state(flow_state::syn_sent, net::tcpflag::syn | net::tcpflag::ack, false, false) == flow_state::established);
static_assert(next_tcp_state(flow_state::syn_sent, net::tcpflag::ack, true, false) == flow_state::syn_sent);
static_assert(next_tcp_state(flow_state::established, net::tcpflag::fin | net::tcpflag::ack, true, false) == flow_state::fin_wait);
static_assert(next_tcp_state(flow_state::fin_wait, net::tcpflag::fin | net::tcpflag::ack, false, false) == flow_state::closed);
static_assert(next_tcp_state(flow_state::established, net::tcpflag::rst, false, false) == flow_state::closed);
static_assert(next_tcp_state(flow_state::closed, net::tcpflag::syn, true, false) == flow_state::syn_sent);
static_assert(next_tcp_state(flow_state::empty, net::tcpflag::ack, true, true) == flow_state::established);
static_assert(next_datagram_state(flow_state::new_flow, false) == flow_state::established);
static_assert(next_datagram_state(flow_state::new_flow, true) == flow_state::new_flow);

}  // namespace secengine
