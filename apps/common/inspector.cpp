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

constexpr std::size_t stream_depth = 16384;  // bytes of each direction kept for stream matching
constexpr std::uint8_t tcp_fin = 0x01, tcp_syn = 0x02, tcp_rst = 0x04, tcp_ack = 0x10;

std::array<std::uint8_t, 16> address_of(const net::packet_view& p, bool source) {
    if (p.l3 == net::l3_kind::ipv4) return rules::ipv4_address(source ? p.src4 : p.dst4);
    std::array<std::uint8_t, 16> a{};
    const auto s = source ? p.src6() : p.dst6();
    for (std::size_t i = 0; i < 16; ++i) a[i] = static_cast<std::uint8_t>(s[i]);
    return a;
}

constexpr std::array<std::string_view, 10> request_methods{"GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ",
                                                            "PATCH ", "TRACE ", "CONNECT ", "PROPFIND "};

// HTTP by content on any port (Suricata's protocol detection): a request method and a space.
enum class detection { http, other, undecided };
detection detect_http(std::string_view first) {
    bool prefix = false;
    for (auto m : request_methods) {
        if (first.size() >= m.size() && first.substr(0, m.size()) == m) return detection::http;
        if (first.size() < m.size() && m.substr(0, first.size()) == first) prefix = true;
    }
    return prefix ? detection::undecided : detection::other;
}

std::string text_of(const http::buffer_set& b, http::buffer id) {
    const auto s = b.get(id);
    return {reinterpret_cast<const char*>(s.data()), s.size()};
}

}  // namespace

// One flow: endpoints, handshake, application state, flowbits, verdict.
struct inspector::flow {
    std::uint64_t id = 0;
    std::array<std::uint8_t, 16> client{};
    std::uint16_t client_port = 0;
    bool syn = false, syn_ack = false, established = false, seen_client = false, seen_server = false;
    bool dropped = false, passed = false;
    rules::app_protocol app = rules::app_protocol::none;
    detection http_state = detection::undecided;
    std::string pending;  // the client's first bytes while they may still start a request
    std::vector<std::uint64_t> flowbits;
    // TCP payload of each direction in arrival order (up to stream_depth bytes): content rules
    // without a buffer match across segments, as Suricata's raw stream inspection does.
    std::array<std::string, 2> stream;
    std::array<std::vector<std::uint32_t>, 2> stream_alerted;  // sids already reported on a direction's stream

    // HTTP: one parser and one buffer builder per direction; a finished message is inspected
    // at once (before a pipelined next one reuses the buffers), in the packet that finished it.
    // Like Suricata's progressive inspection, a transaction is inspected as it progresses -
    // start line complete (rules on the URI, method, status), header section complete, message
    // complete (rules that need the body) - once per packet with everything that packet made
    // available, so two rules decided by the same packet are both reported; a sid alerts once
    // per transaction.
    struct sink : host_message_buffers {
        std::function<void(const sink&, bool complete)>* on_message = nullptr;
        std::vector<std::uint32_t> alerted;  // sids reported for the transaction in progress
        int pending = 0;                     // 0 nothing new, 1 start line, 2 headers, 3 complete
        explicit sink(bool response) : host_message_buffers(response) {}
        void flush() {
            if (pending != 0 && on_message != nullptr && *on_message) (*on_message)(*this, pending == 3);
            pending = 0;
        }
        void message_begin() {
            flush();  // a pipelined message: the previous one is inspected before its buffers go
            host_message_buffers::message_begin();
            alerted.clear();
        }
        void end(http::part p, http::header_id h) {
            host_message_buffers::end(p, h);
            if (start_line_ready() && pending < 1) pending = 1;
        }
        void headers_complete() {
            host_message_buffers::headers_complete();
            if (pending < 2) pending = 2;
        }
        void message_complete() {
            host_message_buffers::message_complete();
            pending = 3;
        }
    };
    std::function<void(const sink&, bool)> on_message;
    http::parser_state request = http::parser_state::for_requests(), response = http::parser_state::for_responses();
    http::pairing pair;
    std::unique_ptr<sink> to_server, to_client;
    std::uint64_t requests = 0, responses = 0;
    alert_http last_request;  // for alerts on the response of the same transaction
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

inspector::inspector(const rules::db_view& db, callback on_alert) : db_(db), on_alert_(std::move(on_alert)) {
    candidates_.resize(std::max<std::size_t>(256, std::size_t{db.rule_count()} + db.always_count() + 16));
}
inspector::~inspector() = default;

bool inspector::evaluate(flow& f, const rules::packet_context& ctx, const net::packet_view& p, std::uint64_t now_ms,
                         const alert_http* http, std::uint64_t tx, std::vector<std::uint32_t>* once) {
    ++stats_.units;
    rules::eval_state st;
    st.flowbits = f.flowbits;
    st.thresholds = &thresholds_;
    st.candidates = candidates_;
    bool drop = false;
    const rules::eval_result r = rules::evaluate(db_, ctx, st, now_ms, [&](const rules::alert_info& a) {
        // As Suricata reports: a pass match is not an alert.
        if (a.act == rules::action::pass) return;
        if (once != nullptr) {
            if (std::find(once->begin(), once->end(), a.sid) != once->end()) return;
            once->push_back(a.sid);
        }
        rule_alert out;
        out.flow_id = f.id;
        out.sid = a.sid;
        out.gid = a.gid;
        out.rev = a.rev;
        out.act = a.act;
        out.priority = a.priority;
        out.msg = db_.msg(a.rule);
        out.classtype = db_.classtype(a.rule);
        out.to_server = ctx.to_server;
        out.app = ctx.app;
        out.packet = &p;
        out.tx_id = tx;
        if (http != nullptr) {
            out.has_http = true;
            out.http = *http;
        }
        if (a.act == rules::action::drop || a.act == rules::action::reject) drop = true;
        ++stats_.alerts;
        on_alert_(out);
    });
    if (r.overflow) ++stats_.candidate_overflows;
    if (r.passed) {
        f.passed = true;
        ++stats_.passed_flows;
    }
    return drop;
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
    if (it == flows_.end()) {
        auto f = std::make_unique<flow>();
        f->id = next_flow_++;
        const bool syn_ack = p.is_tcp() && (p.tcp_flags & (tcp_syn | tcp_ack)) == (tcp_syn | tcp_ack);
        f->client = syn_ack ? dst : src;
        f->client_port = syn_ack ? dp : sp;
        f->flowbits.assign((std::size_t{db_.flowbit_count()} + 63) / 64, 0);
        it = flows_.emplace(k, std::move(f)).first;
        ++stats_.flows;
    }
    flow& f = *it->second;
    const bool to_server = src == f.client && sp == f.client_port;
    if (f.dropped) {
        ++stats_.dropped_packets;
        return false;
    }
    if (f.passed) return true;

    // Handshake / both-ways state, before the packet is inspected.
    if (p.is_tcp()) {
        if ((p.tcp_flags & (tcp_syn | tcp_ack)) == tcp_syn && to_server) f.syn = true;
        else if ((p.tcp_flags & (tcp_syn | tcp_ack)) == (tcp_syn | tcp_ack) && !to_server) f.syn_ack = true;
        else if ((p.tcp_flags & tcp_ack) != 0 && to_server && f.syn && f.syn_ack) f.established = true;
    } else {
        (to_server ? f.seen_client : f.seen_server) = true;
        if (f.seen_client && f.seen_server) f.established = true;
    }

    rules::packet_context ctx;
    ctx.ip_proto = p.ip_proto;
    ctx.src = src;
    ctx.dst = dst;
    ctx.sport = sp;
    ctx.dport = dp;
    ctx.has_ports = ports;
    ctx.to_server = to_server;
    ctx.established = f.established;
    const auto payload = p.payload();
    ctx.dsize = static_cast<std::uint32_t>(payload.size());

    // Application layer: HTTP by content over TCP, DNS by port.
    std::span<const std::byte> http_data = payload;
    if (p.is_tcp() && !payload.empty() && f.http_state == detection::undecided && to_server) {
        f.pending.append(reinterpret_cast<const char*>(payload.data()), payload.size());
        f.http_state = detect_http(f.pending);
        if (f.http_state == detection::http) {
            f.app = rules::app_protocol::http;
            f.to_server = std::make_unique<flow::sink>(false);
            f.to_client = std::make_unique<flow::sink>(true);
            f.to_server->on_message = f.to_client->on_message = &f.on_message;
            http_data = {reinterpret_cast<const std::byte*>(f.pending.data()), f.pending.size()};
        }
    }
    const bool dns_port = sp == 53 || dp == 53;
    if (dns_port && f.app == rules::app_protocol::none) f.app = rules::app_protocol::dns;
    ctx.app = f.app;

    bool drop = false;
    http::buffer_set packet_buffers;
    if (!payload.empty()) packet_buffers.set(http::buffer::payload, payload);
    ctx.buffers = &packet_buffers;
    const std::size_t dir = to_server ? 0 : 1;
    std::vector<std::uint32_t>& seen = f.stream_alerted[dir];
    const std::size_t before = seen.size();
    drop |= evaluate(f, ctx, p, now_ms, nullptr, 0, &seen);
    // The packet's matches count for the stream too; header-only rules still fire per packet.
    if (!p.is_tcp()) seen.resize(before);
    if (p.is_tcp() && !payload.empty() && !drop) {
        std::string& st = f.stream[dir];
        const bool first = st.empty();
        if (st.size() < stream_depth) st.append(reinterpret_cast<const char*>(payload.data()), std::min(payload.size(), stream_depth - st.size()));
        if (!first) {  // the stream holds more than this packet: matches across segment borders
            http::buffer_set stream_buffers;
            stream_buffers.set(http::buffer::payload, {reinterpret_cast<const std::byte*>(st.data()), st.size()});
            rules::packet_context sc = ctx;
            sc.buffers = &stream_buffers;
            sc.dsize = static_cast<std::uint32_t>(payload.size());
            drop |= evaluate(f, sc, p, now_ms, nullptr, 0, &seen);
        }
    }
    if (p.is_tcp()) {
        // Header-only rules alert on every packet: forget sids that matched without payload.
        if (payload.empty()) seen.resize(before);
    }

    f.on_message = [&](const flow::sink& s, bool complete) {
        if (f.passed || f.dropped) return;
        const bool response = s.is_response();
        const http::buffer_set& b = s.buffers();
        if (complete) ++stats_.http_messages;
        alert_http h;
        std::uint64_t tx = 0;
        if (!response) {
            h.hostname = text_of(b, http::buffer::host);
            h.url = text_of(b, http::buffer::raw_uri);
            h.user_agent = text_of(b, http::buffer::user_agent);
            h.method = text_of(b, http::buffer::method);
            h.protocol = text_of(b, http::buffer::protocol);
            f.last_request = h;
            tx = complete ? f.requests++ : f.requests;
        } else {
            h = f.last_request;
            h.status = text_of(b, http::buffer::stat_code);
            h.content_type = text_of(b, http::buffer::content_type);
            h.length = b.get(http::buffer::response_body).size();
            tx = complete ? f.responses++ : f.responses;
        }
        rules::packet_context hc = ctx;
        hc.app = rules::app_protocol::http;
        hc.to_server = !response;
        hc.buffers = &b;
        if (evaluate(f, hc, p, now_ms, &h, tx, &const_cast<flow::sink&>(s).alerted)) {
            drop = true;
            f.dropped = true;
        }
    };
    if (f.app == rules::app_protocol::http && !f.passed && !payload.empty() && f.http_state == detection::http) {
        if (to_server) http::feed(f.request, f.pair, http_data, *f.to_server);
        else http::feed(f.response, f.pair, http_data, *f.to_client);
    }
    if (f.app == rules::app_protocol::http && p.is_tcp() && f.to_server && (p.tcp_flags & (tcp_fin | tcp_rst)) != 0) {
        if ((p.tcp_flags & tcp_rst) != 0 || !to_server) http::finish(f.response, f.pair, *f.to_client);
        if ((p.tcp_flags & tcp_rst) != 0 || to_server) http::finish(f.request, f.pair, *f.to_server);
    }
    if (f.to_server) {
        f.to_server->flush();
        f.to_client->flush();
    }
    f.on_message = nullptr;

    if (f.app == rules::app_protocol::dns && !payload.empty() && !f.passed) {
        (void)dns::for_each_query(payload, p.is_tcp(), [&](const dns::query_name& q) {
            ++stats_.dns_queries;
            http::buffer_set qb;
            qb.set(http::buffer::dns_query, q.view());
            rules::packet_context dc = ctx;
            dc.buffers = &qb;
            drop |= evaluate(f, dc, p, now_ms, nullptr, 0, nullptr);
        });
    }
    if (drop) {
        f.dropped = true;
        f.on_message = nullptr;
        ++stats_.dropped_flows;
        ++stats_.dropped_packets;
        return false;
    }
    return true;
}

void inspector::finish(std::uint64_t now_ms) {
    (void)now_ms;
    flows_.clear();
}

}  // namespace secengine::host
