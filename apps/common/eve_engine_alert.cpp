// Engine alerts as EVE records (eve_engine_alert.hpp).
#include "eve_engine_alert.hpp"

#include <secengine/inject/detector.hpp>

#include <iterator>

#include <secengine/dpi/signatures.hpp>
#include <secengine/net/parse_error.hpp>
#include <secengine/verdict.hpp>

#include "address_text.hpp"
#include "eve_fields.hpp"
#include "eve_injection.hpp"
#include "json_text.hpp"

namespace secengine::host {

namespace {

std::string_view dpi_category(std::uint32_t id) {
    switch (id / 1000) {
        case 1: return "Web Application Attack";  // SQL injection
        case 2: return "Web Application Attack";  // XSS
        case 3: return "Attempted Information Leak";
        case 4: return "Attempted Administrator Privilege Gain";
        case 5: return "Executable code was detected";
        default: return "Potentially Bad Traffic";
    }
}

std::string_view dpi_family(std::uint32_t id) {
    switch (id / 1000) {
        case 1: return "SQL injection";
        case 2: return "XSS";
        case 3: return "path traversal / file inclusion";
        case 4: return "shell command injection";
        case 5: return "shellcode";
        default: return "signature";
    }
}

std::string_view scan_name(std::uint32_t k) {
    constexpr std::string_view n[] = {"none", "NULL scan", "Xmas scan", "SYN+FIN", "SYN+RST", "FIN without ACK"};
    return k < std::size(n) ? n[k] : std::string_view{"unknown"};
}

}  // namespace

engine_alert_text describe(const secengine::alert_event& a) {
    using secengine::drop_reason;
    const auto r = static_cast<std::uint32_t>(a.reason);
    engine_alert_text t{9'000'000 + 100 * r + (a.detail < 100 ? a.detail : 99), {}, "Potentially Bad Traffic", 2};
    const std::string base = "SECENGINE ";
    switch (a.reason) {
        case drop_reason::dpi_signature: {
            t.sid = a.detail;
            std::string pat = "?";
            for (const auto& s : secengine::dpi::default_signatures)
                if (s.id == a.detail) pat = std::string(s.bytes);
            t.signature = base + "DPI " + std::string(dpi_family(a.detail)) + " \"" + pat + "\"";
            // Slot 6's injection detector: its own rule names (inject/detector.hpp).
            for (const auto& d : secengine::inject::detector_rules)
                if (d.id == a.detail) {
                    t.signature = base + std::string(d.name);
                    t.category = "Web Application Attack";
                }
            if (a.gid == 0 || a.detail >= 1'200'000) return t;
            // A rule of an uploaded / built-in set: the sid is the operator's; the msg is in
            // `secctl rules list`.
            if (pat == "?") t.signature = base + "RULE sid " + std::to_string(a.detail);
            t.category = dpi_category(a.detail);
            t.severity = 1;
            return t;
        }
        case drop_reason::scan:
            t.signature = base + "SCAN " + std::string(scan_name(a.detail));
            t.category = "Detection of a Network Scan";
            t.severity = 3;
            return t;
        case drop_reason::heavy_hitter:
            t.sid = 9'000'000 + 100 * r;
            t.signature = base + "DOS source over the per-source rate, banned";
            t.category = "Attempted Denial of Service";
            return t;
        case drop_reason::malformed:
            t.signature = base + "MALFORMED " +
                          std::string(secengine::net::name(static_cast<secengine::net::parse_error>(a.detail)));
            t.category = "Generic Protocol Command Decode";
            t.severity = 3;
            return t;
        case drop_reason::shellcode:
            t.sid = 9'000'000 + 100 * r;
            t.signature = base + "SHELLCODE NOP sled";
            t.category = "Executable code was detected";
            t.severity = 1;
            return t;
        case drop_reason::land_attack:
            t.signature = base + "DOS land attack";
            t.category = "Attempted Denial of Service";
            return t;
        case drop_reason::ebpf:
        case drop_reason::ebpf_aborted:
            t.signature = base + "EBPF program " + (a.reason == drop_reason::ebpf ? "XDP_DROP" : "aborted");
            t.category = "Misc activity";
            t.severity = 3;
            return t;
        default:
            t.signature = base + std::string(secengine::name(a.reason));
            return t;
    }
}

std::string eve_engine_alert(const secengine::alert_event& a, const eve_alert_context& c) {
    const engine_alert_text t = describe(a);
    std::string o = "{\"timestamp\":\"" + eve_timestamp(c.sec, c.usec) + "\",\"event_type\":\"alert\"";
    if (a.ip_version != 0)
        o += ",\"flow_id\":" + std::to_string(tuple_flow_id(a.ip_version, a.ip_proto, a.src, a.sport, a.dst, a.dport));
    if (c.pcap_cnt) o += ",\"pcap_cnt\":" + std::to_string(*c.pcap_cnt);
    if (a.ip_version != 0) {
        const bool ports = a.ip_proto == 6 || a.ip_proto == 17;
        o += ",\"src_ip\":\"" + address_text(a.src, a.ip_version) + "\"";
        if (ports) o += ",\"src_port\":" + std::to_string(a.sport);
        o += ",\"dest_ip\":\"" + address_text(a.dst, a.ip_version) + "\"";
        if (ports) o += ",\"dest_port\":" + std::to_string(a.dport);
        const auto pn = proto_name(a.ip_proto);
        o += ",\"proto\":\"" + (pn.empty() ? std::to_string(a.ip_proto) : std::string(pn)) + "\"";
    }
    const bool allowed = (a.flags & secengine::alert_event::alert_only) != 0;
    o += std::string(",\"alert\":{\"action\":\"") + (allowed ? "allowed" : "blocked") + "\",\"gid\":" +
         std::to_string(a.gid != 0 ? a.gid : 1) + ",\"signature_id\":" + std::to_string(t.sid) +
         ",\"rev\":" + std::to_string(a.rev != 0 ? a.rev : 1);
    o += ",\"signature\":" + json_string(t.signature) + ",\"category\":" + json_string(t.category);
    o += ",\"severity\":" + std::to_string(t.severity);
    o += ",\"metadata\":{\"reason\":[\"" + std::string(secengine::name(a.reason)) + "\"],\"stage\":[\"" +
         std::to_string(a.stage) + "\"]";
    if (c.suppressed_before) o += ",\"suppressed_before\":[\"" + std::to_string(*c.suppressed_before) + "\"]";
    // The injection detector's finding, with the keys secreplay's EVE gives it (eve_injection.hpp).
    if (injection_fields f; injection_of(a, f)) o += "," + eve_injection_metadata(f);
    o += "}}";
    if (!c.host.empty()) o += ",\"host\":" + json_string(c.host);
    if (c.appliance_ticks) o += ",\"appliance\":{\"ticks\":" + std::to_string(*c.appliance_ticks) + "}";
    return o + "}";
}

}  // namespace secengine::host
