#include "http_sessions.hpp"

#include <array>
#include <string_view>

#include <secengine/http/request_start.hpp>

#include "address_text.hpp"

namespace secengine::host {

std::string packet_address_text(const net::packet_view& p, bool source) {
    if (p.l3 == net::l3_kind::ipv4) return ipv4_text(source ? p.src4 : p.dst4);
    const auto s = source ? p.src6() : p.dst6();
    std::array<std::uint8_t, 16> a{};
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<std::uint8_t>(s[i]);
    return address_text(a, 6);
}

std::string endpoint_text(const net::packet_view& p, bool source) {
    const std::string port = ":" + std::to_string(source ? p.sport : p.dport);
    const std::string ip = packet_address_text(p, source);
    return p.l3 == net::l3_kind::ipv4 ? ip + port : "[" + ip + "]" + port;
}

// One connection: a parser and a buffer builder per direction.
struct http_sessions::session {
    std::uint64_t id = 0;
    endpoints ends;
    bool http = false, decided = false;
    std::string pending;  // the client's first bytes while they are still a prefix of a method
    http::parser_state request = http::parser_state::for_requests(), response = http::parser_state::for_responses();
    http::pairing pair;
    std::uint64_t requests = 0, responses = 0;

    // Forwards to the buffers and reports each finished message.
    struct sink : host_message_buffers {
        http_sessions* owner = nullptr;
        session* s = nullptr;
        explicit sink(bool response) : host_message_buffers(response) {}
        void message_complete() {
            host_message_buffers::message_complete();
            std::uint64_t& n = is_response() ? s->responses : s->requests;
            ++(is_response() ? owner->stats_.responses : owner->stats_.requests);
            owner->cb_(http_message{s->id, n++, is_response(), s->ends, buffers(), truncated()});
        }
        void report(http::anomaly a) { ++owner->stats_.anomalies[static_cast<std::size_t>(a)]; }
    };
    std::unique_ptr<sink> to_server, to_client;
};

http_sessions::http_sessions(callback cb) : cb_(std::move(cb)) {}
http_sessions::~http_sessions() = default;

void http_sessions::feed(const net::packet_view& p) {
    if (!p.is_tcp()) return;
    const std::string src = endpoint_text(p, true), dst = endpoint_text(p, false);
    const key k = src < dst ? key{src, dst} : key{dst, src};
    auto it = sessions_.find(k);
    const auto payload = p.payload();
    constexpr std::uint8_t syn = 0x02, ack = 0x10, fin = 0x01, rst = 0x04;
    if (it == sessions_.end()) {
        auto s = std::make_unique<session>();
        s->id = next_id_++;
        // The client: the sender of a SYN, else of the first payload.
        const bool syn_ack = (p.tcp_flags & (syn | ack)) == (syn | ack);
        s->ends = syn_ack ? endpoints{dst, src} : endpoints{src, dst};
        it = sessions_.emplace(k, std::move(s)).first;
    }
    session& s = *it->second;
    const bool from_client = src == s.ends.client;
    std::span<const std::byte> data = payload;
    if (!payload.empty()) {
        if (!s.decided && from_client) {
            s.pending.append(reinterpret_cast<const char*>(payload.data()), payload.size());
            const auto d = http::classify_request_start({reinterpret_cast<const std::byte*>(s.pending.data()), s.pending.size()});
            if (d == http::request_start::undecided) return;
            s.decided = true;
            s.http = d == http::request_start::http;
            data = {reinterpret_cast<const std::byte*>(s.pending.data()), s.pending.size()};
            if (s.http) {
                ++stats_.sessions;
                s.to_server = std::make_unique<session::sink>(false);
                s.to_client = std::make_unique<session::sink>(true);
                for (auto* k2 : {s.to_server.get(), s.to_client.get()}) {
                    k2->owner = this;
                    k2->s = &s;
                }
            }
        }
        if (s.http) {
            if (from_client) http::feed(s.request, s.pair, data, *s.to_server);
            else http::feed(s.response, s.pair, data, *s.to_client);
        }
    }
    if (!s.http) return;
    // FIN: that side sends no more (a response framed by the close ends now); RST: both.
    if ((p.tcp_flags & rst) != 0) {
        close(s);
    } else if ((p.tcp_flags & fin) != 0) {
        if (from_client) http::finish(s.request, s.pair, *s.to_server);
        else http::finish(s.response, s.pair, *s.to_client);
    }
}

void http_sessions::close(session& s) {
    http::finish(s.response, s.pair, *s.to_client);
    http::finish(s.request, s.pair, *s.to_server);
}

void http_sessions::finish_all() {
    for (auto& [k, s] : sessions_)
        if (s->http) close(*s);
    sessions_.clear();
}

}  // namespace secengine::host
