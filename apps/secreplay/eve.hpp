#pragma once
// Alerts as Suricata EVE JSON records (one object per line), host side only.
//
// Shape follows Suricata's eve.json "alert" events (docs.suricata.io, "Eve JSON Format"):
// timestamp, event_type, src_ip/src_port/dest_ip/dest_port, proto, alert{action, gid,
// signature_id, rev, signature, category, severity}. Categories and severities are the ones of
// Suricata's classification.config (Snort's classtypes): 1 = high, 3 = low.
// Signature ids: DPI signatures keep their own ids (1xxx SQLi ... 5xxx shellcode, see
// dpi/signatures.hpp); engine drops use 9000000 + 100 * reason + detail (scan kind, ...).
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

#include <secengine/alert_ring.hpp>
#include <secengine/dpi/signatures.hpp>
#include <secengine/heuristics.hpp>
#include <secengine/net/parse_error.hpp>
#include <secengine/verdict.hpp>

#include "eve_fields.hpp"

namespace secreplay {

struct alert_text {
    std::uint32_t sid;
    std::string signature;
    std::string_view category;
    int severity;
};

inline std::string json_escape(std::string_view s) {
    std::string o;
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            o += '\\';
            o += static_cast<char>(c);
        } else if (c < 0x20 || c >= 0x7f) {
            char b[8];
            std::snprintf(b, sizeof b, "\\u%04x", c);
            o += b;
        } else {
            o += static_cast<char>(c);
        }
    }
    return o;
}

inline std::string_view dpi_category(std::uint32_t id) {
    switch (id / 1000) {
        case 1: return "Web Application Attack";  // SQL injection
        case 2: return "Web Application Attack";  // XSS
        case 3: return "Attempted Information Leak";
        case 4: return "Attempted Administrator Privilege Gain";
        case 5: return "Executable code was detected";
        default: return "Potentially Bad Traffic";
    }
}

inline std::string_view dpi_family(std::uint32_t id) {
    switch (id / 1000) {
        case 1: return "SQL injection";
        case 2: return "XSS";
        case 3: return "path traversal / file inclusion";
        case 4: return "shell command injection";
        case 5: return "shellcode";
        default: return "signature";
    }
}

inline std::string_view scan_name(std::uint32_t k) {
    constexpr std::string_view n[] = {"none", "NULL scan", "Xmas scan", "SYN+FIN", "SYN+RST", "FIN without ACK"};
    return k < std::size(n) ? n[k] : std::string_view{"unknown"};
}

/// Signature text, category and severity for an alert.
inline alert_text describe(const secengine::alert_event& a) {
    using secengine::drop_reason;
    const auto r = static_cast<std::uint32_t>(a.reason);
    alert_text t{9'000'000 + 100 * r + (a.detail < 100 ? a.detail : 99), {}, "Potentially Bad Traffic", 2};
    std::string base = "SECENGINE ";
    switch (a.reason) {
        case drop_reason::dpi_signature: {
            t.sid = a.detail;
            std::string pat = "?";
            for (const auto& s : secengine::dpi::default_signatures)
                if (s.id == a.detail) pat = std::string(s.bytes);
            t.signature = base + "DPI " + std::string(dpi_family(a.detail)) + " \"" + pat + "\"";
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

inline std::string ip_text(const secengine::alert_event& a, const std::array<std::uint8_t, 16>& ip) {
    char b[64];
    if (a.ip_version == 4) {
        std::snprintf(b, sizeof b, "%u.%u.%u.%u", ip[12], ip[13], ip[14], ip[15]);
        return b;
    }
    std::string o;
    for (int i = 0; i < 16; i += 2) {
        std::snprintf(b, sizeof b, "%s%x", i ? ":" : "", (ip[static_cast<std::size_t>(i)] << 8) | ip[static_cast<std::size_t>(i) + 1]);
        o += b;
    }
    return o;
}

using secengine::host::eve_timestamp;
using secengine::host::proto_name;

/// One EVE alert line (no trailing newline).
inline std::string eve_line(const secengine::alert_event& a, std::int64_t sec, std::int64_t usec, std::uint64_t pcap_cnt) {
    const alert_text t = describe(a);
    std::string o = "{\"timestamp\":\"" + eve_timestamp(sec, usec) + "\",\"event_type\":\"alert\"";
    o += ",\"pcap_cnt\":" + std::to_string(pcap_cnt);
    if (a.ip_version != 0) {
        o += ",\"src_ip\":\"" + ip_text(a, a.src) + "\"";
        if (a.ip_proto == 6 || a.ip_proto == 17) o += ",\"src_port\":" + std::to_string(a.sport);
        o += ",\"dest_ip\":\"" + ip_text(a, a.dst) + "\"";
        if (a.ip_proto == 6 || a.ip_proto == 17) o += ",\"dest_port\":" + std::to_string(a.dport);
        const auto pn = proto_name(a.ip_proto);
        o += ",\"proto\":\"" + (pn.empty() ? std::to_string(a.ip_proto) : std::string(pn)) + "\"";
    }
    o += ",\"alert\":{\"action\":\"blocked\",\"gid\":1,\"signature_id\":" + std::to_string(t.sid) + ",\"rev\":1";
    o += ",\"signature\":\"" + json_escape(t.signature) + "\",\"category\":\"" + json_escape(t.category) + "\"";
    o += ",\"severity\":" + std::to_string(t.severity);
    o += ",\"metadata\":{\"reason\":[\"" + std::string(secengine::name(a.reason)) + "\"],\"stage\":[\"" +
         std::to_string(a.stage) + "\"]}}}";
    return o;
}

}  // namespace secreplay
