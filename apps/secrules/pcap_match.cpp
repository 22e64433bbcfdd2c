// secrules --pcap (see pcap_match.hpp). Each HTTP message is one inspection unit: its buffers,
// app protocol http, established, direction from the message; flowbits per connection,
// thresholds per run with the capture's time.
#include "pcap_match.hpp"

#include <pcap/pcap.h>

#include <array>
#include <cstdio>
#include <map>
#include <memory>
#include <vector>

#include <set>

#include <secengine/dns/query.hpp>
#include <secengine/net/packet.hpp>
#include <secengine/rules/evaluate.hpp>

#include "http_sessions.hpp"

namespace secrules {

using namespace secengine;

namespace {

const char* action_text(rules::action a) {
    static const char* names[] = {"pass", "drop", "reject", "alert"};
    return names[static_cast<int>(a)];
}

// "10.0.0.1:80" / "[2001:db8::1]:80" -> address and port (IPv4 only for the address here; IPv6
// endpoints keep the mapped zero address, which `any` rules still match).
void endpoint(const std::string& s, rules::address& a, std::uint16_t& port) {
    const std::size_t colon = s.rfind(':');
    port = static_cast<std::uint16_t>(std::strtoul(s.c_str() + colon + 1, nullptr, 10));
    unsigned b[4];
    if (std::sscanf(s.c_str(), "%u.%u.%u.%u:", &b[0], &b[1], &b[2], &b[3]) == 4)
        a = rules::ipv4_address(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
}

}  // namespace

int match_pcap(const rules::db_view& db, const std::string& path) {
    char err[PCAP_ERRBUF_SIZE];
    std::unique_ptr<pcap_t, void (*)(pcap_t*)> in(pcap_open_offline(path.c_str(), err), pcap_close);
    if (!in) {
        std::fprintf(stderr, "secrules: %s: %s\n", path.c_str(), err);
        return 1;
    }
    std::map<std::uint64_t, std::array<std::uint64_t, 8>> flowbits;  // per connection
    auto thresholds = std::make_unique<rules::threshold_table<4096>>();
    std::vector<std::uint32_t> scratch(db.rule_count() * 2 + 64);
    std::uint64_t now_ms = 0;
    std::size_t alerts = 0;
    host::http_sessions sessions([&](const host::http_message& m) {
        rules::packet_context p;
        p.ip_proto = 6;
        p.app = rules::app_protocol::http;
        p.established = true;
        p.to_server = !m.response;
        rules::address client{}, server{};
        std::uint16_t cport = 0, sport = 0;
        endpoint(m.ends.client, client, cport);
        endpoint(m.ends.server, server, sport);
        p.src = m.response ? server : client;
        p.dst = m.response ? client : server;
        p.sport = m.response ? sport : cport;
        p.dport = m.response ? cport : sport;
        p.buffers = &m.buffers;
        auto& bits = flowbits[m.session];
        rules::eval_state st{bits, thresholds.get(), scratch};
        (void)rules::evaluate(db, p, st, now_ms, [&](const rules::alert_info& a) {
            ++alerts;
            std::printf("alert session=%llu index=%llu direction=%s sid=%u gid=%u rev=%u action=%s\n",
                        static_cast<unsigned long long>(m.session), static_cast<unsigned long long>(m.index),
                        m.response ? "to_client" : "to_server", a.sid, a.gid, a.rev, action_text(a.act));
        });
    });
    // A DNS query over UDP: one unit per question name (dns.query), one alert per rule and packet.
    auto dns_query = [&](const net::packet_view& v) {
        std::set<std::pair<std::uint32_t, std::string>> hits;
        (void)dns::for_each_query(v.payload(), false, [&](const dns::query_name& q) {
            http::buffer_set bs;
            bs.set(http::buffer::payload, v.payload());
            bs.set(http::buffer::dns_query, q.view());
            rules::packet_context p;
            p.ip_proto = 17;
            p.app = rules::app_protocol::dns;
            p.to_server = true;
            p.src = rules::ipv4_address(v.src4);
            p.dst = rules::ipv4_address(v.dst4);
            p.sport = v.sport;
            p.dport = v.dport;
            p.buffers = &bs;
            p.dsize = v.payload_length;
            rules::eval_state st{{}, thresholds.get(), scratch};
            (void)rules::evaluate(db, p, st, now_ms, [&](const rules::alert_info& a) {
                hits.insert({a.sid, action_text(a.act)});
            });
        });
        for (const auto& [sid, act] : hits) {
            ++alerts;
            std::printf("alert dns client_port=%u direction=to_server sid=%u action=%s\n", v.sport, sid, act.c_str());
        }
    };
    pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
    while (pcap_next_ex(in.get(), &h, &data) == 1) {
        if (h->caplen < h->len) continue;
        now_ms = static_cast<std::uint64_t>(h->ts.tv_sec) * 1000u + static_cast<std::uint64_t>(h->ts.tv_usec) / 1000u;
        net::packet_view view;
        if (net::parse(std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), h->caplen), view) != net::parse_error::none)
            continue;
        sessions.feed(view);
        if (view.is_udp() && view.dport == 53 && view.l3 == net::l3_kind::ipv4) dns_query(view);
    }
    sessions.finish_all();
    std::printf("%s: %zu alerts, %llu requests, %llu responses\n", path.c_str(), alerts,
                static_cast<unsigned long long>(sessions.stats().requests), static_cast<unsigned long long>(sessions.stats().responses));
    return 0;
}

}  // namespace secrules
