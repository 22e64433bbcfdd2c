#include "eve_rule_alert.hpp"

#include "eve_fields.hpp"
#include "eve_injection.hpp"
#include "http_sessions.hpp"
#include "json_text.hpp"

namespace secengine::host {

std::uint64_t eve_flow_id(std::uint64_t flow) {
    // SplitMix64 of the flow's number: distinct per flow, repeatable per capture, JSON-safe.
    std::uint64_t z = flow + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return z & ((std::uint64_t{1} << 51) - 1);
}


std::string eve_alert_line(const rule_alert& a, const eve_context& c) {
    const net::packet_view& p = *a.packet;
    std::string o = "{\"timestamp\":\"" + eve_timestamp(c.sec, c.usec) + "\"";
    o += ",\"flow_id\":" + std::to_string(eve_flow_id(a.flow_id));
    o += ",\"pcap_cnt\":" + std::to_string(c.pcap_cnt) + ",\"event_type\":\"alert\"";
    if (!c.host.empty()) o += ",\"host\":" + json_string(c.host);
    const bool ports = p.is_tcp() || p.is_udp();
    o += ",\"src_ip\":" + json_string(packet_address_text(p, true));
    if (ports) o += ",\"src_port\":" + std::to_string(p.sport);
    o += ",\"dest_ip\":" + json_string(packet_address_text(p, false));
    if (ports) o += ",\"dest_port\":" + std::to_string(p.dport);
    const auto pn = proto_name(p.ip_proto);
    o += ",\"proto\":\"" + (pn.empty() ? std::to_string(p.ip_proto) : std::string(pn)) + "\"";
    if (a.app == rules::app_protocol::http) o += ",\"tx_id\":" + std::to_string(a.tx_id);
    o += std::string(",\"direction\":\"") + (a.to_server ? "to_server" : "to_client") + "\"";
    o += ",\"alert\":{\"action\":\"" + std::string(c.blocked ? "blocked" : "allowed") + "\"";
    o += ",\"gid\":" + std::to_string(a.gid) + ",\"signature_id\":" + std::to_string(a.sid) + ",\"rev\":" + std::to_string(a.rev);
    o += ",\"signature\":" + json_string(a.msg) + ",\"category\":" + json_string(c.category);
    o += ",\"severity\":" + std::to_string(a.priority);
    if (a.has_finding) {  // the injection detector: where, which parameter, the token fingerprint
        o += ",\"metadata\":{" + eve_injection_metadata(injection_of(a.finding)) + "}";
    }
    o += "}";
    switch (a.app) {
        case rules::app_protocol::http: o += ",\"app_proto\":\"http\""; break;
        case rules::app_protocol::dns: o += ",\"app_proto\":\"dns\""; break;
        default: break;
    }
    if (a.has_http) {
        const alert_http& h = a.http;
        o += ",\"http\":{";
        std::string inner;
        auto field = [&](const char* name, const std::string& v) {
            if (v.empty()) return;
            inner += std::string(inner.empty() ? "" : ",") + "\"" + name + "\":" + json_string(v);
        };
        field("hostname", h.hostname);
        field("url", h.url);
        field("http_user_agent", h.user_agent);
        field("http_content_type", h.content_type);
        field("http_method", h.method);
        field("protocol", h.protocol);
        if (!h.status.empty()) inner += std::string(inner.empty() ? "" : ",") + "\"status\":" + h.status;
        if (!h.status.empty()) inner += ",\"length\":" + std::to_string(h.length);
        o += inner + "}";
    }
    return o + "}";
}

}  // namespace secengine::host
