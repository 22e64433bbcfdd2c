#include "inspector.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <string_view>

#include <secengine/dns/query.hpp>
#include <secengine/http/message_buffers.hpp>
#include <secengine/http/parser.hpp>

#include "http_sessions.hpp"

namespace secengine::host {

namespace {

constexpr std::uint8_t tcp_syn = 0x02, tcp_ack = 0x10;

std::array<std::uint8_t, 16> address_of(const net::packet_view& p, bool source) {
    if (p.l3 == net::l3_kind::ipv4) return rules::ipv4_address(source ? p.src4 : p.dst4);
    std::array<std::uint8_t, 16> a{};
    const auto s = source ? p.src6() : p.dst6();
    for (std::size_t i = 0; i < 16; ++i) a[i] = static_cast<std::uint8_t>(s[i]);
    return a;
}

std::string text_of(const http::buffer_set& b, http::buffer id) {
    const auto s = b.get(id);
    return {reinterpret_cast<const char*>(s.data()), s.size()};
}

}  // namespace

/// Message buffers lent to a session while its connection carries HTTP.
struct inspector::sink_type : host_message_buffers {
    sink_type() : host_message_buffers(false) {}
};

// One flow: who the client is, the handshake, and the library's per-connection session.
struct inspector::flow {
    std::uint64_t id = 0;
    std::array<std::uint8_t, 16> client{};
    std::uint16_t client_port = 0;
    bool syn = false, syn_ack = false, established = false, seen_client = false, seen_server = false;
    host_session session;
    std::unique_ptr<sink_type> to_server, to_client;  // lent to the session while HTTP is open
    alert_http last_request;                          // for alerts on the answer of the same transaction
};

std::size_t inspector::key_hash::operator()(const key& k) const noexcept {
    std::uint64_t h = 0xcbf29ce484222325ull ^ k.proto;
    auto mix = [&](std::uint8_t b) { h = (h ^ b) * 0x100000001b3ull; };
    for (auto b : k.a) mix(b);
    for (auto b : k.b) mix(b);
    mix(static_cast<std::uint8_t>(k.pa)), mix(static_cast<std::uint8_t>(k.pa >> 8));
    mix(static_cast<std::uint8_t>(k.pb)), mix(static_cast<std::uint8_t>(k.pb >> 8));
    return static_cast<std::size_t>(h);
}

inspector::inspector(const rules::db_view& db, callback on_alert, bool detect_injections)
    : db_(db), on_alert_(std::move(on_alert)) {
    if (detect_injections) inject_scratch_.resize(65536);
    candidates_.resize(std::max<std::size_t>(256, std::size_t{db.rule_count()} + db.always_count() + 16));
}
inspector::~inspector() = default;

std::unique_ptr<inspector::sink_type> inspector::acquire_sink() {
    if (free_sinks_.empty()) return std::make_unique<sink_type>();
    auto s = std::move(free_sinks_.back());
    free_sinks_.pop_back();
    return s;
}

void inspector::release_sink(std::unique_ptr<sink_type> s) {
    if (s && free_sinks_.size() < 64) free_sinks_.push_back(std::move(s));
}

bool inspector::process(const net::packet_view& p, std::uint64_t now_ms) {
    ++stats_.packets;
    if (!p.is_ip()) return true;
    const bool ports = p.is_tcp() || p.is_udp();
    key k;
    const auto src = address_of(p, true), dst = address_of(p, false);
    const std::uint16_t sp = ports ? p.sport : 0, dp = ports ? p.dport : 0;
    const bool src_low = std::tie(src, sp) < std::tie(dst, dp);
    k.a = src_low ? src : dst;
    k.b = src_low ? dst : src;
    k.pa = src_low ? sp : dp;
    k.pb = src_low ? dp : sp;
    k.proto = p.ip_proto;
    auto it = flows_.find(k);
    // A SYN on a connection that ended (both FINs or a RST): a new connection on the same ports,
    // inspected from scratch like the kernel, whose flow reopens with a fresh slot-6 session (the
    // old one's stream state - sequence numbers, tail - would misjudge the new stream).
    if (it != flows_.end() && p.is_tcp() && (p.tcp_flags & (tcp_syn | tcp_ack)) == tcp_syn && it->second->session.closed() &&
        !it->second->to_server) {
        const auto& c = it->second->session.stats();
        stats_.units += c.units;
        stats_.http_messages += c.http_messages;
        stats_.dns_queries += c.dns_queries;
        stats_.candidate_overflows += c.candidate_overflow;
        flows_.erase(it);
        it = flows_.end();
    }
    if (it == flows_.end()) {
        auto f = std::make_unique<flow>();
        f->id = next_flow_++;
        // The client: the first packet's sender, or the SYN-ACK's receiver when the capture starts there.
        const bool syn_ack = p.is_tcp() && (p.tcp_flags & (tcp_syn | tcp_ack)) == (tcp_syn | tcp_ack);
        f->client = syn_ack ? dst : src;
        f->client_port = syn_ack ? dp : sp;
        it = flows_.emplace(k, std::move(f)).first;
        ++stats_.flows;
    }
    flow& f = *it->second;
    const bool to_server = src == f.client && sp == f.client_port;
    // Suricata's `established`: TCP after the three-way handshake, UDP once both sides spoke.
    if (p.is_tcp()) {
        if ((p.tcp_flags & (tcp_syn | tcp_ack)) == tcp_syn && to_server) f.syn = true;
        else if ((p.tcp_flags & (tcp_syn | tcp_ack)) == (tcp_syn | tcp_ack) && !to_server) f.syn_ack = true;
        else if ((p.tcp_flags & tcp_ack) != 0 && to_server && f.syn && f.syn_ack) f.established = true;
    } else {
        (to_server ? f.seen_client : f.seen_server) = true;
        if (f.seen_client && f.seen_server) f.established = true;
    }
    if (f.session.dropped()) {
        ++stats_.dropped_packets;
        return false;
    }
    rules::packet_facts pf;
    pf.ip_proto = p.ip_proto;
    pf.src = src;
    pf.dst = dst;
    pf.sport = sp;
    pf.dport = dp;
    pf.has_ports = ports;
    pf.to_server = to_server;
    pf.established = f.established;
    pf.tcp_flags = p.is_tcp() ? p.tcp_flags : 0;
    pf.payload = p.payload();
    if (p.is_tcp()) {  // normalised like the kernel's slot 6 (rules/session.hpp)
        pf.sequenced = true;
        pf.seq = p.tcp_seq();
        pf.ack = p.tcp_ack();
    }
    const bool pass = f.session.inspect(db_, pf, &thresholds_, candidates_, inject_scratch_, now_ms, [&](const rules::session_alert& a) {
        rule_alert out;
        out.flow_id = f.id;
        out.sid = a.rule.sid;
        out.gid = a.rule.gid;
        out.rev = a.rule.rev;
        out.act = a.rule.act;
        out.priority = a.rule.priority;
        if (a.finding != nullptr) {  // the injection detector: its rule name and what it saw
            out.msg = a.finding->what.name;
            out.classtype = "web-application-attack";
            out.finding = *a.finding;
            out.has_finding = true;
        } else {
            out.msg = db_.msg(a.rule.rule);
            out.classtype = db_.classtype(a.rule.rule);
        }
        out.to_server = a.to_server;
        out.app = a.app;
        out.packet = &p;
        out.tx_id = a.tx;
        if ((a.unit == rules::unit_kind::http || a.unit == rules::unit_kind::injection) && a.buffers != nullptr) {
            const http::buffer_set& b = *a.buffers;
            out.has_http = true;
            if (a.to_server) {
                f.last_request = {text_of(b, http::buffer::host), text_of(b, http::buffer::raw_uri), text_of(b, http::buffer::user_agent),
                                  text_of(b, http::buffer::method), text_of(b, http::buffer::protocol), {}, {}, 0};
                out.http = f.last_request;
            } else {
                out.http = f.last_request;
                out.http.status = text_of(b, http::buffer::stat_code);
                out.http.content_type = text_of(b, http::buffer::content_type);
                out.http.length = b.get(http::buffer::response_body).size();
            }
        }
        ++stats_.alerts;
        on_alert_(out);
    }, [&](host_session& s) {  // HTTP found: lend message buffers before its first bytes are parsed
        f.to_server = acquire_sink();
        f.to_client = acquire_sink();
        s.attach_http(f.to_server.get(), f.to_client.get());
    });
    // Both sides closed, or dropped (its later packets are never inspected): the buffers go back.
    if ((f.session.closed() || f.session.dropped()) && f.to_server) {
        f.session.detach_http();
        release_sink(std::move(f.to_server));
        release_sink(std::move(f.to_client));
    }
    if (!pass) {
        ++stats_.dropped_packets;
        if (f.session.refusal() != rules::stream_refusal::none) ++stats_.refused[static_cast<std::size_t>(f.session.refusal())];
        else ++stats_.dropped_flows;
    }
    return pass;
}

void inspector::finish(std::uint64_t now_ms) {
    (void)now_ms;
    for (auto& [k, f] : flows_) {
        const auto& c = f->session.stats();
        stats_.units += c.units;
        stats_.http_messages += c.http_messages;
        stats_.dns_queries += c.dns_queries;
        stats_.candidate_overflows += c.candidate_overflow;
    }
    flows_.clear();
}

}  // namespace secengine::host
