// Telemetry as text, JSON, EVE and Prometheus (telemetry_view.hpp).
#include "telemetry_view.hpp"

#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>

#include <secengine/net/parse_error.hpp>
#include <secengine/verdict.hpp>

#include "address_text.hpp"
#include "eve_engine_alert.hpp"
#include "eve_injection.hpp"
#include "eve_fields.hpp"

namespace secctl {

namespace {

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
    char b[512];
    va_list ap;
    va_start(ap, f);
    std::vsnprintf(b, sizeof b, f, ap);
    va_end(ap);
    return b;
}

/// Packets per verdict: [0] passed, [i] dropped for reason i.
std::uint64_t verdict_count(const wire::stats& s, std::size_t i) {
    if (i == 0) return s.passed;
    return i < s.dropped.count ? s.dropped.items[i] : 0;
}
std::size_t verdict_slots(const wire::stats& s) { return s.dropped.count > 1 ? s.dropped.count : 1; }

}  // namespace

void telemetry::take(const wire::header& h, std::span<const std::byte> p) {
    switch (h.type) {
        case wire::msg_type::stats: {
            wire::stats s;
            if (wire::decode_payload(p, s) == wire::wire_error::none) {
                last = s;
                ++stats_seen;
            }
            break;
        }
        case wire::msg_type::dpi_hits: {
            wire::dpi_hits d;
            if (wire::decode_payload(p, d) == wire::wire_error::none) {
                hits.assign(d.entries.items.begin(), d.entries.items.begin() + d.entries.count);
                ++hits_seen;
            }
            break;
        }
        case wire::msg_type::map_counters: {
            wire::map_counters m;
            if (wire::decode_payload(p, m) == wire::wire_error::none) {
                counters.assign(m.counters.items.begin(), m.counters.items.begin() + m.counters.count);
                ebpf_runs = m.runs;
            }
            break;
        }
        case wire::msg_type::alert: {
            wire::alert a;
            if (wire::decode_payload(p, a) == wire::wire_error::none) alerts.push_back(a);
            break;
        }
        default: break;
    }
}

std::string reason_name(std::size_t i) {
    if (i == 0) return "forwarded";
    if (i < secengine::drop_reason_count) return std::string(secengine::name(static_cast<secengine::drop_reason>(i)));
    return "reason_" + std::to_string(i);
}

std::string stats_json(const wire::stats& s) {
    std::string o = fmt("{\"rx_packets\":%" PRIu64 ",\"rx_bytes\":%" PRIu64 ",\"untracked\":%" PRIu64, s.received,
                        s.received_bytes, s.untracked);
    for (std::size_t i = 0; i < verdict_slots(s); ++i) o += fmt(",\"%s\":%" PRIu64, reason_name(i).c_str(), verdict_count(s, i));
    o += fmt(",\"pps\":%u,\"bps\":%" PRIu64 ",\"active_flows\":%u,\"penalty_size\":%u,\"insns_per_packet\":%u,"
             "\"alerts_suppressed\":%u,\"config_version\":%u",
             s.pps, s.bps, s.active_flows, s.penalty_size, s.insns_per_packet, s.alerts_suppressed, s.config_version);
    o += ",\"rejected\":{";
    for (std::size_t i = 0; i < s.rejected.count; ++i)
        o += fmt("%s\"%s\":%u", i ? "," : "",
                 i == 0 ? "accepted" : std::string(wire::name(static_cast<wire::wire_error>(i))).c_str(), s.rejected.items[i]);
    o += "},\"heavy_hitters\":[";
    for (std::size_t i = 0; i < s.heavy_hitters.count; ++i)
        o += fmt("%s{\"source\":\"%s\",\"estimate\":%u}", i ? "," : "",
                 secengine::host::source_key_text(s.heavy_hitters.items[i].source_key).c_str(), s.heavy_hitters.items[i].estimate);
    return o + "]}";
}

std::string stats_text(const wire::stats& s) {
    std::string o = fmt("rx %" PRIu64 " packets %" PRIu64 " bytes, %u pps, %" PRIu64 " bps, flows %u, banned %u, insns/pkt %u\n",
                        s.received, s.received_bytes, s.pps, s.bps, s.active_flows, s.penalty_size, s.insns_per_packet);
    for (std::size_t i = 0; i < verdict_slots(s); ++i)
        if (i == 0 || verdict_count(s, i) != 0) o += fmt("  %-16s %" PRIu64 "\n", reason_name(i).c_str(), verdict_count(s, i));
    return o;
}

std::int64_t wall_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string alert_text(const wire::alert& a, std::int64_t us) {
    using secengine::host::address_text;
    const secengine::alert_event e = wire::to_alert_event(a);
    const auto d = secengine::host::describe(e);
    std::string o = fmt("%s alert %s \"%s\" stage %u %s:%u -> %s:%u proto %u detail %u suppressed %u",
               secengine::host::eve_timestamp(us / 1'000'000, us % 1'000'000).c_str(), std::string(secengine::name(a.why())).c_str(),
               d.signature.c_str(), a.stage, address_text(a.src, a.ip_version).c_str(), a.sport,
               address_text(a.dst, a.ip_version).c_str(), a.dport, a.ip_proto, a.detail, a.suppressed);
    if (secengine::host::injection_fields f; secengine::host::injection_of(e, f)) o += " " + secengine::host::injection_text(f);
    return o;
}

std::string sensor_name(const std::string& configured, const std::string& appliance) {
    return configured.empty() ? "secengine@" + appliance : configured;
}

std::string alert_eve(const wire::alert& a, std::int64_t us, const std::string& sensor) {
    secengine::host::eve_alert_context c;
    c.sec = us / 1'000'000;
    c.usec = us % 1'000'000;
    c.suppressed_before = a.suppressed;
    c.host = sensor;
    c.appliance_ticks = a.timestamp;
    return secengine::host::eve_engine_alert(wire::to_alert_event(a), c);
}

std::string watch_text(const telemetry& t, const std::string& appliance, std::uint64_t boot, double age_s,
                       double stale_after_s) {
    using secengine::host::address_text;
    const wire::stats& s = *t.last;
    std::string o;
    if (age_s > stale_after_s)
        o = fmt("OFFLINE: no stats for %.0f s; everything below is from then\n", age_s);
    o += fmt("secengine %s  boot %016" PRIx64 "  config v%u\n", appliance.c_str(), boot, s.config_version);
    o += stats_text(s);
    o += fmt("control: accepted %u", s.rejected.count ? s.rejected.items[0] : 0);
    for (std::size_t i = 1; i < s.rejected.count; ++i)
        if (s.rejected.items[i]) o += fmt(", %s %u", std::string(wire::name(static_cast<wire::wire_error>(i))).c_str(), s.rejected.items[i]);
    o += "\nheavy hitters:";
    for (std::size_t i = 0; i < s.heavy_hitters.count; ++i)
        o += fmt(" %s(%u)", secengine::host::source_key_text(s.heavy_hitters.items[i].source_key).c_str(), s.heavy_hitters.items[i].estimate);
    o += "\nDPI hits:";
    for (const auto& h : t.hits)
        if (h.hits) o += fmt(" %u:%u", h.id, h.hits);
    o += fmt("\neBPF: %" PRIu64 " runs", t.ebpf_runs);
    for (const auto& c : t.counters)
        if (c.value) o += fmt(" map%u[%u]=%" PRIu64, c.map_id, c.key, c.value);
    o += fmt("\nlast alerts (suppressed total %u):\n", s.alerts_suppressed);
    const std::size_t from = t.alerts.size() > 8 ? t.alerts.size() - 8 : 0;
    for (std::size_t i = from; i < t.alerts.size(); ++i) {
        const auto& a = t.alerts[i];
        o += fmt("  %-14s %s:%u -> %s:%u detail %u\n", std::string(secengine::name(a.why())).c_str(),
                 address_text(a.src, a.ip_version).c_str(), a.sport, address_text(a.dst, a.ip_version).c_str(), a.dport, a.detail);
    }
    return o;
}

double stale_after(std::uint32_t interval_ms) {
    const double three = 3.0 * interval_ms / 1000.0;
    return three > 2.0 ? three : 2.0;
}

std::string prometheus(const telemetry& t, std::uint64_t boot, const liveness& l) {
    std::string o;
    auto metric = [&o](const char* name, const char* type, const char* help) {
        o += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    };
    const bool up = l.up() && t.last.has_value();
    metric("secengine_up", "gauge", "1 while the appliance answers keep-alives and its stats are current, else 0.");
    o += std::string("secengine_up ") + (up ? "1" : "0") + "\n";
    if (l.telemetry_age_s >= 0) {
        metric("secengine_telemetry_age_seconds", "gauge", "Seconds since the latest stats message arrived.");
        o += fmt("secengine_telemetry_age_seconds %.3f\n", l.telemetry_age_s);
    }
    if (!up) return o;  // no frozen counters: a scrape of a gone appliance has no samples but these
    metric("secengine_boot_info", "gauge", "The appliance's current boot id (label); always 1.");
    o += fmt("secengine_boot_info{boot_id=\"%016" PRIx64 "\"} 1\n", boot);
    const wire::stats& s = *t.last;
    metric("secengine_rx_packets_total", "counter", "Frames received on the data path.");
    o += "secengine_rx_packets_total " + std::to_string(s.received) + "\n";
    metric("secengine_rx_bytes_total", "counter", "Bytes received on the data path.");
    o += "secengine_rx_bytes_total " + std::to_string(s.received_bytes) + "\n";
    metric("secengine_packets_total", "counter", "Packets by verdict: forwarded, or the drop reason.");
    for (std::size_t i = 0; i < verdict_slots(s); ++i)
        o += "secengine_packets_total{verdict=\"" + reason_name(i) + "\"} " + std::to_string(verdict_count(s, i)) + "\n";
    metric("secengine_parse_errors_total", "counter", "Malformed frames by parse error.");
    for (std::size_t i = 1; i < s.parse_errors.count; ++i)
        o += "secengine_parse_errors_total{error=\"" +
             (i < static_cast<std::size_t>(secengine::net::parse_error::count_)
                  ? std::string(secengine::net::name(static_cast<secengine::net::parse_error>(i)))
                  : std::to_string(i)) +
             "\"} " + std::to_string(s.parse_errors.items[i]) + "\n";
    metric("secengine_packets_per_second", "gauge", "Packets per second over the last telemetry interval.");
    o += "secengine_packets_per_second " + std::to_string(s.pps) + "\n";
    // Prometheus base units (promtool: bytes, not bits): the appliance's bit rate / 8.
    metric("secengine_bytes_per_second", "gauge", "Bytes per second over the last telemetry interval.");
    o += fmt("secengine_bytes_per_second %.3f\n", static_cast<double>(s.bps) / 8.0);
    metric("secengine_active_flows", "gauge", "Flow table entries in use.");
    o += "secengine_active_flows " + std::to_string(s.active_flows) + "\n";
    metric("secengine_penalty_box_size", "gauge", "Sources currently banned.");
    o += "secengine_penalty_box_size " + std::to_string(s.penalty_size) + "\n";
    metric("secengine_insns_per_packet", "gauge", "Mean guest instructions per packet (exact under -icount).");
    o += "secengine_insns_per_packet " + std::to_string(s.insns_per_packet) + "\n";
    metric("secengine_alerts_suppressed_total", "counter", "Alerts dropped by the rate limiter.");
    o += "secengine_alerts_suppressed_total " + std::to_string(s.alerts_suppressed) + "\n";
    metric("secengine_control_datagrams_total", "counter", "Control datagrams: accepted, or refused by error.");
    for (std::size_t i = 0; i < s.rejected.count; ++i)
        o += "secengine_control_datagrams_total{result=\"" +
             (i == 0 ? std::string("accepted") : std::string(wire::name(static_cast<wire::wire_error>(i)))) + "\"} " +
             std::to_string(s.rejected.items[i]) + "\n";
    metric("secengine_config_version", "gauge", "Configuration version.");
    o += "secengine_config_version " + std::to_string(s.config_version) + "\n";
    metric("secengine_heavy_hitter_estimate", "gauge", "Count-min sketch estimate of heavy-hitter candidates.");
    for (std::size_t i = 0; i < s.heavy_hitters.count; ++i)
        o += "secengine_heavy_hitter_estimate{source=\"" + secengine::host::source_key_text(s.heavy_hitters.items[i].source_key) + "\"} " +
             std::to_string(s.heavy_hitters.items[i].estimate) + "\n";
    metric("secengine_dpi_signature_hits_total", "counter", "Hits per DPI signature.");
    for (const auto& h : t.hits)
        o += "secengine_dpi_signature_hits_total{signature_id=\"" + std::to_string(h.id) + "\"} " + std::to_string(h.hits) + "\n";
    // A map slot is whatever the program stores (a count, a byte total, a flag): a gauge, and
    // so not named like a counter (promtool: "counter metrics should have _total suffix").
    metric("secengine_ebpf_map_value", "gauge", "u64 slots of the eBPF program's array maps.");
    for (const auto& c : t.counters)
        o += "secengine_ebpf_map_value{map=\"" + std::to_string(c.map_id) + "\",key=\"" + std::to_string(c.key) + "\"} " +
             std::to_string(c.value) + "\n";
    metric("secengine_ebpf_runs_total", "counter", "eBPF program invocations.");
    o += "secengine_ebpf_runs_total " + std::to_string(t.ebpf_runs) + "\n";
    return o;
}

}  // namespace secctl
