// Console views, the dashboard tab: freshness (stale numbers greyed out), counters, charts, the
// penalty box and the alert log (clipped with ImGuiListClipper so 100,000 entries cost only the
// visible rows).
#include "view_tabs.hpp"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cstdio>

#include <secengine/verdict.hpp>

#include "view_widgets.hpp"

namespace console::view {

void draw_dashboard(app& a, node& n, double now_s) {
    auto& m = n.model;
    const auto& st = m.last;
    freshness_label(m, now_s);
    ImGui::SameLine();
    ImGui::Text("%s  boot %016llx  config v%u", n.link ? n.link->describe_endpoint().c_str() : n.link_error.c_str(),
                static_cast<unsigned long long>(n.link ? n.link->boot_id() : 0), st ? st->config_version : 0);
    // Stale numbers are shown greyed out (with their age above), never as if they were live.
    if (n.link && m.fresh(now_s) != freshness::live)
        ImGui::TextColored(ImVec4(1, 0.6f, 0.3f, 1), "%s", silence_reason(m.fresh(now_s), n.link->refused()).c_str());
    const bool stale = m.fresh(now_s) == freshness::stale;
    if (stale) ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    if (st) {
        ImGui::Text("rx %s packets  %s bytes  passed %s   pps %s   bps %s   active flows %u   banned %u   insns/pkt %u",
                    si(static_cast<double>(st->received)).c_str(), si(static_cast<double>(st->received_bytes)).c_str(),
                    si(static_cast<double>(st->passed)).c_str(),
                    si(st->pps).c_str(), si(static_cast<double>(st->bps)).c_str(), st->active_flows, st->penalty_size,
                    st->insns_per_packet);
    } else {
        ImGui::TextDisabled("no telemetry yet (subscribe in the SDN tab, or wait for the appliance)");
    }
    // Telemetry health: gaps, rejected datagrams on both ends, suppressed alerts.
    std::uint64_t rejected_here = 0;
    if (n.link)
        for (auto v : n.link->refused()) rejected_here += v;
    std::uint64_t rejected_there = 0;
    if (st)
        for (std::size_t i = 1; i < st->rejected.count; ++i) rejected_there += st->rejected.items[i];
    ImGui::Text("telemetry: %llu messages, %llu gaps, %llu undecodable | rejected datagrams: %llu here, %llu at appliance"
                " | alerts suppressed %u",
                static_cast<unsigned long long>(m.telemetry_messages), static_cast<unsigned long long>(m.telemetry_gaps),
                static_cast<unsigned long long>(m.decode_errors), static_cast<unsigned long long>(rejected_here),
                static_cast<unsigned long long>(rejected_there), st ? st->alerts_suppressed : 0);
    if (st && rejected_there && ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        for (std::size_t i = 1; i < st->rejected.count; ++i)
            if (st->rejected.items[i])
                ImGui::Text("%s: %u", std::string(wire::name(static_cast<wire::wire_error>(i))).c_str(), st->rejected.items[i]);
        ImGui::EndTooltip();
    }

    const float h = std::max(90.0f, ImGui::GetContentRegionAvail().y * 0.18f);
    if (ImGui::BeginTable("charts", 2, ImGuiTableFlags_Resizable)) {
        ImGui::TableNextColumn();
        line_chart("packets/s", m.series, 1, [](const sample& s, std::size_t) { return s.pps; }, h, "pps");
        line_chart("bits/s", m.series, 1, [](const sample& s, std::size_t) { return s.bps; }, h, "bps");
        ImGui::TableNextColumn();
        line_chart("drops/s by reason", m.series, reason_count,
                   [](const sample& s, std::size_t r) { return r == 0 ? 0.0 : s.drops_per_s[r]; }, h, "/s");
        line_chart("active flows", m.series, 1, [](const sample& s, std::size_t) { return double(s.flows); }, h, "");
        ImGui::EndTable();
    }

    // Bounded height with its own scrolling, so long lists never push the alert log off screen.
    const float panels_h = std::max(120.0f, ImGui::GetContentRegionAvail().y * 0.42f);
    if (ImGui::BeginTable("panels", 3, ImGuiTableFlags_Resizable | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY,
                          ImVec2(0, panels_h))) {
        ImGui::TableNextColumn();
        ImGui::TextUnformatted("Top talkers (sketch candidates)");
        for (const auto& t : m.top_talkers()) ImGui::Text("%-15s %10u", source_key_text(t.source_key).c_str(), t.estimate);
        ImGui::Separator();
        ImGui::TextUnformatted("Drops by reason (total)");
        if (st)
            for (std::size_t r = 1; r < st->dropped.count && r < reason_count; ++r)
                if (st->dropped.items[r]) {
                    ImGui::TextColored(ImColor(reason_colour(r)), "%-15s %12llu",
                                       std::string(secengine::name(static_cast<secengine::drop_reason>(r))).c_str(),
                                       static_cast<unsigned long long>(st->dropped.items[r]));
                }
        ImGui::TableNextColumn();
        std::size_t silent = 0;
        for (const auto& [id, hits] : m.signature_hits) silent += hits == 0;
        ImGui::Text("Signature hits (%zu signatures without hits not listed)", silent);
        for (const auto& [id, hits] : m.signature_hits)
            if (hits) ImGui::Text("sid %-8u %10u", id, hits);
        ImGui::TableNextColumn();
        // The list is re-read by itself (app::poll, penalty_due); its age is shown, and the
        // stats' own count next to it, so the two numbers can be told apart when they differ.
        if (m.penalty_read_s > -1e8)
            ImGui::Text("Penalty box (%zu listed, read %.0f s ago%s)", m.penalty.size(), now_s - m.penalty_read_s,
                        st && st->penalty_size != m.penalty.size() ? ", stats differ: refreshing" : "");
        else
            ImGui::Text("Penalty box (not read yet)");
        ImGui::SameLine();
        if (ImGui::SmallButton("refresh") && n.link) {
            controller(*n.link, m).refresh_penalty();
            m.penalty_read_s = now_s;
        }
        for (const auto& e : m.penalty) {
            ImGui::PushID(static_cast<int>(e.source_key ^ (e.source_key >> 32)));
            ImGui::Text("%-15s %5us", source_key_text(e.source_key).c_str(), e.remaining_s);
            ImGui::SameLine();
            if (ImGui::SmallButton("unban") && n.link) controller(*n.link, m).unban(e.source_key);
            ImGui::PopID();
        }
        ImGui::EndTable();
    }
    if (stale) ImGui::PopStyleColor();

    // Alert log with filters.
    ImGui::Separator();
    ImGui::Text("Alerts (arrival time UTC): %zu kept, %llu received, %llu repeats of reported flows", m.alerts.size(),
                static_cast<unsigned long long>(m.alerts_total), static_cast<unsigned long long>(m.alert_repeats));
    ImGui::SameLine();
    a.filter_dirty |= ImGui::Checkbox("show repeats", &a.filter.repeats);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(150);
    std::string reason_label = a.filter.reason == 0 ? "any reason"
                                                     : std::string(secengine::name(static_cast<secengine::drop_reason>(a.filter.reason)));
    if (ImGui::BeginCombo("##reason", reason_label.c_str())) {
        for (int r = 0; r < static_cast<int>(reason_count); ++r) {
            const std::string l = r == 0 ? "any reason" : std::string(secengine::name(static_cast<secengine::drop_reason>(r)));
            if (ImGui::Selectable(l.c_str(), r == a.filter.reason)) {
                a.filter.reason = r;
                a.filter_dirty = true;
            }
        }
        ImGui::EndCombo();
    }
    ImGui::SameLine();
    ImGui::SetNextItemWidth(130);
    a.filter_dirty |= ImGui::InputTextWithHint("##src", "source prefix", &a.filter.source);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(100);
    int sig = static_cast<int>(a.filter.signature);
    if (ImGui::InputInt("sid (-1 any)", &sig, 0)) {
        a.filter.signature = sig;
        a.filter_dirty = true;
    }
    ImGui::SameLine();
    ImGui::SetNextItemWidth(160);
    a.filter_dirty |= ImGui::InputTextWithHint("##text", "text", &a.filter.text);
    if (a.filter_dirty || a.filtered_for != m.alerts.size() || a.filtered_node != &m) {
        a.filtered_node = &m;
        a.filtered = m.filter(a.filter);
        a.filtered_for = m.alerts.size();
        a.filter_dirty = false;
    }
    if (ImGui::BeginChild("alerts", ImVec2(0, 0), true)) {
        ImGuiListClipper clip;
        clip.Begin(static_cast<int>(a.filtered.size()));
        while (clip.Step())
            for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
                const auto& e = m.alerts[a.filtered[static_cast<std::size_t>(i)]];
                ImGui::TextColored(ImColor(reason_colour(e.a.reason)), "#%-7llu", static_cast<unsigned long long>(e.index));
                ImGui::SameLine();
                ImGui::TextUnformatted(format_alert_line(e).c_str());
            }
        if (ImGui::GetScrollY() >= ImGui::GetScrollMaxY()) ImGui::SetScrollHereY(1.0f);
    }
    ImGui::EndChild();
}

}  // namespace console::view
