// Console model: one appliance's telemetry, alerts, configuration and freshness, and the
// fleet-wide top talkers (no ImGui, no I/O here).
#include "model.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "control_client.hpp"
#include "eve_engine_alert.hpp"
#include "eve_injection.hpp"
#include "eve_fields.hpp"

namespace console {

std::string format_alert(const wire::alert& a) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%-14s stage %u proto %3u %s:%u -> %s:%u detail %u",
                  std::string(secengine::name(a.why())).c_str(), a.stage, a.ip_proto, address_text(a.src).c_str(),
                  a.sport, address_text(a.dst).c_str(), a.dport, a.detail);
    return buf;
}

std::string format_alert_line(const alert_entry& e) {
    const wire::alert& a = e.a;
    const std::time_t t = static_cast<std::time_t>(e.wall_us / 1'000'000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    const secengine::alert_event ev = wire::to_alert_event(a);
    const auto sig = secengine::host::describe(ev);
    const auto pn = secengine::host::proto_name(a.ip_proto);
    const std::string proto = pn.empty() ? "proto " + std::to_string(a.ip_proto) : std::string(pn);
    char buf[320];
    std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03d  %-14s %s  %s %s:%u -> %s:%u  stage %u", tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>((e.wall_us / 1000) % 1000), std::string(secengine::name(a.why())).c_str(), sig.signature.c_str(),
                  proto.c_str(), address_text(a.src).c_str(), a.sport, address_text(a.dst).c_str(), a.dport, a.stage);
    // The injection detector's parameter and fingerprint, as secctl alerts prints them.
    if (secengine::host::injection_fields f; secengine::host::injection_of(ev, f))
        return std::string(buf) + "  " + secengine::host::injection_text(f);
    return buf;
}

std::int64_t appliance_model::wall_clock_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void appliance_model::on_config(const wire::config& c) {
    config = c;
    if (!limits_edited || !limits_form) {
        limits_form = c.current;
        limits_edited = false;
    }
}

double appliance_model::stale_after_s() const { return std::max(2.0, 3.0 * interval_ms / 1000.0); }

freshness appliance_model::fresh(double now_s) const {
    if (last_stats_s < 0) return freshness::waiting;
    return now_s - last_stats_s <= stale_after_s() ? freshness::live : freshness::stale;
}

std::string appliance_model::freshness_text(double now_s) const {
    switch (fresh(now_s)) {
        case freshness::waiting: return "waiting for telemetry";
        case freshness::live: return "live";
        default: break;
    }
    char b[96];
    std::snprintf(b, sizeof b, "OFFLINE - last telemetry %.0f s ago", now_s - last_stats_s);
    return b;
}

bool appliance_model::penalty_due(double now_s) const {
    if (fresh(now_s) != freshness::live) return false;  // a silent appliance would not answer either
    const double since = now_s - penalty_read_s;
    if (since >= 5) return true;
    return since >= 1 && last && last->penalty_size != penalty.size();
}

bool appliance_model::config_due(double now_s) const {
    // Only while it sends telemetry: a read of a silent appliance would block the UI for the
    // whole timeout (the SDN tab has a button for that case).
    return !config && fresh(now_s) == freshness::live && now_s - config_read_s >= 2;
}

std::string silence_reason(freshness f, const std::array<std::uint64_t, wire::wire_error_count>& refused_here) {
    if (f == freshness::live) return {};
    control::silence q;  // secctl's wording (apps/common/control_client.hpp)
    q.bad_mac_replies = refused_here[static_cast<std::size_t>(wire::wire_error::bad_mac)];
    return control::silence_text(q);
}

bool alert_filter::matches(const alert_entry& e) const {
    if (e.repeat && !repeats) return false;
    if (reason != 0 && e.a.reason != reason) return false;
    if (signature >= 0 &&
        (e.a.why() != secengine::drop_reason::dpi_signature || e.a.detail != static_cast<std::uint64_t>(signature)))
        return false;
    if (!source.empty() && address_text(e.a.src).rfind(source, 0) != 0) return false;
    if (!text.empty() && format_alert(e.a).find(text) == std::string::npos) return false;
    return true;
}

void appliance_model::ingest(const wire::header& h, std::span<const std::byte> payload, double now_s) {
    ++telemetry_messages;
    const telemetry t = decode_telemetry(h.type, payload);
    if (const auto* s = std::get_if<wire::stats>(&t)) on_stats(*s, now_s);
    else if (const auto* a = std::get_if<wire::alert>(&t)) on_alert(*a);
    else if (const auto* d = std::get_if<wire::dpi_hits>(&t)) {
        for (std::size_t i = 0; i < d->entries.count; ++i) signature_hits[d->entries.items[i].id] = d->entries.items[i].hits;
    } else if (const auto* m = std::get_if<wire::map_counters>(&t)) maps = *m;
    else ++decode_errors;
}

void appliance_model::on_stats(const wire::stats& s, double now_s) {
    sample x;
    x.t = now_s;
    x.pps = s.pps;
    x.bps = static_cast<double>(s.bps);
    x.flows = s.active_flows;
    if (prev_ && s.timestamp > prev_->timestamp) {
        const double dt = static_cast<double>(s.timestamp - prev_->timestamp) / s.ticks_per_second;
        for (std::size_t r = 1; r < reason_count; ++r) {
            const auto now_c = s.count(static_cast<secengine::drop_reason>(r));
            const auto was = prev_->count(static_cast<secengine::drop_reason>(r));
            x.drops_per_s[r] = now_c >= was ? static_cast<double>(now_c - was) / dt : 0.0;
        }
        // A gap: more than one and a half subscription intervals between two snapshots.
        const double intervals = dt * 1000.0 / std::max<std::uint32_t>(interval_ms, 1);
        if (intervals > 1.5) telemetry_gaps += static_cast<std::uint64_t>(std::lround(intervals)) - 1;
    }
    prev_ = s;
    prev_t_ = now_s;
    last_stats_s = now_s;
    last = s;
    series.push_back(x);
    while (series.size() > max_samples) series.pop_front();
}

void appliance_model::on_alert(const wire::alert& a) {
    alerts_suppressed_reported += a.suppressed;
    if (alerts.size() >= max_alerts) alerts.erase(alerts.begin(), alerts.begin() + max_alerts / 10);
    const std::int64_t now = wall_clock();
    const bool repeat = !dedup_.first(a, static_cast<double>(now) / 1e6);
    alert_repeats += repeat;
    alerts.push_back({a, alerts_total++, now, repeat});
}

std::vector<std::uint32_t> appliance_model::filter(const alert_filter& f) const {
    std::vector<std::uint32_t> out;
    out.reserve(alerts.size());
    for (std::size_t i = 0; i < alerts.size(); ++i)
        if (f.matches(alerts[i])) out.push_back(static_cast<std::uint32_t>(i));
    return out;
}

std::vector<wire::heavy_hitter> appliance_model::top_talkers() const {
    std::vector<wire::heavy_hitter> v;
    if (last) v.assign(last->heavy_hitters.items.begin(), last->heavy_hitters.items.begin() + last->heavy_hitters.count);
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.estimate > b.estimate; });
    return v;
}

std::vector<wire::heavy_hitter> merge_top_talkers(const std::vector<const appliance_model*>& fleet, std::size_t n) {
    std::unordered_map<std::uint64_t, std::uint64_t> sum;
    for (const auto* m : fleet)
        for (const auto& h : m->top_talkers()) sum[h.source_key] += h.estimate;
    std::vector<wire::heavy_hitter> v;
    for (const auto& [src, est] : sum)
        v.push_back({src, static_cast<std::uint32_t>(std::min<std::uint64_t>(est, 0xffffffffu))});
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
        return a.estimate != b.estimate ? a.estimate > b.estimate : a.source_key < b.source_key;
    });
    if (v.size() > n) v.resize(n);
    return v;
}

}  // namespace console
